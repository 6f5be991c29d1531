package kubeapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/applyconfigurations"
	clientscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/store"
)

// Server-side apply and managed fields, with apimachinery's field manager
// (the one kube-apiserver runs): every create, update and patch served
// records which manager owns which fields in metadata.managedFields, and
// an apply patch (application/apply-patch+yaml, `kubectl apply
// --server-side`) merges the applied configuration into the live object,
// refusing to take fields another manager owns unless forced.
//
// The field manager runs inside the write's resolve function, so its
// result is part of the recorded request and a replay never reruns it.
// Only writes through the served API are tracked: the simulation's own
// controllers keep whatever managed fields an object has.

// ssaScheme knows every stored kind: client-go's scheme for the built-in
// ones, plus the kinds only kubesim's store has (Karpenter's).
var ssaScheme = sync.OnceValue(func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientscheme.AddToScheme(s); err != nil {
		panic(err) // client-go's own registrations never conflict
	}
	for _, k := range store.Kinds() {
		info, _ := store.LookupKind(k)
		gvk := info.GroupVersion.WithKind(info.Kind)
		if !s.Recognizes(gvk) {
			s.AddKnownTypeWithName(gvk, info.New())
		}
	}
	return s
})

// builtinTypes is the structured-merge-diff schema of the built-in kinds
// that client-go ships (list types and map keys as upstream's OpenAPI).
var builtinTypes = sync.OnceValue(func() managedfields.TypeConverter {
	return applyconfigurations.NewTypeConverter(clientscheme.Scheme)
})

var fieldManagers sync.Map // schema.GroupVersionKind -> *managedfields.FieldManager

// fieldManagerOf returns the field manager of a stored kind.
func fieldManagerOf(info *store.KindInfo) (*managedfields.FieldManager, error) {
	gvk := info.GroupVersion.WithKind(info.Kind)
	if fm, ok := fieldManagers.Load(gvk); ok {
		return fm.(*managedfields.FieldManager), nil
	}
	s := ssaScheme()
	var fm *managedfields.FieldManager
	var err error
	if clientscheme.Scheme.Recognizes(gvk) {
		fm, err = managedfields.NewDefaultFieldManager(builtinTypes(), s, s, s, gvk, gvk.GroupVersion(), "", nil)
	} else {
		// Custom resources (Karpenter's) have no schema in client-go:
		// their structure is deduced from the object, as kube-apiserver
		// does for a CRD whose schema preserves unknown fields.
		fm, err = managedfields.NewDefaultCRDFieldManager(managedfields.NewDeducedTypeConverter(), s, s, s, gvk, gvk.GroupVersion(), "", nil)
	}
	if err != nil {
		return nil, err
	}
	got, _ := fieldManagers.LoadOrStore(gvk, fm)
	return got.(*managedfields.FieldManager), nil
}

// managerName is the request's field manager: the fieldManager parameter,
// else the client's User-Agent up to its first "/" (kube-apiserver's rule).
func managerName(r *http.Request) string {
	if m := r.URL.Query().Get("fieldManager"); m != "" {
		return m
	}
	ua, _, _ := strings.Cut(r.UserAgent(), "/")
	var b strings.Builder
	for _, c := range ua {
		if unicode.IsPrint(c) {
			b.WriteRune(c)
		}
	}
	m := b.String()
	if len(m) > metavalidation.FieldManagerMaxLength {
		m = m[:metavalidation.FieldManagerMaxLength]
	}
	return m
}

// writeOptionsError validates the fieldManager and force parameters of a
// create, update (patchType "") or patch as kube-apiserver does.
func writeOptionsError(r *http.Request, verb string, pt types.PatchType) error {
	q := r.URL.Query()
	fm := q.Get("fieldManager")
	switch verb {
	case "create":
		if errs := metavalidation.ValidateFieldManager(fm, field.NewPath("fieldManager")); len(errs) > 0 {
			return apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: "CreateOptions"}, "", errs)
		}
	case "update":
		if errs := metavalidation.ValidateFieldManager(fm, field.NewPath("fieldManager")); len(errs) > 0 {
			return apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: "UpdateOptions"}, "", errs)
		}
	case "patch":
		opts := metav1.PatchOptions{FieldManager: fm}
		if f := q.Get("force"); f != "" {
			force := f == "true" || f == "1"
			opts.Force = &force
		}
		if errs := metavalidation.ValidatePatchOptions(&opts, pt); len(errs) > 0 {
			return apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: "PatchOptions"}, "", errs)
		}
	}
	return nil
}

// withGVK is a deep copy of o carrying its kind's apiVersion and kind,
// as the field manager needs.
func withGVK(o store.Object, info *store.KindInfo) store.Object {
	cp := o.DeepCopyObject().(store.Object)
	cp.GetObjectKind().SetGroupVersionKind(info.GroupVersion.WithKind(info.Kind))
	return cp
}

