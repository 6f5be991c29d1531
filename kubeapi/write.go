package kubeapi

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/store"
)

// write performs one recorded write, or for dryRun=All only resolves it
// and checks the result as the API server would, writing nothing.
func (s *Server) write(dry bool, resolve func(c *cluster.Cluster) (*scenarios.APIRequest, error)) (store.Object, error) {
	if !dry {
		return s.sess.APIWrite(resolve)
	}
	var out store.Object
	var err error
	s.with(func(c *cluster.Cluster) {
		var req *scenarios.APIRequest
		if req, err = resolve(c); err != nil {
			return
		}
		out, err = checkDry(c, req)
	})
	return out, err
}

// staleVersion is the conflict of a write that names a resourceVersion
// (sent) other than the stored object's (current); none when it names none.
func staleVersion(gr schema.GroupResource, name, sent, current string) error {
	if sent == "" || sent == current {
		return nil
	}
	return apierrors.NewConflict(gr, name, fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
}

// decode decodes a write's body into an object of the target's resource
// and checks that it names the target's namespace and name.
func (t target) decode(body []byte, v *validation) (store.Object, error) {
	obj, err := decodeObject(t.res, body, v)
	if err == nil {
		err = placed(obj, t)
	}
	return obj, err
}

// current is the stored object the target names, or NotFound.
func (t target) current(c *cluster.Cluster) (store.Object, error) {
	cur, ok := c.Store.Get(t.res.kind, t.namespaceOf(), t.name)
	if !ok {
		return nil, notFound(t.res.groupResource(), t.name)
	}
	return cur, nil
}

// reply answers a write with its error, or with code and the object it
// wrote (as a Scale for the scale subresource) after the validation's
// warnings (v nil: none).
func (t target) reply(w http.ResponseWriter, v *validation, code int, out store.Object, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	if v != nil {
		v.header(w)
	}
	if t.sub == "scale" {
		writeJSON(w, code, scaleOf(out))
		return
	}
	writeJSON(w, code, t.res.serve(out))
}

// checkDry validates what a write would store, without storing it.
func checkDry(c *cluster.Cluster, req *scenarios.APIRequest) (store.Object, error) {
	cur, exists := c.Store.Get(req.Kind, req.Namespace, req.Name)
	info, _ := store.LookupKind(req.Kind)
	switch req.Verb {
	case "create":
		obj := req.APIObject()
		if exists && obj.GetName() != "" {
			return nil, apierrors.NewAlreadyExists(info.GroupResource(), obj.GetName())
		}
		apiserver.Default(obj)
		obj.SetCreationTimestamp(metav1.NewTime(c.Engine.Now()))
		return obj, apiserver.Validate(obj)
	case "update", "status":
		if !exists {
			return nil, apierrors.NewNotFound(info.GroupResource(), req.Name)
		}
		obj := req.APIObject()
		if err := staleVersion(info.GroupResource(), req.Name, obj.GetResourceVersion(), cur.GetResourceVersion()); err != nil {
			return nil, err
		}
		apiserver.Default(obj)
		return obj, apiserver.Validate(obj)
	}
	if !exists {
		return nil, apierrors.NewNotFound(info.GroupResource(), req.Name)
	}
	return cur, nil
}

// precheck refuses an object the API server's validation would refuse,
// before it is recorded: a malformed request changes nothing, not even
// the session's record.
func precheck(obj store.Object) error {
	cp := obj.DeepCopyObject().(store.Object)
	if cp.GetName() == "" && cp.GetGenerateName() != "" {
		cp.SetName(cp.GetGenerateName() + "x7k2q") // the server picks the suffix
	}
	apiserver.Default(cp)
	return apiserver.Validate(cp)
}

// request builds the recorded request of target t.
func request(r *http.Request, t target, verb string) *scenarios.APIRequest {
	return &scenarios.APIRequest{Verb: verb, User: user(r), Kind: t.res.kind, Namespace: t.namespaceOf(), Name: t.name}
}

// placed checks the object's namespace and name against the URL (filling
// in what the body leaves out).
func placed(obj store.Object, t target) error {
	if t.res.namespaced {
		switch ns := obj.GetNamespace(); {
		case ns == "":
			obj.SetNamespace(t.namespace)
		case ns != t.namespace:
			return badRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
	} else {
		obj.SetNamespace("")
	}
	if t.name != "" && obj.GetName() != t.name {
		if obj.GetName() == "" {
			obj.SetName(t.name)
		} else {
			return badRequest("the name of the object (%s) does not match the name on the URL (%s)", obj.GetName(), t.name)
		}
	}
	return nil
}

// writeParams reads what every write request carries: the field
// validation level, dryRun and the (size-limited) body.
func writeParams(r *http.Request) (*validation, bool, []byte, error) {
	q := r.URL.Query()
	v, err := newValidation(q)
	if err != nil {
		return nil, false, nil, err
	}
	dry, err := dryRun(q)
	if err != nil {
		return nil, false, nil, err
	}
	body, err := readBody(r)
	if err != nil {
		return nil, false, nil, err
	}
	return v, dry, body, nil
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, t target) {
	if t.res.namespaced && t.namespace == "" {
		writeError(w, pathNotFound())
		return
	}
	v, dry, body, err := writeParams(r)
	if err != nil {
		writeError(w, err)
		return
	}
	obj, err := t.decode(body, v)
	if err != nil {
		writeError(w, err)
		return
	}
	if csr, ok := obj.(*certificatesv1.CertificateSigningRequest); ok {
		requestedBy(csr, userOf(r))
	}
	if err := writeOptionsError(r, "create", ""); err != nil {
		writeError(w, err)
		return
	}
	out, err := s.write(dry, func(c *cluster.Cluster) (*scenarios.APIRequest, error) {
		trackUpdate(c.Engine.Now(), nil, obj, managerName(r))
		req := request(r, t, "create")
		req.Name, req.Object = obj.GetName(), obj
		return req, admitWrite(c, r, obj)
	})
	t.reply(w, v, http.StatusCreated, out, err)
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, t target) {
	v, dry, body, err := writeParams(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if t.sub == "scale" {
		s.putScale(w, r, t, body, v, dry)
		return
	}
	if t.sub == "approval" {
		s.approval(w, r, t, body, v, dry)
		return
	}
	obj, err := t.decode(body, v)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := writeOptionsError(r, "update", ""); err != nil {
		writeError(w, err)
		return
	}
	out, err := s.write(dry, func(c *cluster.Cluster) (*scenarios.APIRequest, error) {
		cur, _ := c.Store.Get(t.res.kind, t.namespaceOf(), t.name)
		return updateRequest(c, r, t, cur, obj)
	})
	t.reply(w, v, http.StatusOK, out, err)
}

// patchType is the patch format named by the request's Content-Type.
func patchType(r *http.Request) (types.PatchType, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch pt := types.PatchType(ct); pt {
	case types.JSONPatchType, types.MergePatchType, types.StrategicMergePatchType, types.ApplyYAMLPatchType:
		return pt, nil
	}
	return "", unsupportedMediaType(ct)
}

// patch applies a JSON, merge or strategic merge patch to the current
// object inside the simulation (so it cannot lose a race with a
// controller) and records the resulting object.
func (s *Server) patch(w http.ResponseWriter, r *http.Request, t target) {
	pt, err := patchType(r)
	if err != nil {
		writeError(w, err)
		return
	}
	v, dry, body, err := writeParams(r)
	if err == nil {
		err = writeOptionsError(r, "patch", pt)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	out, err := s.write(dry, func(c *cluster.Cluster) (*scenarios.APIRequest, error) {
		if pt == types.ApplyYAMLPatchType && t.sub == "" {
			return serverSideApply(c, r, t, body, v)
		}
		cur, err := t.current(c)
		if err != nil {
			return nil, err
		}
		if t.sub == "scale" {
			return patchScale(r, t, cur, pt, body, v)
		}
		curJSON, err := json.Marshal(typed(cur, t.res.gvk()))
		if err != nil {
			return nil, err
		}
		patched, err := applyPatch(pt, curJSON, body, t.res.info().New())
		if err != nil {
			return nil, err
		}
		obj, err := decodeObject(t.res, patched, v)
		if err != nil {
			return nil, err
		}
		if obj.GetName() != cur.GetName() || obj.GetNamespace() != cur.GetNamespace() {
			return nil, badRequest("a patch may not change the object's name or namespace")
		}
		return updateRequest(c, r, t, cur, obj)
	})
	t.reply(w, v, http.StatusOK, out, err)
}

// updateRequest is the recorded update of the target to obj (a status
// write for the status subresource); an update of a stored object (cur)
// tracks the fields the request's manager changed.
func updateRequest(c *cluster.Cluster, r *http.Request, t target, cur, obj store.Object) (*scenarios.APIRequest, error) {
	verb := "update"
	if t.sub == "status" {
		verb = "status"
	} else if cur != nil {
		trackUpdate(c.Engine.Now(), cur, obj, managerName(r))
	}
	req := request(r, t, verb)
	req.Object = obj
	return req, admitWrite(c, r, obj)
}

// deleteOptions reads a delete's options from the body and the query.
func deleteOptions(r *http.Request) (metav1.DeleteOptions, error) {
	var opts metav1.DeleteOptions
	if r.ContentLength != 0 && r.Body != nil {
		if b, err := readBody(r); err == nil {
			if err := json.Unmarshal(b, &opts); err != nil {
				return opts, badRequest("invalid DeleteOptions: %v", err)
			}
		} else if apierrors.IsRequestEntityTooLargeError(err) {
			return opts, err
		}
	}
	q := r.URL.Query()
	if g := q.Get("gracePeriodSeconds"); g != "" {
		n, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			return opts, badRequest("invalid gracePeriodSeconds %q", g)
		}
		opts.GracePeriodSeconds = &n
	}
	if p := q.Get("propagationPolicy"); p != "" {
		pp := metav1.DeletionPropagation(p)
		opts.PropagationPolicy = &pp
	}
	if d, err := dryRun(q); err != nil {
		return opts, err
	} else if d {
		opts.DryRun = []string{"All"}
	}
	if opts.PropagationPolicy != nil {
		switch *opts.PropagationPolicy {
		case metav1.DeletePropagationBackground, metav1.DeletePropagationForeground, metav1.DeletePropagationOrphan:
		default:
			return opts, badRequest("propagationPolicy: unsupported value %q", *opts.PropagationPolicy)
		}
	}
	return opts, nil
}

// deleteRequest resolves a delete of one object, checking preconditions.
func deleteRequest(r *http.Request, t target, opts metav1.DeleteOptions, c *cluster.Cluster) (*scenarios.APIRequest, error) {
	cur, ok := c.Store.Get(t.res.kind, t.namespaceOf(), t.name)
	if !ok {
		return nil, notFound(t.res.groupResource(), t.name)
	}
	if p := opts.Preconditions; p != nil {
		if p.UID != nil && *p.UID != cur.GetUID() {
			return nil, apierrors.NewConflict(t.res.groupResource(), t.name, fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", *p.UID, cur.GetUID())) //nolint:staticcheck // ST1005: upstream's message, word for word
		}
		if p.ResourceVersion != nil && *p.ResourceVersion != cur.GetResourceVersion() {
			return nil, apierrors.NewConflict(t.res.groupResource(), t.name, fmt.Errorf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", *p.ResourceVersion, cur.GetResourceVersion())) //nolint:staticcheck // ST1005: upstream's message, word for word
		}
	}
	req := request(r, t, "delete")
	req.GracePeriodSeconds = opts.GracePeriodSeconds
	if opts.PropagationPolicy != nil {
		req.Propagation = string(*opts.PropagationPolicy)
	}
	return req, nil
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, t target) {
	opts, err := deleteOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	out, err := s.write(len(opts.DryRun) > 0, func(c *cluster.Cluster) (*scenarios.APIRequest, error) {
		return deleteRequest(r, t, opts, c)
	})
	if err != nil {
		writeError(w, err)
		return
	}
	if out == nil {
		writeJSON(w, http.StatusOK, successStatus(http.StatusOK, &metav1.StatusDetails{Name: t.name, Kind: t.res.plural}))
		return
	}
	writeJSON(w, http.StatusOK, t.res.serve(out))
}

// deleteCollection deletes every object the selectors match, one
// recorded delete each.
func (s *Server) deleteCollection(w http.ResponseWriter, r *http.Request, t target) {
	opts, err := deleteOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	q := r.URL.Query()
	q.Del("limit")
	q.Del("continue")
	res, err := s.collect(q, t)
	if err != nil {
		writeError(w, err)
		return
	}
	items := []any{}
	for _, o := range res.objs {
		one := t
		one.namespace, one.name = o.GetNamespace(), o.GetName()
		out, err := s.write(len(opts.DryRun) > 0, func(c *cluster.Cluster) (*scenarios.APIRequest, error) {
			return deleteRequest(r, one, opts, c)
		})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			writeError(w, err)
			return
		}
		items = append(items, t.res.serve(out))
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": t.res.kind + "List", "apiVersion": t.res.gv.String(),
		"metadata": res.meta, "items": items})
}

// evict is POST pods/<name>/eviction: refused with 429 while a
// PodDisruptionBudget allows no disruption (kubectl drain retries).
func (s *Server) evict(w http.ResponseWriter, r *http.Request, t target) {
	ev, err := readObject[policyv1.Eviction](r, "Eviction")
	if err != nil {
		writeError(w, err)
		return
	}
	if ev.Name != "" && ev.Name != t.name {
		writeError(w, badRequest("name in URL does not match name in Eviction object"))
		return
	}
	dry, err := dryRun(r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	var opts metav1.DeleteOptions
	if ev.DeleteOptions != nil {
		opts = *ev.DeleteOptions
		dry = dry || len(opts.DryRun) > 0
	}
	_, err = s.write(dry, func(c *cluster.Cluster) (*scenarios.APIRequest, error) {
		req, err := deleteRequest(r, t, opts, c)
		if req != nil {
			req.Verb = "evict"
		}
		return req, err
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, successStatus(http.StatusCreated, nil))
}

// bind is POST pods/<name>/binding (what a scheduler does).
func (s *Server) bind(w http.ResponseWriter, r *http.Request, t target) {
	b, err := readObject[corev1.Binding](r, "Binding")
	if err != nil {
		writeError(w, err)
		return
	}
	if b.Target.Name == "" {
		writeError(w, apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Binding").GroupKind(), t.name,
			field.ErrorList{field.Required(field.NewPath("target", "name"), "")}))
		return
	}
	_, err = s.write(false, func(c *cluster.Cluster) (*scenarios.APIRequest, error) {
		if _, ok := c.Store.Get("Pod", t.namespace, t.name); !ok {
			return nil, notFound(t.res.groupResource(), t.name)
		}
		req := request(r, t, "bind")
		req.Node = b.Target.Name
		return req, nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, successStatus(http.StatusCreated, nil))
}

// scaleOf is the autoscaling/v1 Scale view of a Deployment, ReplicaSet or
// StatefulSet.
func scaleOf(o store.Object) *autoscalingv1.Scale {
	sc := &autoscalingv1.Scale{TypeMeta: metav1.TypeMeta{APIVersion: "autoscaling/v1", Kind: "Scale"}}
	sc.Name, sc.Namespace, sc.UID = o.GetName(), o.GetNamespace(), o.GetUID()
	sc.ResourceVersion, sc.CreationTimestamp = o.GetResourceVersion(), o.GetCreationTimestamp()
	spec, status, sel := workloadScale(o)
	sc.Spec.Replicas, sc.Status.Replicas = spec, status
	if s, err := metav1.LabelSelectorAsSelector(sel); err == nil && sel != nil {
		sc.Status.Selector = s.String()
	}
	return sc
}

func (s *Server) getScale(w http.ResponseWriter, t target) {
	var obj store.Object
	s.with(func(c *cluster.Cluster) { obj, _ = c.Store.Get(t.res.kind, t.namespaceOf(), t.name) })
	if obj == nil {
		writeError(w, notFound(t.res.groupResource(), t.name))
		return
	}
	writeJSON(w, http.StatusOK, scaleOf(obj))
}

func (s *Server) putScale(w http.ResponseWriter, r *http.Request, t target, body []byte, v *validation, dry bool) {
	var sc autoscalingv1.Scale
	if err := v.unmarshal(body, &sc, "Scale", autoscalingv1.SchemeGroupVersion); err != nil {
		writeError(w, err)
		return
	}
	out, err := s.write(dry, func(c *cluster.Cluster) (*scenarios.APIRequest, error) {
		cur, err := t.current(c)
		if err != nil {
			return nil, err
		}
		if err := staleVersion(t.res.groupResource(), t.name, sc.ResourceVersion, cur.GetResourceVersion()); err != nil {
			return nil, err
		}
		return scaleRequest(r, t, sc.Spec.Replicas)
	})
	t.reply(w, nil, http.StatusOK, out, err)
}

func patchScale(r *http.Request, t target, cur store.Object, pt types.PatchType, body []byte, v *validation) (*scenarios.APIRequest, error) {
	curJSON, err := json.Marshal(scaleOf(cur))
	if err != nil {
		return nil, err
	}
	patched, err := applyPatch(pt, curJSON, body, &autoscalingv1.Scale{})
	if err != nil {
		return nil, err
	}
	var sc autoscalingv1.Scale
	if err := v.unmarshal(patched, &sc, "Scale", autoscalingv1.SchemeGroupVersion); err != nil {
		return nil, err
	}
	return scaleRequest(r, t, sc.Spec.Replicas)
}

func scaleRequest(r *http.Request, t target, n int32) (*scenarios.APIRequest, error) {
	if n < 0 {
		return nil, apierrors.NewInvalid(autoscalingv1.SchemeGroupVersion.WithKind("Scale").GroupKind(), t.name,
			field.ErrorList{field.Invalid(field.NewPath("spec", "replicas"), n, "must be greater than or equal to 0")})
	}
	req := request(r, t, "scale")
	req.Replicas = n
	return req, nil
}
