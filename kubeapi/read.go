package kubeapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/store"
)

// namespaceOf is the namespace a request addresses ("" for cluster-scoped
// resources and all-namespaces lists).
func (t target) namespaceOf() string {
	if !t.res.namespaced {
		return ""
	}
	return t.namespace
}

// wantsTable reports whether the client asked for meta.k8s.io Table
// output (kubectl get does).
func wantsTable(r *http.Request) bool {
	for _, a := range strings.Split(r.Header.Get("Accept"), ",") {
		if strings.Contains(a, "as=Table") && strings.Contains(a, "g=meta.k8s.io") {
			return true
		}
	}
	return false
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, t target) {
	var obj store.Object
	var now time.Time
	s.with(func(c *cluster.Cluster) {
		obj, _ = c.Store.Get(t.res.kind, t.namespaceOf(), t.name)
		now = c.Engine.Now()
	})
	if obj == nil {
		writeError(w, notFound(t.res.groupResource(), t.name))
		return
	}
	if wantsTable(r) {
		writeJSON(w, http.StatusOK, table(t.res, []store.Object{obj}, now, r.URL.Query().Get("includeObject"), metav1.ListMeta{ResourceVersion: obj.GetResourceVersion()}, true))
		return
	}
	writeJSON(w, http.StatusOK, t.res.serve(obj))
}

// selectors are a request's label and field selectors.
type selectors struct {
	labels labels.Selector
	fields fields.Selector
}

func parseSelectors(q url.Values, t target) (selectors, error) {
	var sel selectors
	var err error
	if sel.labels, err = labels.Parse(q.Get("labelSelector")); err != nil {
		return sel, badRequest("unable to parse requirement: %v", err)
	}
	if sel.fields, err = fields.ParseSelector(q.Get("fieldSelector")); err != nil {
		return sel, badRequest("%v", err)
	}
	if err := checkFields(t.res.kind, sel.fields); err != nil {
		return sel, err
	}
	if t.name != "" {
		sel.fields = fields.AndSelectors(sel.fields, fields.OneTermEqualSelector("metadata.name", t.name))
	}
	return sel, nil
}

func (sel selectors) matches(o store.Object) bool {
	if !sel.labels.Empty() && !sel.labels.Matches(labels.Set(o.GetLabels())) {
		return false
	}
	return sel.fields.Empty() || sel.fields.Matches(fieldsOf(o))
}

// candidates narrows a list with the store's indexes (a name, a pod's
// node, labels) before the selectors are checked on each object.
func candidates(st *store.Store, kind, ns string, sel selectors) []store.Object {
	if name, ok := sel.fields.RequiresExactMatch("metadata.name"); ok && ns != "" {
		if o, ok := st.Get(kind, ns, name); ok {
			return []store.Object{o}
		}
		return nil
	}
	if node, ok := sel.fields.RequiresExactMatch("spec.nodeName"); ok && kind == "Pod" && node != "" {
		return st.ByIndex("Pod", store.NodeNameIndex, node)
	}
	return st.Select(kind, ns, sel.labels)
}

// continueToken is the opaque `continue` of a paged list: the key after
// which the next page starts.
type continueToken struct {
	RV    int64  `json:"rv"`
	Start string `json:"start"`
}

func encodeContinue(rv int64, key string) string {
	b, _ := json.Marshal(continueToken{RV: rv, Start: key})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeContinue(s string) (continueToken, error) {
	var tok continueToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &tok)
	}
	if err != nil {
		return tok, badRequest("invalid continue token: %v", err)
	}
	return tok, nil
}

// listResult is one page of a list.
type listResult struct {
	objs []store.Object
	meta metav1.ListMeta
	now  time.Time
}

func (s *Server) collect(q url.Values, t target) (listResult, error) {
	var res listResult
	sel, err := parseSelectors(q, t)
	if err != nil {
		return res, err
	}
	limit := int64(0)
	if l := q.Get("limit"); l != "" {
		if limit, err = strconv.ParseInt(l, 10, 64); err != nil || limit < 0 {
			return res, badRequest("invalid limit %q", l)
		}
	}
	var tok continueToken
	if c := q.Get("continue"); c != "" {
		if tok, err = decodeContinue(c); err != nil {
			return res, err
		}
	}
	s.with(func(c *cluster.Cluster) {
		ns := t.namespaceOf()
		rev := c.Store.Rev()
		res.now = c.Engine.Now()
		for _, o := range candidates(c.Store, t.res.kind, ns, sel) {
			if ns != "" && o.GetNamespace() != ns || !sel.matches(o) {
				continue
			}
			key := store.KeyOf(o)
			if tok.Start != "" && key <= tok.Start {
				continue
			}
			if limit > 0 && int64(len(res.objs)) == limit {
				res.meta.Continue = encodeContinue(rev, store.KeyOf(res.objs[len(res.objs)-1]))
				break
			}
			res.objs = append(res.objs, o)
		}
		res.meta.ResourceVersion = itoa(rev)
	})
	return res, nil
}

// list answers a collection GET: a typed list, or a Table for kubectl get.
func (s *Server) list(w http.ResponseWriter, r *http.Request, t target) {
	q := r.URL.Query()
	res, err := s.collect(q, t)
	if err != nil {
		writeError(w, err)
		return
	}
	if wantsTable(r) {
		writeJSON(w, http.StatusOK, table(t.res, res.objs, res.now, q.Get("includeObject"), res.meta, true))
		return
	}
	items := make([]any, len(res.objs))
	for i, o := range res.objs {
		items[i] = t.res.serve(o)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"kind": t.res.kind + "List", "apiVersion": t.res.gv.String(), "metadata": res.meta, "items": items,
	})
}

// expired is the error of a watch whose history is gone (client-go
// re-lists on it).
func expired(msg string) error { return apierrors.NewResourceExpired(msg) }
