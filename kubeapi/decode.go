package kubeapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientscheme "k8s.io/client-go/kubernetes/scheme"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/kubesim/kubesim/sim/store"
)

// readBody reads a size-limited request body and returns it as JSON
// (YAML bodies are converted, as kube-apiserver accepts both).
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", mbe.Limit))
		}
		return nil, badRequest("reading the request body: %v", err)
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/yaml", "application/apply-patch+yaml":
		if b, err = yaml.YAMLToJSON(b); err != nil {
			return nil, badRequest("error converting YAML to JSON: %v", err)
		}
	case "application/vnd.kubernetes.protobuf":
		if b, err = protobufToJSON(b); err != nil {
			return nil, err
		}
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, badRequest("the request body is empty")
	}
	return b, nil
}

// readObject reads the request body (see readBody) as one object of type
// T; kind names it in the error a malformed body gets.
func readObject[T any](r *http.Request, kind string) (T, error) {
	var v T
	body, err := readBody(r)
	if err != nil {
		return v, err
	}
	return unmarshalAs[T](body, kind)
}

// unmarshalAs decodes a JSON body as one object of type T; kind names it
// in the error a malformed body gets.
func unmarshalAs[T any](body []byte, kind string) (T, error) {
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		return v, badRequest("invalid %s: %v", kind, err)
	}
	return v, nil
}

// validation is the request's fieldValidation directive: Strict rejects
// unknown and duplicate fields, Warn (the default) reports them in a
// Warning header, Ignore drops them silently.
type validation struct {
	directive string
	warnings  []string
}

func newValidation(q url.Values) (*validation, error) {
	d := q.Get("fieldValidation")
	switch d {
	case "":
		d = metav1.FieldValidationWarn
	case metav1.FieldValidationStrict, metav1.FieldValidationWarn, metav1.FieldValidationIgnore:
	default:
		return nil, badRequest("fieldValidation parameter unsupported: %q (use Ignore, Warn or Strict)", d)
	}
	return &validation{directive: d}, nil
}

func (v *validation) header(w http.ResponseWriter) {
	for _, msg := range v.warnings {
		w.Header().Add("Warning", "299 - "+strconv.Quote(msg))
	}
}

// decodeObject decodes a body into a new object of the resource's kind,
// checking apiVersion and kind and applying the field validation.
func decodeObject(res *resource, body []byte, v *validation) (store.Object, error) {
	var tm metav1.TypeMeta
	if err := json.Unmarshal(body, &tm); err != nil {
		return nil, badRequest("couldn't get version/kind; json parse error: %v", err)
	}
	if res.decode != nil {
		return res.decode(body, tm, v)
	}
	return decodeAs(res.kind, res.gv, body, tm, v)
}

func decodeAs(kind string, gv schema.GroupVersion, body []byte, tm metav1.TypeMeta, v *validation) (store.Object, error) {
	info, _ := store.LookupKind(kind)
	if tm.APIVersion != "" && tm.APIVersion != gv.String() {
		return nil, badRequest("the API version in the data (%s) does not match the expected API version (%s)", tm.APIVersion, gv.String())
	}
	if tm.Kind != "" && tm.Kind != kind {
		return nil, badRequest("the kind in the data (%s) does not match the expected kind (%s)", tm.Kind, kind)
	}
	obj := info.New()
	if err := v.unmarshal(body, obj, kind, gv); err != nil {
		return nil, err
	}
	obj.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	return obj, nil
}

// unmarshal decodes into out with kube-apiserver's strictness rules.
func (v *validation) unmarshal(body []byte, out any, kind string, gv schema.GroupVersion) error {
	prefix := fmt.Sprintf("%s in version %q cannot be handled as a %s", kind, gv.Version, kind)
	strict, err := sigsjson.UnmarshalStrict(body, out)
	if err != nil {
		return badRequest("%s: %v", prefix, err)
	}
	if len(strict) == 0 || v.directive == metav1.FieldValidationIgnore {
		return nil
	}
	msgs := make([]string, len(strict))
	for i, e := range strict {
		msgs[i] = e.Error()
	}
	if v.directive == metav1.FieldValidationStrict {
		return badRequest("%s: strict decoding error: %s", prefix, strings.Join(msgs, ", "))
	}
	v.warnings = append(v.warnings, msgs...)
	return nil
}

// dryRun reports whether the request asks for dryRun=All.
func dryRun(q url.Values) (bool, error) {
	d := q["dryRun"]
	if len(d) == 0 {
		return false, nil
	}
	if d[0] != "All" {
		return false, badRequest("dryRun parameter unsupported: %q (only All)", d[0])
	}
	return true, nil
}

func statusError(code int, reason metav1.StatusReason, msg string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status: metav1.StatusFailure, Code: int32(code), Reason: reason, Message: msg}}
}

func unsupportedMediaType(ct string) error {
	return statusError(http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType,
		fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got %q)", ct))
}

// protoMagic starts every Kubernetes protobuf body.
var protoMagic = []byte("k8s\x00")

// protobufToJSON converts a Kubernetes protobuf body (kubectl's typed
// clients send create requests so) to the JSON of the same object.
func protobufToJSON(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, protoMagic) {
		return nil, badRequest("protobuf body without the k8s magic prefix")
	}
	var u runtime.Unknown
	if err := u.Unmarshal(b[len(protoMagic):]); err != nil {
		return nil, badRequest("invalid protobuf body: %v", err)
	}
	gvk := schema.FromAPIVersionAndKind(u.APIVersion, u.Kind)
	obj, err := clientscheme.Scheme.New(gvk)
	if err != nil {
		return nil, badRequest("no kind %q is registered for version %q", u.Kind, u.APIVersion)
	}
	pb, ok := obj.(interface{ Unmarshal([]byte) error })
	if !ok {
		return nil, unsupportedMediaType("application/vnd.kubernetes.protobuf")
	}
	if err := pb.Unmarshal(u.Raw); err != nil {
		return nil, badRequest("invalid protobuf %s: %v", u.Kind, err)
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return json.Marshal(obj)
}
