package cluster

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

// ECR account of the EKS add-on images in us-east-1.
const ecr = "602401143452.dkr.ecr.us-east-1.amazonaws.com/"

// Addons are the objects an EKS cluster starts with: the kube-proxy and
// aws-node (VPC CNI) DaemonSets and CoreDNS (two replicas, its Service and
// PodDisruptionBudget) and the alb IngressClass, with the requests, priorities and tolerations the
// EKS add-ons ship with, so they take room on nodes as in a real cluster.
func Addons() []store.Object {
	sys := metav1.NamespaceSystem
	tolerateAll := []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
	// The EKS add-on manifests keep the node agents off Fargate, hybrid and
	// Auto Mode nodes, which bring their own.
	notFargate := &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{
			Key: "eks.amazonaws.com/compute-type", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"fargate", "hybrid", "auto"}}}}}}}}
	kubeProxy := daemonSet(sys, "kube-proxy", map[string]string{"k8s-app": "kube-proxy"}, corev1.PodSpec{
		PriorityClassName: "system-node-critical", HostNetwork: true, Tolerations: tolerateAll, Affinity: notFargate,
		Containers: []corev1.Container{{
			Name: "kube-proxy", Image: ecr + "eks/kube-proxy:v1.32.0-minimal-eksbuild.2",
			Command:   []string{"kube-proxy", "--v=2", "--config=/var/lib/kube-proxy-config/config"},
			Resources: requests("100m", ""),
		}},
	})
	awsNode := daemonSet(sys, "aws-node", map[string]string{"k8s-app": "aws-node"}, corev1.PodSpec{
		PriorityClassName: "system-node-critical", HostNetwork: true, Tolerations: tolerateAll, Affinity: notFargate,
		InitContainers: []corev1.Container{{
			Name: "aws-vpc-cni-init", Image: ecr + "amazon-k8s-cni-init:v1.19.2-eksbuild.1",
			Resources: requests("25m", ""),
		}},
		Containers: []corev1.Container{{
			Name: "aws-node", Image: ecr + "amazon-k8s-cni:v1.19.2-eksbuild.1",
			Ports:     []corev1.ContainerPort{{Name: "metrics", ContainerPort: 61678}},
			Resources: requests("25m", ""),
		}, {
			Name: "aws-eks-nodeagent", Image: ecr + "amazon/aws-network-policy-agent:v1.1.6-eksbuild.1",
			Resources: requests("25m", ""),
		}},
	})
	dnsLabels := map[string]string{"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"}
	coreDNS := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: sys, Name: "coredns", Labels: map[string]string{"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(int32(2)),
			Selector: &metav1.LabelSelector{MatchLabels: dnsLabels},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: ptr.To(intstr.FromInt32(1))}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: dnsLabels},
				Spec: corev1.PodSpec{
					PriorityClassName: "system-cluster-critical",
					Tolerations: []corev1.Toleration{
						{Key: "CriticalAddonsOnly", Operator: corev1.TolerationOpExists},
						{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule},
					},
					Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
						PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
							Weight: 100,
							PodAffinityTerm: corev1.PodAffinityTerm{
								LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
								TopologyKey:   corev1.LabelHostname,
							},
						}},
					}},
					Containers: []corev1.Container{{
						Name: "coredns", Image: ecr + "eks/coredns:v1.11.4-eksbuild.2",
						Args: []string{"-conf", "/etc/coredns/Corefile"},
						Ports: []corev1.ContainerPort{
							{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
							{Name: "dns-tcp", ContainerPort: 53, Protocol: corev1.ProtocolTCP},
							{Name: "metrics", ContainerPort: 9153, Protocol: corev1.ProtocolTCP},
						},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("70Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("170Mi")},
						},
					}},
				},
			},
		},
	}
	kubeDNS := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: sys, Name: "kube-dns", Labels: map[string]string{"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"}},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"k8s-app": "kube-dns"},
			Ports: []corev1.ServicePort{
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)},
				{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(53)},
				{Name: "metrics", Port: 9153, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(9153)},
			},
		},
	}
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Namespace: sys, Name: "coredns", Labels: map[string]string{"k8s-app": "kube-dns"}},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: ptr.To(intstr.FromInt32(1)),
			Selector:       &metav1.LabelSelector{MatchLabels: dnsLabels},
		},
	}
	// The AWS Load Balancer Controller's IngressClass, as its Helm chart
	// installs it (the controller itself runs as sim/controllers/awslb).
	alb := &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: "alb", Labels: map[string]string{"app.kubernetes.io/name": "aws-load-balancer-controller"}},
		Spec:       networkingv1.IngressClassSpec{Controller: "ingress.k8s.aws/alb"},
	}
	return []store.Object{awsNode, kubeProxy, coreDNS, kubeDNS, pdb, GP3StorageClass(), alb}
}

func daemonSet(ns, name string, sel map[string]string, spec corev1.PodSpec) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: sel},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: ptr.To(intstr.FromString("10%"))}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: sel}, Spec: spec},
		},
	}
}

func requests(cpu, mem string) corev1.ResourceRequirements {
	r := corev1.ResourceList{}
	if cpu != "" {
		r[corev1.ResourceCPU] = resource.MustParse(cpu)
	}
	if mem != "" {
		r[corev1.ResourceMemory] = resource.MustParse(mem)
	}
	return corev1.ResourceRequirements{Requests: r}
}

// EBSCSIProvisioner is the Amazon EBS CSI driver's name.
const EBSCSIProvisioner = "ebs.csi.aws.com"

// GP3StorageClass is the cluster's default StorageClass: EBS gp3 volumes
// through the EBS CSI driver add-on, bound when a pod first uses the claim
// (so the volume is made in that pod's zone), expandable, encrypted.
func GP3StorageClass() *storagev1.StorageClass {
	return &storagev1.StorageClass{
		ObjectMeta:           metav1.ObjectMeta{Name: "gp3", Annotations: map[string]string{apiserver.IsDefaultClassAnnotation: "true"}},
		Provisioner:          EBSCSIProvisioner,
		Parameters:           map[string]string{"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"},
		ReclaimPolicy:        ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode:    ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
		AllowVolumeExpansion: ptr.To(true),
	}
}
