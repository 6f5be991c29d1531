package apiserver

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	karpv1 "github.com/kubesim/kubesim/sim/apis/karpenter/v1"
	"github.com/kubesim/kubesim/sim/store"
)

// Default fills in the fields kube-apiserver defaults (the values of
// k8s.io/kubernetes/pkg/apis/*/v1/defaults.go for the fields we model).
func Default(obj store.Object) {
	switch o := obj.(type) {
	case *corev1.Pod:
		ownContainers(&o.Spec)
		defaultPodSpec(&o.Spec)
		o.Status.Phase = cmp.Or(o.Status.Phase, corev1.PodPending)
	case *appsv1.Deployment:
		defaultDeployment(o)
	case *appsv1.ReplicaSet:
		o.Spec.Replicas = cmp.Or(o.Spec.Replicas, ptr.To(int32(1)))
		defaultTemplateLabels(&o.Spec.Template, &o.Labels)
		defaultPodSpec(&o.Spec.Template.Spec)
	case *corev1.ReplicationController:
		defaultReplicationController(o)
	case *appsv1.DaemonSet:
		defaultDaemonSet(o)
	case *batchv1.Job:
		defaultJob(o)
	case *batchv1.CronJob:
		defaultCronJob(o)
	case *autoscalingv2.HorizontalPodAutoscaler:
		defaultHPA(o)
	case *karpv1.NodePool:
		defaultNodePool(o)
	case *karpv1.NodeClaim:
		defaultNodeClaim(o)
	case *appsv1.StatefulSet:
		o.Spec.Replicas = cmp.Or(o.Spec.Replicas, ptr.To(int32(1)))
		o.Spec.PodManagementPolicy = cmp.Or(o.Spec.PodManagementPolicy, appsv1.OrderedReadyPodManagement)
		o.Spec.UpdateStrategy.Type = cmp.Or(o.Spec.UpdateStrategy.Type, appsv1.RollingUpdateStatefulSetStrategyType)
		o.Spec.RevisionHistoryLimit = cmp.Or(o.Spec.RevisionHistoryLimit, ptr.To(int32(10)))
		defaultClaimTemplates(o)
		defaultPodSpec(&o.Spec.Template.Spec)
	case *corev1.Service:
		defaultService(o)
	case *networkingv1.NetworkPolicy:
		defaultNetworkPolicy(o)
	case *corev1.Secret:
		o.Type = cmp.Or(o.Type, corev1.SecretTypeOpaque)
	case *corev1.Namespace:
		o.Status.Phase = cmp.Or(o.Status.Phase, corev1.NamespaceActive)
		if o.Labels == nil {
			o.Labels = map[string]string{}
		}
		o.Labels[corev1.LabelMetadataName] = o.Name
	default:
		defaultStorageKinds(obj)
	}
}

func defaultTemplateLabels(t *corev1.PodTemplateSpec, objLabels *map[string]string) {
	if len(*objLabels) == 0 && len(t.Labels) > 0 {
		*objLabels = map[string]string{}
		for k, v := range t.Labels {
			(*objLabels)[k] = v
		}
	}
}

// defaultReplicationController is upstream's
// SetDefaults_ReplicationController: the selector and the labels default
// to the template's labels, replicas to 1; then the pod template's spec.
func defaultReplicationController(rc *corev1.ReplicationController) {
	if t := rc.Spec.Template; t != nil && t.Labels != nil {
		if len(rc.Spec.Selector) == 0 {
			rc.Spec.Selector = maps.Clone(t.Labels)
		}
		if len(rc.Labels) == 0 {
			rc.Labels = maps.Clone(t.Labels)
		}
	}
	rc.Spec.Replicas = cmp.Or(rc.Spec.Replicas, ptr.To(int32(1)))
	if rc.Spec.Template != nil {
		defaultPodSpec(&rc.Spec.Template.Spec)
	}
}

