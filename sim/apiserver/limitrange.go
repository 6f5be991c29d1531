package apiserver

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
)

// limitRangerAnnotation records what the LimitRanger admission plugin set.
const limitRangerAnnotation = "kubernetes.io/limit-ranger"

// defaultLimitRange fills in a LimitRange's items as the API server's
// defaulting does: for Container items a missing default limit is the
// max, a missing default request the default limit, else the min.
func defaultLimitRange(lr *corev1.LimitRange) {
	for i := range lr.Spec.Limits {
		it := &lr.Spec.Limits[i]
		if it.Type != corev1.LimitTypeContainer {
			continue
		}
		if it.Default == nil {
			it.Default = corev1.ResourceList{}
		}
		if it.DefaultRequest == nil {
			it.DefaultRequest = corev1.ResourceList{}
		}
		for _, k := range sortedResources(it.Max) {
			if _, ok := it.Default[k]; !ok {
				it.Default[k] = it.Max[k].DeepCopy()
			}
		}
		for _, k := range sortedResources(it.Default) {
			if _, ok := it.DefaultRequest[k]; !ok {
				it.DefaultRequest[k] = it.Default[k].DeepCopy()
			}
		}
		for _, k := range sortedResources(it.Min) {
			if _, ok := it.DefaultRequest[k]; !ok {
				it.DefaultRequest[k] = it.Min[k].DeepCopy()
			}
		}
	}
}

func sortedResources(l corev1.ResourceList) []corev1.ResourceName {
	return slices.Sorted(maps.Keys(l))
}

// admitLimitRanges is the LimitRanger admission plugin for pods: every
// LimitRange of the namespace first defaults the containers' requests and
// limits (annotating what it set), then its min, max and
// maxLimitRequestRatio are enforced per Container and per Pod.
func (s *Server) admitLimitRanges(pod *corev1.Pod) error {
	ranges := s.store.List("LimitRange", pod.Namespace)
	if len(ranges) == 0 {
		return nil
	}
	var errs []error
	for _, o := range ranges {
		lr := o.(*corev1.LimitRange)
		mergeLimitDefaults(pod, lr)
	}
	for _, o := range ranges {
		errs = append(errs, validateLimitRange(pod, o.(*corev1.LimitRange))...)
	}
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewForbidden(corev1.Resource("pods"), pod.Name, utilerrors.NewAggregate(errs))
}

