package kubeapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/runner"
	"github.com/kubesim/kubesim/sim/store"
)

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err)
	return n
}

func storeEvent(o store.Object, rev int64) store.Event {
	return store.Event{Type: store.Added, Kind: "ConfigMap", Object: o, Rev: rev}
}

// do sends a raw request and decodes the Status it answers.
func (f *fixture) do(t *testing.T, method, path, contentType string, body []byte, token string) (int, metav1.Status) {
	t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, bytes.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	client := f.httpClient(t)
	switch token {
	case "-": // no credentials at all
		client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: f.caPool()}}, Timeout: 10 * time.Second}
	case "":
	default:
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var st metav1.Status
	require.NoError(t, json.Unmarshal(b, &st), string(b))
	return resp.StatusCode, st
}

func (f *fixture) rev() int64 {
	var rev int64
	f.sess.With(func(c *cluster.Cluster) { rev = c.Store.Rev() })
	return rev
}

// TestBadInputGetsStatusErrorsAndChangesNothing: every refusal is a
// metav1.Status with kube-apiserver's code and reason, and neither the
// store nor the session's record moves.
func TestBadInputGetsStatusErrorsAndChangesNothing(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	const cms = "/api/v1/namespaces/default/configmaps"
	huge := append([]byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"a":"`),
		bytes.Repeat([]byte("x"), 4<<20)...)
	huge = append(huge, []byte(`"}}`)...)
	tests := []struct {
		name, method, path, ct, body string
		raw                          []byte
		code                         int
		reason                       metav1.StatusReason
		msg                          string
	}{
		{name: "malformed JSON", method: "POST", path: cms, ct: "application/json", body: `{"apiVersion":"v1",`,
			code: 400, reason: metav1.StatusReasonBadRequest},
		{name: "malformed YAML", method: "POST", path: cms, ct: "application/yaml", body: "kind: ConfigMap\n  metadata: [",
			code: 400, reason: metav1.StatusReasonBadRequest, msg: "YAML"},
		{name: "unknown resource", method: "POST", path: "/api/v1/namespaces/default/widgets", ct: "application/json",
			body: `{"apiVersion":"v1","kind":"Widget","metadata":{"name":"w"}}`, code: 404, reason: metav1.StatusReasonNotFound},
		{name: "kind does not match the resource", method: "POST", path: cms, ct: "application/json",
			body: `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}`, code: 400, reason: metav1.StatusReasonBadRequest, msg: "kind"},
		{name: "unknown field, strict", method: "POST", path: cms + "?fieldValidation=Strict", ct: "application/json",
			body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"s"},"dta":{}}`, code: 400, reason: metav1.StatusReasonBadRequest, msg: `unknown field "dta"`},
		{name: "invalid object", method: "POST", path: cms, ct: "application/json",
			body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}}`, code: 422, reason: metav1.StatusReasonInvalid},
		{name: "oversized body", method: "POST", path: cms, ct: "application/json", raw: huge,
			code: 413, reason: metav1.StatusReasonRequestEntityTooLarge},
		{name: "patch of a missing object", method: "PATCH", path: cms + "/nope", ct: "application/merge-patch+json", body: `{}`,
			code: 404, reason: metav1.StatusReasonNotFound},
		{name: "failing json patch", method: "PATCH", path: "/api/v1/nodes/general-1", ct: "application/json-patch+json",
			body: `[{"op":"remove","path":"/metadata/nope"}]`, code: 422, reason: metav1.StatusReasonInvalid,
			msg: "the server rejected our request due to an error in our request"},
		{name: "apply without a field manager", method: "PATCH", path: cms + "/kube-root-ca.crt", ct: "application/apply-patch+yaml",
			body: `{"apiVersion":"v1","kind":"ConfigMap"}`, code: 422, reason: metav1.StatusReasonInvalid,
			msg: `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`},
		{name: "force on a merge patch", method: "PATCH", path: cms + "/kube-root-ca.crt?force=true", ct: "application/merge-patch+json",
			body: `{}`, code: 422, reason: metav1.StatusReasonInvalid, msg: "force: Forbidden: may not be specified for non-apply patch"},
		{name: "apply of another version", method: "PATCH", path: cms + "/x?fieldManager=t", ct: "application/apply-patch+yaml",
			body: "apiVersion: v2\nkind: ConfigMap\n", code: 400, reason: metav1.StatusReasonBadRequest, msg: "invalid object type: /v2, Kind=ConfigMap"},
		{name: "apply of an undeclared field", method: "PATCH", path: cms + "/x?fieldManager=t", ct: "application/apply-patch+yaml",
			body: "apiVersion: v1\nkind: ConfigMap\ndta: {a: b}\n", code: 500, reason: "",
			msg: "failed to create typed patch object (default/x; /v1, Kind=ConfigMap): .dta: field not declared in schema"},
		{name: "apply naming another object", method: "PATCH", path: cms + "/x?fieldManager=t", ct: "application/apply-patch+yaml",
			body: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n", code: 400, reason: metav1.StatusReasonBadRequest, msg: "does not match the name on the URL"},
		{name: "apply as CBOR", method: "PATCH", path: cms + "/x?fieldManager=t", ct: "application/apply-patch+cbor", body: `{}`,
			code: 415, reason: metav1.StatusReasonUnsupportedMediaType},
		{name: "empty body", method: "POST", path: cms, ct: "application/json", body: ``, code: 400, reason: metav1.StatusReasonBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, recorded := f.rev(), len(f.sess.Recorded())
			body := tt.raw
			if body == nil {
				body = []byte(tt.body)
			}
			code, st := f.do(t, tt.method, tt.path, tt.ct, body, "")
			require.Equal(t, tt.code, code, "status %+v", st)
			require.Equal(t, "Status", st.Kind)
			require.Equal(t, tt.reason, st.Reason, st.Message)
			require.Contains(t, st.Message, tt.msg)
			if tt.name == "invalid object" {
				require.NotEmpty(t, st.Details.Causes, "Invalid names the fields")
			}
			require.Equal(t, before, f.rev(), "nothing was written")
			require.Len(t, f.sess.Recorded(), recorded, "nothing was recorded")
		})
	}
}