func defaultDeployment(d *appsv1.Deployment) {
	d.Spec.Replicas = cmp.Or(d.Spec.Replicas, ptr.To(int32(1)))
	d.Spec.Strategy.Type = cmp.Or(d.Spec.Strategy.Type, appsv1.RollingUpdateDeploymentStrategyType)
	if d.Spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType {
		d.Spec.Strategy.RollingUpdate = cmp.Or(d.Spec.Strategy.RollingUpdate, &appsv1.RollingUpdateDeployment{})
		// Two values: the fields must not alias one another.
		if d.Spec.Strategy.RollingUpdate.MaxSurge == nil {
			q := intstr.FromString("25%")
			d.Spec.Strategy.RollingUpdate.MaxSurge = &q
		}
		if d.Spec.Strategy.RollingUpdate.MaxUnavailable == nil {
			q := intstr.FromString("25%")
			d.Spec.Strategy.RollingUpdate.MaxUnavailable = &q
		}
	}
	d.Spec.RevisionHistoryLimit = cmp.Or(d.Spec.RevisionHistoryLimit, ptr.To(int32(10)))
	d.Spec.ProgressDeadlineSeconds = cmp.Or(d.Spec.ProgressDeadlineSeconds, ptr.To(int32(600)))
	defaultTemplateLabels(&d.Spec.Template, &d.Labels)
	defaultPodSpec(&d.Spec.Template.Spec)
}

func defaultDaemonSet(d *appsv1.DaemonSet) {
	d.Spec.UpdateStrategy.Type = cmp.Or(d.Spec.UpdateStrategy.Type, appsv1.RollingUpdateDaemonSetStrategyType)
	if d.Spec.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		d.Spec.UpdateStrategy.RollingUpdate = cmp.Or(d.Spec.UpdateStrategy.RollingUpdate, &appsv1.RollingUpdateDaemonSet{})
		if d.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable == nil {
			v := intstr.FromInt32(1)
			d.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = &v
		}
		if d.Spec.UpdateStrategy.RollingUpdate.MaxSurge == nil {
			v := intstr.FromInt32(0)
			d.Spec.UpdateStrategy.RollingUpdate.MaxSurge = &v
		}
	}
	d.Spec.RevisionHistoryLimit = cmp.Or(d.Spec.RevisionHistoryLimit, ptr.To(int32(10)))
	defaultTemplateLabels(&d.Spec.Template, &d.Labels)
	defaultPodSpec(&d.Spec.Template.Spec)
}

