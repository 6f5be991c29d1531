package apiserver

import (
	"fmt"
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	karpv1 "github.com/kubesim/kubesim/sim/apis/karpenter/v1"
	"github.com/kubesim/kubesim/sim/store"
)

// Validate checks an object as kube-apiserver would on create, returning
// an Invalid error (422) listing every problem with its field path.
func Validate(obj store.Object) error {
	info, err := store.KindOf(obj)
	if err != nil {
		return err
	}
	nameFn := apivalidation.NameIsDNSSubdomain
	switch info.Kind {
	case "Namespace":
		nameFn = apivalidation.ValidateNamespaceName
	case "Service":
		nameFn = apivalidation.NameIsDNS1035Label
	case "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "CertificateSigningRequest":
		nameFn = validatePathSegmentName
	}
	// The object's own metadata, through its accessor (what
	// ValidateObjectMeta itself calls): copying it into an ObjectMeta
	// first cost an allocation per write.
	errs := apivalidation.ValidateObjectMetaAccessor(obj, info.Namespaced, nameFn, field.NewPath("metadata"))
	switch o := obj.(type) {
	case *corev1.Pod:
		errs = append(errs, validatePodSpec(&o.Spec, field.NewPath("spec"))...)
	case *appsv1.Deployment:
		errs = append(errs, validateReplicas(o.Spec.Replicas, field.NewPath("spec", "replicas"))...)
		errs = append(errs, validateSelectorTemplate(o.Spec.Selector, &o.Spec.Template, field.NewPath("spec"))...)
		sp := field.NewPath("spec", "strategy")
		switch ru := o.Spec.Strategy.RollingUpdate; {
		case o.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType && ru != nil:
			errs = append(errs, field.Forbidden(sp.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"))
		case o.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType && o.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType:
			errs = append(errs, field.NotSupported(sp.Child("type"), o.Spec.Strategy.Type, []string{string(appsv1.RecreateDeploymentStrategyType), string(appsv1.RollingUpdateDeploymentStrategyType)}))
		case ru != nil:
			errs = append(errs, validateRollingUpdate(ru.MaxSurge, ru.MaxUnavailable, sp.Child("rollingUpdate"))...)
		}
	case *appsv1.ReplicaSet:
		errs = append(errs, validateReplicas(o.Spec.Replicas, field.NewPath("spec", "replicas"))...)
		errs = append(errs, validateSelectorTemplate(o.Spec.Selector, &o.Spec.Template, field.NewPath("spec"))...)
	case *corev1.ReplicationController:
		errs = append(errs, validateReplicationControllerSpec(&o.Spec, field.NewPath("spec"))...)
	case *appsv1.DaemonSet:
		errs = append(errs, validateSelectorTemplate(o.Spec.Selector, &o.Spec.Template, field.NewPath("spec"))...)
		if o.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways {
			errs = append(errs, field.NotSupported(field.NewPath("spec", "template", "spec", "restartPolicy"), o.Spec.Template.Spec.RestartPolicy, []string{string(corev1.RestartPolicyAlways)}))
		}
	case *appsv1.StatefulSet:
		errs = append(errs, validateReplicas(o.Spec.Replicas, field.NewPath("spec", "replicas"))...)
		errs = append(errs, validateSelectorTemplate(o.Spec.Selector, &o.Spec.Template, field.NewPath("spec"))...)
	case *corev1.Service:
		errs = append(errs, validateService(o)...)
	case *networkingv1.NetworkPolicy:
		errs = append(errs, validateNetworkPolicy(o)...)
	case *batchv1.Job:
		errs = append(errs, validateJobSpec(o, &o.Spec, field.NewPath("spec"))...)
	case *batchv1.CronJob:
		errs = append(errs, validateCronJob(o)...)
	case *autoscalingv2.HorizontalPodAutoscaler:
		errs = append(errs, validateHPA(o)...)
	case *karpv1.NodePool:
		errs = append(errs, validateNodePool(o)...)
	case *karpv1.NodeClaim:
		errs = append(errs, validateNodeClaim(o)...)
	case *karpv1.EC2NodeClass:
		errs = append(errs, validateEC2NodeClass(o)...)
	case *rbacv1.Role:
		errs = append(errs, validateRules(o.Rules, true)...)
	case *rbacv1.ClusterRole:
		errs = append(errs, validateRules(o.Rules, false)...)
		errs = append(errs, validateAggregation(o.AggregationRule)...)
	case *rbacv1.RoleBinding:
		errs = append(errs, validateRoleRef(o.RoleRef, []string{"Role", "ClusterRole"})...)
		errs = append(errs, validateSubjects(o.Subjects, true)...)
	case *rbacv1.ClusterRoleBinding:
		errs = append(errs, validateRoleRef(o.RoleRef, []string{"ClusterRole"})...)
		errs = append(errs, validateSubjects(o.Subjects, false)...)
	case *certificatesv1.CertificateSigningRequest:
		errs = append(errs, validateCSR(o)...)
	case *policyv1.PodDisruptionBudget:
		p := field.NewPath("spec")
		if o.Spec.MinAvailable != nil && o.Spec.MaxUnavailable != nil {
			errs = append(errs, field.Invalid(p, o.Spec, "minAvailable and maxUnavailable cannot be both set"))
		}
		errs = append(errs, metav1validation.ValidateLabelSelector(o.Spec.Selector, metav1validation.LabelSelectorValidationOptions{}, p.Child("selector"))...)
	}
	errs = append(errs, validateStorageKinds(obj)...)
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(info.GVK().GroupKind(), obj.GetName(), errs)
}

func validateUpdate(obj, old store.Object) error {
	info, _ := store.KindOf(obj)
	var errs field.ErrorList
	switch o := obj.(type) {
	case *appsv1.Deployment:
		if !apiEqualSelector(o.Spec.Selector, old.(*appsv1.Deployment).Spec.Selector) {
			errs = append(errs, field.Invalid(field.NewPath("spec", "selector"), o.Spec.Selector, "field is immutable"))
		}
	case *appsv1.DaemonSet:
		if !apiEqualSelector(o.Spec.Selector, old.(*appsv1.DaemonSet).Spec.Selector) {
			errs = append(errs, field.Invalid(field.NewPath("spec", "selector"), o.Spec.Selector, "field is immutable"))
		}
	case *rbacv1.RoleBinding:
		if o.RoleRef != old.(*rbacv1.RoleBinding).RoleRef {
			errs = append(errs, field.Invalid(field.NewPath("roleRef"), o.RoleRef, "field is immutable"))
		}
	case *rbacv1.ClusterRoleBinding:
		if o.RoleRef != old.(*rbacv1.ClusterRoleBinding).RoleRef {
			errs = append(errs, field.Invalid(field.NewPath("roleRef"), o.RoleRef, "field is immutable"))
		}
	case *certificatesv1.CertificateSigningRequest:
		errs = append(errs, validateCSRUpdate(o, old.(*certificatesv1.CertificateSigningRequest))...)
	case *corev1.Pod:
		op := old.(*corev1.Pod)
		if o.Spec.NodeName != op.Spec.NodeName && op.Spec.NodeName != "" {
			errs = append(errs, field.Forbidden(field.NewPath("spec", "nodeName"), "pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(info.GVK().GroupKind(), obj.GetName(), errs)
}

func apiEqualSelector(a, b *metav1.LabelSelector) bool {
	sa, _ := metav1.LabelSelectorAsSelector(a)
	sb, _ := metav1.LabelSelectorAsSelector(b)
	return sa.String() == sb.String()
}

func validateReplicas(r *int32, p *field.Path) field.ErrorList {
	if r != nil && *r < 0 {
		return field.ErrorList{field.Invalid(p, *r, "must be greater than or equal to 0")}
	}
	return nil
}

func validateRollingUpdate(surge, unavail *intstr.IntOrString, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, x := range []struct {
		v    *intstr.IntOrString
		name string
	}{{surge, "maxSurge"}, {unavail, "maxUnavailable"}} {
		if x.v == nil {
			continue
		}
		if x.v.Type == intstr.String {
			if _, err := intstr.GetScaledValueFromIntOrPercent(x.v, 100, true); err != nil {
				errs = append(errs, field.Invalid(p.Child(x.name), x.v.StrVal, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"))
			}
		} else if x.v.IntVal < 0 {
			errs = append(errs, field.Invalid(p.Child(x.name), x.v.IntVal, "must be greater than or equal to 0"))
		}
	}
	s, _ := intstr.GetScaledValueFromIntOrPercent(surge, 100, true)
	u, _ := intstr.GetScaledValueFromIntOrPercent(unavail, 100, true)
	if len(errs) == 0 && s == 0 && u == 0 {
		// The IntOrString itself is the bad value (rendered 0 or "0%"), as upstream.
		errs = append(errs, field.Invalid(p.Child("maxUnavailable"), unavail, "may not be 0 when `maxSurge` is 0"))
	}
	return errs
}

func validateSelectorTemplate(sel *metav1.LabelSelector, t *corev1.PodTemplateSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if sel == nil {
		errs = append(errs, field.Required(p.Child("selector"), ""))
	} else {
		errs = append(errs, metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, p.Child("selector"))...)
		if len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
			errs = append(errs, field.Invalid(p.Child("selector"), sel, "empty selector is invalid for deployment"))
		}
	}
	tp := p.Child("template")
	errs = append(errs, metav1validation.ValidateLabels(t.Labels, tp.Child("metadata", "labels"))...)
	if sel != nil && len(errs) == 0 {
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err == nil && !s.Matches(labels.Set(t.Labels)) {
			errs = append(errs, field.Invalid(tp.Child("metadata", "labels"), t.Labels, "`selector` does not match template `labels`"))
		}
	}
	errs = append(errs, validatePodSpec(&t.Spec, tp.Child("spec"))...)
	return errs
}

// validateReplicationControllerSpec is upstream's
// ValidateReplicationControllerSpec: a non-negative minReadySeconds and
// replicas, a selector that is not empty and matches the template's
// labels, and a template whose pods restart Always and have no
// activeDeadlineSeconds.
func validateReplicationControllerSpec(s *corev1.ReplicationControllerSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.MinReadySeconds < 0 {
		errs = append(errs, field.Invalid(p.Child("minReadySeconds"), s.MinReadySeconds, "must be greater than or equal to 0"))
	}
	sel := labels.SelectorFromSet(s.Selector)
	if sel.Empty() {
		errs = append(errs, field.Required(p.Child("selector"), ""))
	}
	errs = append(errs, validateReplicas(s.Replicas, p.Child("replicas"))...)
	tp := p.Child("template")
	t := s.Template
	if t == nil {
		return append(errs, field.Required(tp, ""))
	}
	errs = append(errs, metav1validation.ValidateLabels(t.Labels, tp.Child("metadata", "labels"))...)
	if !sel.Empty() && !sel.Matches(labels.Set(t.Labels)) {
		errs = append(errs, field.Invalid(tp.Child("metadata", "labels"), t.Labels, "`selector` does not match template `labels`"))
	}
	errs = append(errs, validatePodSpec(&t.Spec, tp.Child("spec"))...)
	if t.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		errs = append(errs, field.NotSupported(tp.Child("spec", "restartPolicy"), t.Spec.RestartPolicy, []string{string(corev1.RestartPolicyAlways)}))
	}
	if t.Spec.ActiveDeadlineSeconds != nil {
		errs = append(errs, field.Forbidden(tp.Child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in ReplicationController is not Supported"))
	}
	return errs
}

var restartPolicies = []string{string(corev1.RestartPolicyAlways), string(corev1.RestartPolicyOnFailure), string(corev1.RestartPolicyNever)}

func validatePodSpec(s *corev1.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(s.Containers) == 0 {
		errs = append(errs, field.Required(p.Child("containers"), ""))
	}
	names := sets.New[string]()
	for i := range s.InitContainers {
		errs = append(errs, validateContainer(&s.InitContainers[i], names, func() *field.Path { return p.Child("initContainers").Index(i) })...)
	}
	for i := range s.Containers {
		errs = append(errs, validateContainer(&s.Containers[i], names, func() *field.Path { return p.Child("containers").Index(i) })...)
	}
	if s.RestartPolicy != "" && !slices.Contains(restartPolicies, string(s.RestartPolicy)) {
		errs = append(errs, field.NotSupported(p.Child("restartPolicy"), s.RestartPolicy, restartPolicies))
	}
	if s.NodeName != "" {
		for _, msg := range validation.IsDNS1123Subdomain(s.NodeName) {
			errs = append(errs, field.Invalid(p.Child("nodeName"), s.NodeName, msg))
		}
	}
	if len(s.NodeSelector) > 0 { // the path is not built for nothing
		errs = append(errs, metav1validation.ValidateLabels(s.NodeSelector, p.Child("nodeSelector"))...)
	}
	for i, t := range s.Tolerations {
		// The path is built only for an error: every pod carries the
		// default tolerations.
		tp := func() *field.Path { return p.Child("tolerations").Index(i) }
		if t.Operator == corev1.TolerationOpExists && t.Value != "" {
			errs = append(errs, field.Invalid(tp().Child("operator"), t.Value, "value must be empty when `operator` is 'Exists'"))
		}
		if t.Operator != "" && t.Operator != corev1.TolerationOpExists && t.Operator != corev1.TolerationOpEqual {
			errs = append(errs, field.NotSupported(tp().Child("operator"), t.Operator, []string{"Equal", "Exists"}))
		}
		if t.Key == "" && t.Operator != corev1.TolerationOpExists {
			errs = append(errs, field.Invalid(tp().Child("operator"), t.Operator, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
		}
		switch t.Effect {
		case "", corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		default:
			errs = append(errs, field.NotSupported(tp().Child("effect"), t.Effect, []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}))
		}
	}
	if s.TerminationGracePeriodSeconds != nil && *s.TerminationGracePeriodSeconds < 0 {
		errs = append(errs, field.Invalid(p.Child("terminationGracePeriodSeconds"), *s.TerminationGracePeriodSeconds, "must be greater than or equal to 0"))
	}
	return errs
}

// validateContainer validates one container; p is its path, built only
// for an error (every pod of a scenario passes through here).
func validateContainer(c *corev1.Container, names sets.Set[string], p func() *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.Name == "" {
		errs = append(errs, field.Required(p().Child("name"), ""))
	} else {
		for _, msg := range validation.IsDNS1123Label(c.Name) {
			errs = append(errs, field.Invalid(p().Child("name"), c.Name, msg))
		}
		if names.Has(c.Name) {
			errs = append(errs, field.Duplicate(p().Child("name"), c.Name))
		}
		names.Insert(c.Name)
	}
	if c.Image == "" {
		errs = append(errs, field.Required(p().Child("image"), ""))
	}
	if resourcesInvalid(&c.Resources) {
		errs = append(errs, validateResources(&c.Resources, p().Child("resources"))...)
	}
	for i, port := range c.Ports {
		if port.ContainerPort < 1 || port.ContainerPort > 65535 {
			errs = append(errs, field.Invalid(p().Child("ports").Index(i).Child("containerPort"), port.ContainerPort, validation.InclusiveRangeError(1, 65535)))
		}
	}
	return errs
}

// resourcesInvalid reports whether validateResources finds an error. It
// reads the maps in any order and builds nothing, so that valid
// resources (all of them, in a scenario that runs) cost no sorting and
// no paths.
func resourcesInvalid(r *corev1.ResourceRequirements) bool {
	for name, q := range r.Requests {
		if l, ok := r.Limits[name]; q.Sign() < 0 || ok && q.Cmp(l) > 0 {
			return true
		}
	}
	for _, q := range r.Limits {
		if q.Sign() < 0 {
			return true
		}
	}
	return false
}

// validateResources lists the errors of a container's requests and
// limits, by resource name (the list must not depend on map order).
func validateResources(r *corev1.ResourceRequirements, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, name := range slices.Sorted(maps.Keys(r.Requests)) {
		q := r.Requests[name]
		rp := p.Child("requests").Key(string(name))
		if q.Sign() < 0 {
			errs = append(errs, field.Invalid(rp, q.String(), "must be greater than or equal to 0"))
		}
		if l, ok := r.Limits[name]; ok && q.Cmp(l) > 0 {
			errs = append(errs, field.Invalid(rp, q.String(), fmt.Sprintf("must be less than or equal to %s limit of %s", name, l.String())))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.Limits)) {
		if q := r.Limits[name]; q.Sign() < 0 {
			errs = append(errs, field.Invalid(p.Child("limits").Key(string(name)), q.String(), "must be greater than or equal to 0"))
		}
	}
	return errs
}

func validateService(s *corev1.Service) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("spec")
	if len(s.Spec.Ports) == 0 && s.Spec.ClusterIP != corev1.ClusterIPNone && s.Spec.Type != corev1.ServiceTypeExternalName {
		errs = append(errs, field.Required(p.Child("ports"), ""))
	}
	for i, port := range s.Spec.Ports {
		if port.Port < 1 || port.Port > 65535 {
			errs = append(errs, field.Invalid(p.Child("ports").Index(i).Child("port"), port.Port, validation.InclusiveRangeError(1, 65535)))
		}
		if len(s.Spec.Ports) > 1 && port.Name == "" {
			errs = append(errs, field.Required(p.Child("ports").Index(i).Child("name"), ""))
		}
	}
	errs = append(errs, metav1validation.ValidateLabels(s.Spec.Selector, p.Child("selector"))...)
	return errs
}