func TestJSONPatchAppliesOrFailsWhole(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	cms := f.client.CoreV1().ConfigMaps("default")
	_, err := cms.Create(ctx, configMap("p", nil), metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = cms.Patch(ctx, "p", types.JSONPatchType, []byte(`[{"op":"add","path":"/data/n","value":"1"},{"op":"test","path":"/data/k","value":"nope"}]`), metav1.PatchOptions{})
	require.Error(t, err, "a failed test fails the whole patch")
	got, err := cms.Patch(ctx, "p", types.JSONPatchType, []byte(`[{"op":"add","path":"/data/n","value":"1"},{"op":"move","from":"/data/k","path":"/data/m"}]`), metav1.PatchOptions{})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"n": "1", "m": "v"}, got.Data)
}

func TestTokenRequiredWhenConfigured(t *testing.T) {
	f := newFixture(t, fixtureOpts{token: "s3cret"})
	code, st := f.do(t, "GET", "/api/v1/namespaces", "", nil, "-")
	require.Equal(t, http.StatusUnauthorized, code)
	require.Equal(t, metav1.StatusReasonUnauthorized, st.Reason)
	code, _ = f.do(t, "GET", "/api/v1/namespaces", "", nil, "wrong")
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = f.do(t, "GET", "/api/v1/namespaces", "", nil, "s3cret")
	require.Equal(t, http.StatusOK, code)
	_, err := f.client.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err, "client-go with the token from the config")

	// TLS only: plain HTTP to the port is refused.
	resp, err := http.Get(strings.Replace(f.ts.URL, "https://", "http://", 1) + "/api")
	if err == nil {
		resp.Body.Close()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:6443": true, "localhost:6443": true, "[::1]:6443": true,
		"0.0.0.0:6443": false, "192.168.1.5:6443": false, ":6443": false, "example.com:6443": false,
	} {
		require.Equal(t, want, IsLoopback(addr), addr)
	}
}

// TestAPISessionReplaysToTheSameTrace is the determinism contract: writes
// made through the Kubernetes API are recorded at their virtual times, and
// the saved session replays through the plain runner to the same trace.
func TestAPISessionReplaysToTheSameTrace(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	deps := f.client.AppsV1().Deployments("default")
	_, err := deps.Create(ctx, deployment("web", 3), metav1.CreateOptions{})
	require.NoError(t, err)
	require.NoError(t, f.sess.RunFor(47*time.Second+310*time.Millisecond))
	_, err = deps.Patch(ctx, "web", types.StrategicMergePatchType, []byte(`{"spec":{"template":{"spec":{"containers":[{"name":"main","image":"nginx:1.28"}]}}}}`), metav1.PatchOptions{})
	require.NoError(t, err)
	require.NoError(t, f.sess.RunFor(time.Second))
	sc, err := deps.GetScale(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err)
	sc.Spec.Replicas = 5
	_, err = deps.UpdateScale(ctx, "web", sc, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.NoError(t, f.sess.RunFor(2*time.Minute))
	pods, err := f.client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	require.NoError(t, err)
	require.NoError(t, f.client.CoreV1().Pods("default").Delete(ctx, pods.Items[0].Name, metav1.DeleteOptions{}))
	_, err = f.client.CoreV1().ConfigMaps("default").Create(ctx, configMap("c", map[string]string{"n": "1"}), metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = f.client.CoreV1().ConfigMaps("default").Create(ctx, configMap("c", nil), metav1.CreateOptions{})
	require.Error(t, err, "a refused write is recorded too")
	require.Len(t, f.sess.Recorded(), 6)

	require.NoError(t, f.sess.RunFor(f.sess.Scenario().Duration-f.sess.Snapshot().Time))
	want := f.sess.Snapshot().TraceHash
	path, err := f.sess.Save(t.TempDir(), "session")
	require.NoError(t, err)
	replay, err := scenarios.Load(path)
	require.NoError(t, err, "the saved session loads")
	rep, err := runner.Run(replay, runner.Options{})
	require.NoError(t, err)
	require.Equal(t, want, rep.TraceHash, "the replay reproduces the API session")
}