// emptyOf is a new, empty object of the kind (the live object of a
// create).
func emptyOf(info *store.KindInfo) store.Object {
	o := info.New()
	o.GetObjectKind().SetGroupVersionKind(info.GroupVersion.WithKind(info.Kind))
	return o
}

// trackUpdate sets obj's managed fields for a create (live nil), update
// or non-apply patch by manager: the fields the request sets — after
// defaulting, as kube-apiserver defaults before tracking — become the
// manager's. A failure to track leaves the write alone, as upstream's
// UpdateNoErrors does.
func trackUpdate(now time.Time, live, obj store.Object, manager string) {
	info, err := store.KindOf(obj)
	if err != nil {
		return
	}
	fm, err := fieldManagerOf(info)
	if err != nil {
		return
	}
	liveObj := emptyOf(info)
	if live != nil {
		liveObj = withGVK(live, info)
	}
	newObj := withGVK(obj, info)
	apiserver.Default(newObj)
	out, err := fm.Update(liveObj, newObj, manager)
	if err != nil {
		return
	}
	acc, ok := out.(metav1.Object)
	if !ok {
		return
	}
	obj.SetManagedFields(stamp(acc.GetManagedFields(), liveObj.GetManagedFields(), now))
}

// stamp gives the entries this write touched the virtual time of the
// write (the field manager reads the wall clock), so a replay records
// the same times.
func stamp(entries, before []metav1.ManagedFieldsEntry, now time.Time) []metav1.ManagedFieldsEntry {
	out := make([]metav1.ManagedFieldsEntry, len(entries))
	for i, e := range entries {
		unchanged := false
		for _, b := range before {
			if reflect.DeepEqual(e, b) {
				unchanged = true
				break
			}
		}
		if !unchanged {
			t := metav1.NewTime(now.UTC().Truncate(time.Second))
			e.Time = &t
		}
		out[i] = e
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// serverSideApply resolves an apply patch against the current object
// (creating it when there is none): the recorded request is the merged
// object, a create or an update.
func serverSideApply(c *cluster.Cluster, r *http.Request, t target, body []byte, v *validation) (*scenarios.APIRequest, error) {
	info := t.res.info()
	if t.res.convert != nil {
		return nil, badRequest("server-side apply to %s is not supported by kubesim: apply to %s", t.res.gv, info.GroupVersion)
	}
	applied := &unstructured.Unstructured{}
	if err := json.Unmarshal(body, &applied.Object); err != nil {
		return nil, badRequest("error decoding YAML: %v", err)
	}
	if applied.Object == nil {
		return nil, badRequest("the apply patch is not an object")
	}
	if err := checkApplied(applied, t); err != nil {
		return nil, err
	}
	applied.SetName(t.name)
	if t.res.namespaced {
		applied.SetNamespace(t.namespace)
	}
	fm, err := fieldManagerOf(info)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	force := r.URL.Query().Get("force") == "true"
	cur, exists := c.Store.Get(t.res.kind, t.namespaceOf(), t.name)
	live := emptyOf(info)
	if exists {
		live = withGVK(cur, info)
	}
	out, err := fm.Apply(live, applied, managerName(r), force)
	if err != nil {
		return nil, applyError(err)
	}
	// Back through the strict decoder: the merged object must be a valid
	// object of the kind, and its unknown fields are the caller's error.
	merged, err := json.Marshal(out)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	obj, err := decodeObject(t.res, merged, v)
	if err != nil {
		return nil, err
	}
	obj.SetManagedFields(stamp(obj.GetManagedFields(), live.GetManagedFields(), c.Engine.Now()))
	if err := placed(obj, t); err != nil {
		return nil, err
	}
	verb := "update"
	if !exists {
		verb = "create"
	}
	req := request(r, t, verb)
	req.Name, req.Object = obj.GetName(), obj
	return req, admitWrite(c, r, obj)
}

// checkApplied refuses an applied configuration that names another
// object than the URL (the field manager checks its apiVersion and kind).
func checkApplied(u *unstructured.Unstructured, t target) error {
	if n := u.GetName(); n != "" && n != t.name {
		return badRequest("the name of the object (%s) does not match the name on the URL (%s)", n, t.name)
	}
	if ns := u.GetNamespace(); ns != "" && t.res.namespaced && ns != t.namespace {
		return badRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	return nil
}

// applyError passes the field manager's API errors (a 409 listing the
// conflicting fields and their managers) through. Any other failure — an
// applied configuration with a field the schema does not declare — is a
// plain error, which kube-apiserver answers as a 500 with no reason
// (kubectl prints "Error from server: failed to create typed patch
// object …").
func applyError(err error) error {
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		return err
	}
	return &apierrors.StatusError{ErrStatus: metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status: metav1.StatusFailure, Code: http.StatusInternalServerError, Message: err.Error()}}
}
