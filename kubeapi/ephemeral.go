package kubeapi

import (
	"encoding/json"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/store"
)

// updateEphemeral serves PATCH and PUT of pods/<name>/ephemeralcontainers
// (kubectl debug): only spec.ephemeralContainers changes, and only by
// additions, as kube-apiserver's ephemeral container strategy allows.
func (s *Server) updateEphemeral(w http.ResponseWriter, r *http.Request, t target) {
	var pt types.PatchType
	var err error
	if r.Method == http.MethodPatch {
		if pt, err = patchType(r); err == nil && pt == types.ApplyYAMLPatchType {
			err = unsupportedMediaType(string(pt))
		}
		if err != nil {
			writeError(w, err)
			return
		}
	}
	v, dry, body, err := writeParams(r)
	if err != nil {
		writeError(w, err)
		return
	}
	out, err := s.write(dry, func(c *cluster.Cluster) (*scenarios.APIRequest, error) {
		o, ok := c.Store.Get("Pod", t.namespace, t.name)
		if !ok {
			return nil, notFound(t.res.groupResource(), t.name)
		}
		cur := o.(*corev1.Pod)
		var next store.Object
		if pt != "" {
			curJSON, err := json.Marshal(typed(cur, t.res.gvk()))
			if err != nil {
				return nil, err
			}
			patched, err := applyPatch(pt, curJSON, body, &corev1.Pod{})
			if err != nil {
				return nil, err
			}
			if next, err = decodeObject(t.res, patched, v); err != nil {
				return nil, err
			}
		} else {
			if next, err = decodeObject(t.res, body, v); err != nil {
				return nil, err
			}
			if err := placed(next, t); err != nil {
				return nil, err
			}
		}
		pod := cur.DeepCopy()
		pod.Spec.EphemeralContainers = next.(*corev1.Pod).Spec.EphemeralContainers
		if errs := validateEphemeral(pod, cur); len(errs) > 0 {
			return nil, apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Pod").GroupKind(), pod.Name, errs)
		}
		req := request(r, t, "update")
		req.Object = pod
		return req, nil
	})
	t.reply(w, v, http.StatusOK, out, err)
}

// validateEphemeral checks a pod's ephemeral containers against the
// stored ones as upstream's validation does: unique names, an image,
// none of the fields an ephemeral container may not set, a target that
// exists, and the existing ones unchanged.
func validateEphemeral(pod, old *corev1.Pod) field.ErrorList {
	var errs field.ErrorList
	base := field.NewPath("spec", "ephemeralContainers")
	names := map[string]bool{}
	for _, c := range pod.Spec.Containers {
		names[c.Name] = true
	}
	for _, c := range pod.Spec.InitContainers {
		names[c.Name] = true
	}
	for i, ec := range pod.Spec.EphemeralContainers {
		p := base.Index(i)
		switch {
		case ec.Name == "":
			errs = append(errs, field.Required(p.Child("name"), ""))
		case names[ec.Name]:
			errs = append(errs, field.Duplicate(p.Child("name"), ec.Name))
		}
		names[ec.Name] = true
		if ec.Image == "" {
			errs = append(errs, field.Required(p.Child("image"), ""))
		}
		forbidden := func(name string, set bool) {
			if set {
				errs = append(errs, field.Forbidden(p.Child(name), "cannot be set for an Ephemeral Container"))
			}
		}
		forbidden("ports", len(ec.Ports) > 0)
		forbidden("livenessProbe", ec.LivenessProbe != nil)
		forbidden("readinessProbe", ec.ReadinessProbe != nil)
		forbidden("startupProbe", ec.StartupProbe != nil)
		forbidden("lifecycle", ec.Lifecycle != nil)
		forbidden("resources", len(ec.Resources.Limits)+len(ec.Resources.Requests) > 0)
		forbidden("restartPolicy", ec.RestartPolicy != nil)
		if tn := ec.TargetContainerName; tn != "" {
			found := false
			for _, c := range pod.Spec.Containers {
				found = found || c.Name == tn
			}
			for _, c := range pod.Spec.InitContainers {
				found = found || c.Name == tn
			}
			if !found {
				errs = append(errs, field.NotFound(p.Child("targetContainerName"), tn))
			}
		}
	}
	// Existing ephemeral containers may be neither removed nor changed.
	byName := map[string]corev1.EphemeralContainer{}
	for _, ec := range pod.Spec.EphemeralContainers {
		byName[ec.Name] = ec
	}
	for _, ec := range old.Spec.EphemeralContainers {
		now, ok := byName[ec.Name]
		if !ok || !apiequality.Semantic.DeepEqual(ec, now) {
			errs = append(errs, field.Forbidden(base, "existing ephemeral containers \""+ec.Name+"\" may not be changed"))
		}
	}
	return errs
}