// admitClaimLimitRanges is the LimitRanger for claims: a
// PersistentVolumeClaim limit's min and max bound the storage a new claim
// requests (its limits are not the user's input, as upstream).
func (s *Server) admitClaimLimitRanges(pvc *corev1.PersistentVolumeClaim) error {
	var errs []error
	for _, o := range s.store.List("LimitRange", pvc.Namespace) {
		for _, it := range o.(*corev1.LimitRange).Spec.Limits {
			if it.Type != corev1.LimitTypePersistentVolumeClaim {
				continue
			}
			typ := string(it.Type)
			for _, k := range sortedResources(it.Min) {
				if err := boundConstraint("minimum", typ, string(k), it.Min[k], pvc.Spec.Resources.Requests, nil); err != nil {
					errs = append(errs, err)
				}
			}
			for _, k := range sortedResources(it.Max) {
				r, ok := pvc.Spec.Resources.Requests[k]
				if enforced := it.Max[k]; ok && milli(r) > milli(enforced) {
					errs = append(errs, fmt.Errorf("maximum %s usage per %s is %s, but request is %s", k, typ, enforced.String(), r.String()))
				}
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewForbidden(corev1.Resource("persistentvolumeclaims"), pvc.Name, utilerrors.NewAggregate(errs))
}

func mergeLimitDefaults(pod *corev1.Pod, lr *corev1.LimitRange) {
	var def corev1.ResourceRequirements
	for _, it := range lr.Spec.Limits {
		if it.Type != corev1.LimitTypeContainer {
			continue
		}
		for k, v := range it.Default {
			if def.Limits == nil {
				def.Limits = corev1.ResourceList{}
			}
			def.Limits[k] = v
		}
		for k, v := range it.DefaultRequest {
			if def.Requests == nil {
				def.Requests = corev1.ResourceList{}
			}
			def.Requests[k] = v
		}
	}
	if len(def.Limits)+len(def.Requests) == 0 {
		return
	}
	var notes []string
	merge := func(c *corev1.Container, prefix string) {
		var setReq, setLim []string
		// New maps: the container's may be its template's (ownContainers).
		c.Resources.Limits = cloneOrNew(c.Resources.Limits)
		c.Resources.Requests = cloneOrNew(c.Resources.Requests)
		for _, k := range sortedResources(def.Limits) {
			if _, ok := c.Resources.Limits[k]; !ok {
				c.Resources.Limits[k] = def.Limits[k].DeepCopy()
				setLim = append(setLim, string(k))
			}
		}
		for _, k := range sortedResources(def.Requests) {
			if _, ok := c.Resources.Requests[k]; !ok {
				// The API's own defaulting already made a lone limit the request.
				if l, ok := c.Resources.Limits[k]; ok && !slices.Contains(setLim, string(k)) {
					c.Resources.Requests[k] = l.DeepCopy()
					continue
				}
				c.Resources.Requests[k] = def.Requests[k].DeepCopy()
				setReq = append(setReq, string(k))
			}
		}
		if len(setReq) > 0 {
			notes = append(notes, strings.Join(setReq, ", ")+" request for "+prefix+" "+c.Name)
		}
		if len(setLim) > 0 {
			notes = append(notes, strings.Join(setLim, ", ")+" limit for "+prefix+" "+c.Name)
		}
	}
	for i := range pod.Spec.Containers {
		merge(&pod.Spec.Containers[i], "container")
	}
	for i := range pod.Spec.InitContainers {
		merge(&pod.Spec.InitContainers[i], "init container")
	}
	if len(notes) > 0 {
		pod.Annotations = cloneOrNew(pod.Annotations) // may be the template's
		pod.Annotations[limitRangerAnnotation] = "LimitRanger plugin set: " + strings.Join(notes, "; ")
	}
}

// cloneOrNew is a copy of m, or a new empty map if m is nil.
func cloneOrNew[M ~map[K]V, K comparable, V any](m M) M {
	if m == nil {
		return M{}
	}
	return maps.Clone(m)
}

func validateLimitRange(pod *corev1.Pod, lr *corev1.LimitRange) []error {
	var errs []error
	check := func(typ string, it corev1.LimitRangeItem, req, lim corev1.ResourceList) {
		for _, k := range sortedResources(it.Min) {
			if err := boundConstraint("minimum", typ, string(k), it.Min[k], req, lim); err != nil {
				errs = append(errs, err)
			}
		}
		for _, k := range sortedResources(it.Max) {
			if err := boundConstraint("maximum", typ, string(k), it.Max[k], req, lim); err != nil {
				errs = append(errs, err)
			}
		}
		for _, k := range sortedResources(it.MaxLimitRequestRatio) {
			if err := ratioConstraint(typ, string(k), it.MaxLimitRequestRatio[k], req, lim); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, it := range lr.Spec.Limits {
		switch it.Type {
		case corev1.LimitTypeContainer:
			for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
				for _, c := range cs {
					check(string(it.Type), it, c.Resources.Requests, c.Resources.Limits)
				}
			}
		case corev1.LimitTypePod:
			req, lim := podTotals(pod)
			check(string(it.Type), it, req, lim)
		}
	}
	return errs
}

// podTotals sums the containers' requests and limits (the larger of the
// sum of app containers and any init container, as the pod's effective
// resources).
func podTotals(pod *corev1.Pod) (req, lim corev1.ResourceList) {
	req, lim = corev1.ResourceList{}, corev1.ResourceList{}
	for _, c := range pod.Spec.Containers {
		addList(req, c.Resources.Requests)
		addList(lim, c.Resources.Limits)
	}
	for _, c := range pod.Spec.InitContainers {
		maxList(req, c.Resources.Requests)
		maxList(lim, c.Resources.Limits)
	}
	return req, lim
}

func addList(dst, src corev1.ResourceList) {
	for k, v := range src {
		q := dst[k]
		q.Add(v)
		dst[k] = q
	}
}

func maxList(dst, src corev1.ResourceList) {
	for k, v := range src {
		if q, ok := dst[k]; !ok || v.Cmp(q) > 0 {
			dst[k] = v.DeepCopy()
		}
	}
}

func milli(q resource.Quantity) int64 { return q.MilliValue() }

// boundConstraint is upstream's minConstraint (bound "minimum") and
// maxConstraint ("maximum"): the value the bound is about (the request
// for a minimum, the limit for a maximum) must be given and within it,
// and the other value, when given, within it too.
func boundConstraint(bound, typ, name string, enforced resource.Quantity, req, lim corev1.ResourceList) error {
	r, hasReq := req[corev1.ResourceName(name)]
	l, hasLim := lim[corev1.ResourceName(name)]
	first, hasFirst, firstName, second, hasSecond, secondName := r, hasReq, "request", l, hasLim, "limit"
	outside := func(q resource.Quantity) bool { return milli(q) < milli(enforced) }
	if bound == "maximum" {
		first, hasFirst, firstName, second, hasSecond, secondName = l, hasLim, "limit", r, hasReq, "request"
		outside = func(q resource.Quantity) bool { return milli(q) > milli(enforced) }
	}
	switch {
	case !hasFirst:
		return fmt.Errorf("%s %s usage per %s is %s.  No %s is specified", bound, name, typ, enforced.String(), firstName)
	case outside(first):
		return fmt.Errorf("%s %s usage per %s is %s, but %s is %s", bound, name, typ, enforced.String(), firstName, first.String())
	case hasSecond && outside(second):
		return fmt.Errorf("%s %s usage per %s is %s, but %s is %s", bound, name, typ, enforced.String(), secondName, second.String())
	}
	return nil
}

func ratioConstraint(typ, name string, enforced resource.Quantity, req, lim corev1.ResourceList) error {
	r, hasReq := req[corev1.ResourceName(name)]
	l, hasLim := lim[corev1.ResourceName(name)]
	switch {
	case !hasReq || r.IsZero():
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but no request is specified or request is 0", name, typ, enforced.String())
	case !hasLim || l.IsZero():
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but no limit is specified or limit is 0", name, typ, enforced.String())
	}
	ratio := float64(milli(l)) / float64(milli(r))
	if ratio > float64(milli(enforced))/1000 {
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but provided ratio is %f", name, typ, enforced.String(), ratio)
	}
	return nil
}