func defaultService(s *corev1.Service) {
	s.Spec.Type = cmp.Or(s.Spec.Type, corev1.ServiceTypeClusterIP)
	s.Spec.SessionAffinity = cmp.Or(s.Spec.SessionAffinity, corev1.ServiceAffinityNone)
	defaultServiceFamilies(s)
	if s.Spec.InternalTrafficPolicy == nil {
		p := corev1.ServiceInternalTrafficPolicyCluster
		s.Spec.InternalTrafficPolicy = &p
	}
	for i := range s.Spec.Ports {
		p := &s.Spec.Ports[i]
		p.Protocol = cmp.Or(p.Protocol, corev1.ProtocolTCP)
		if p.TargetPort == (intstr.IntOrString{}) {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
}

func defaultPodSpec(s *corev1.PodSpec) {
	s.RestartPolicy = cmp.Or(s.RestartPolicy, corev1.RestartPolicyAlways)
	// The pointers are made only when missing (cmp.Or would allocate each
	// default for every pod, its template's already there).
	if s.TerminationGracePeriodSeconds == nil {
		s.TerminationGracePeriodSeconds = ptr.To(int64(corev1.DefaultTerminationGracePeriodSeconds))
	}
	s.DNSPolicy = cmp.Or(s.DNSPolicy, corev1.DNSClusterFirst)
	s.SchedulerName = cmp.Or(s.SchedulerName, corev1.DefaultSchedulerName)
	if s.SecurityContext == nil {
		s.SecurityContext = &corev1.PodSecurityContext{}
	}
	if s.EnableServiceLinks == nil {
		s.EnableServiceLinks = ptr.To(true)
	}
	for i := range s.InitContainers {
		defaultContainer(&s.InitContainers[i])
	}
	for i := range s.Containers {
		defaultContainer(&s.Containers[i])
	}
	for i := range s.EphemeralContainers {
		c := (*corev1.Container)(&s.EphemeralContainers[i].EphemeralContainerCommon)
		defaultContainer(c)
	}
}

// ownContainers gives a pod its own container lists: shallow copies,
// whose fields defaulting and admission may set, while everything the
// containers point to (resources, ports, env, probes, mounts) stays shared
// with whatever the caller built the pod from — a controller's template
// (controllerutil.SharedPodFromTemplate) or the stored pod it updates.
// Nothing on the create or update path writes through those: it replaces
// them (copy on write), as defaultContainer does.
func ownContainers(s *corev1.PodSpec) {
	s.InitContainers = slices.Clone(s.InitContainers)
	s.Containers = slices.Clone(s.Containers)
	s.EphemeralContainers = slices.Clone(s.EphemeralContainers)
}

// defaultContainer sets the container's own fields and never writes
// through its slices, maps or pointers: a port, a request or a probe that
// needs a default is set on a copy that replaces the shared one. So a pod
// spec may share those with its template (ownContainers).
func defaultContainer(c *corev1.Container) {
	c.ImagePullPolicy = cmp.Or(c.ImagePullPolicy, DefaultPullPolicy(c.Image))
	c.TerminationMessagePath = cmp.Or(c.TerminationMessagePath, corev1.TerminationMessagePathDefault)
	c.TerminationMessagePolicy = cmp.Or(c.TerminationMessagePolicy, corev1.TerminationMessageReadFile)
	if slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Protocol == "" }) {
		c.Ports = slices.Clone(c.Ports)
		for i := range c.Ports {
			c.Ports[i].Protocol = cmp.Or(c.Ports[i].Protocol, corev1.ProtocolTCP)
		}
	}
	// Requests default to limits when only limits are given.
	var req corev1.ResourceList
	for name, q := range c.Resources.Limits {
		if _, ok := c.Resources.Requests[name]; !ok {
			if req == nil {
				req = make(corev1.ResourceList, len(c.Resources.Requests)+len(c.Resources.Limits))
				maps.Copy(req, c.Resources.Requests)
			}
			req[name] = q.DeepCopy()
		}
	}
	if req != nil {
		c.Resources.Requests = req
	}
	c.LivenessProbe = defaultProbe(c.LivenessProbe)
	c.ReadinessProbe = defaultProbe(c.ReadinessProbe)
	c.StartupProbe = defaultProbe(c.StartupProbe)
}

// defaultProbe is p, or a defaulted copy of it if it lacks a period,
// timeout or threshold.
func defaultProbe(p *corev1.Probe) *corev1.Probe {
	if p == nil || (p.PeriodSeconds != 0 && p.TimeoutSeconds != 0 && p.SuccessThreshold != 0 && p.FailureThreshold != 0) {
		return p
	}
	d := p.DeepCopy()
	d.PeriodSeconds = cmp.Or(d.PeriodSeconds, 10)
	d.TimeoutSeconds = cmp.Or(d.TimeoutSeconds, 1)
	d.SuccessThreshold = cmp.Or(d.SuccessThreshold, 1)
	d.FailureThreshold = cmp.Or(d.FailureThreshold, 3)
	return d
}

// DefaultPullPolicy is Always for an image with the :latest tag or no tag,
// else IfNotPresent. A digest without a tag counts as pinned; a digest
// with the :latest tag is still Always, as upstream's tag parsing says.
func DefaultPullPolicy(image string) corev1.PullPolicy {
	name := image
	digest := false
	if i := strings.Index(name, "@"); i >= 0 {
		name, digest = name[:i], true
	}
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	i := strings.LastIndex(name, ":")
	if (i < 0 && !digest) || (i >= 0 && name[i+1:] == "latest") {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}
