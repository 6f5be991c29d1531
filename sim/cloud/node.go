package cloud

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/kubeversion"
)

// Well-known labels EKS nodes carry besides the upstream ones.
const (
	LabelNodeGroup    = "eks.amazonaws.com/nodegroup"
	LabelCapacityType = "eks.amazonaws.com/capacityType"
)

// Versions a node reports in status.nodeInfo. The kubelet is the release
// the simulator models (EKS builds append "-eks-<commit>", which is not
// modelled); the rest are an Amazon Linux 2023 EKS AMI's.
const (
	KubeletVersion          = kubeversion.GitVersion
	ContainerRuntimeVersion = "containerd://1.7.27"
	OSImage                 = "Amazon Linux 2023.7.20250414"
	KernelVersion           = "6.1.132-147.221.amzn2023.x86_64"
	KubeletPort             = 10250
)

// NodeSpec describes a node to register.
type NodeSpec struct {
	Name         string
	Group        string // managed node group (eks.amazonaws.com/nodegroup and capacityType labels); "" for Karpenter's nodes
	Zone         string // e.g. us-east-1a; the region is the zone less its letter
	InstanceType string
	// Capacity and Allocatable of the machine: from the instance catalogue,
	// or given by the caller for custom node groups.
	Capacity, Allocatable corev1.ResourceList
	Labels                map[string]string // extra labels (override the defaults)
	CapacityType          string            // ON_DEMAND (default) or SPOT
	Taints                []corev1.Taint    // registered with the node (--register-with-taints)
	Index                 int               // position in the cluster: derives IPs and IDs
}

// SpecFor fills Capacity and Allocatable of spec from its instance type
// when the caller left them empty. It reports false for an unknown type.
func SpecFor(spec NodeSpec) (NodeSpec, bool) {
	if spec.Capacity != nil && spec.Allocatable != nil {
		return spec, true
	}
	t, ok := Lookup(spec.InstanceType)
	if !ok {
		return spec, false
	}
	if spec.Capacity == nil {
		spec.Capacity = t.Capacity()
	}
	if spec.Allocatable == nil {
		spec.Allocatable = t.Allocatable()
	}
	return spec, true
}

// Region is the region of an availability zone ("us-east-1a" -> "us-east-1").
func Region(zone string) string {
	if n := len(zone); n > 0 && zone[n-1] >= 'a' && zone[n-1] <= 'z' {
		return zone[:n-1]
	}
	return zone
}

// NodeIP is the node's primary private address in the eksctl default VPC
// 192.168.0.0/16, derived from its index (the first 4 addresses of every
// /24 are skipped: AWS reserves the start of a subnet).
func NodeIP(index int) string {
	return "192.168." + strconv.Itoa((index/250)%256) + "." + strconv.Itoa(index%250+4)
}

// PodIP is the address of the slot-th pod address of the node with the
// given index. Pods use VPC CNI custom networking: a secondary VPC CIDR
// 100.64.0.0/10 in which every node owns a /24, so 150,000 pods get unique
// addresses (the primary /16 could not hold them). slot is 0..253.
func PodIP(index, slot int) string {
	return "100." + strconv.Itoa(64+(index/256)%64) + "." + strconv.Itoa(index%256) + "." + strconv.Itoa(slot+1)
}

// Hostname is the EC2 private DNS name of an address in a region.
func Hostname(ip, region string) string {
	return "ip-" + strings.ReplaceAll(ip, ".", "-") + "." + region + ".compute.internal"
}

// InstanceID is a deterministic EC2 instance id (i- and 17 hex digits)
// for a node name.
func InstanceID(name string) string {
	return "i-0" + hexOf("instance/" + name)[:16]
}

func hexOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// NodeObject is the Node a kubelet on this machine registers: well-known
// labels, addresses, provider ID, capacity and node info. Its status has
// no conditions yet: the kubelet posts them.
func NodeObject(spec NodeSpec) *corev1.Node {
	spec, _ = SpecFor(spec)
	region := Region(spec.Zone)
	ip := NodeIP(spec.Index)
	arch := "amd64"
	if t, ok := Lookup(spec.InstanceType); ok {
		arch = t.Arch
	}
	capType := NormalizeCapacityType(spec.CapacityType)
	labels := map[string]string{
		corev1.LabelHostname:           spec.Name,
		corev1.LabelOSStable:           "linux",
		corev1.LabelArchStable:         arch,
		"beta.kubernetes.io/os":        "linux",
		"beta.kubernetes.io/arch":      arch,
		corev1.LabelInstanceTypeStable: spec.InstanceType,
		corev1.LabelInstanceType:       spec.InstanceType,
		corev1.LabelTopologyZone:       spec.Zone,
		corev1.LabelTopologyRegion:     region,
	}
	if spec.Group != "" { // the labels of an EKS managed node group's nodes
		labels[LabelNodeGroup] = spec.Group
		labels[LabelCapacityType] = capType
	}
	if spec.InstanceType == "" {
		delete(labels, corev1.LabelInstanceTypeStable)
		delete(labels, corev1.LabelInstanceType)
	}
	for k, v := range spec.Labels {
		labels[k] = v
	}
	id := hexOf("machine/" + spec.Name)
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:   spec.Name,
			Labels: labels,
			Annotations: map[string]string{
				"alpha.kubernetes.io/provided-node-ip":                   ip,
				"node.alpha.kubernetes.io/ttl":                           "0",
				"volumes.kubernetes.io/controller-managed-attach-detach": "true",
			},
		},
		Spec: corev1.NodeSpec{
			ProviderID: "aws:///" + spec.Zone + "/" + InstanceID(spec.Name),
			Taints:     append([]corev1.Taint(nil), spec.Taints...),
		},
		Status: corev1.NodeStatus{
			Capacity:    spec.Capacity.DeepCopy(),
			Allocatable: spec.Allocatable.DeepCopy(),
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: ip},
				{Type: corev1.NodeInternalDNS, Address: Hostname(ip, region)},
				{Type: corev1.NodeHostName, Address: Hostname(ip, region)},
			},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: KubeletPort}},
			NodeInfo: corev1.NodeSystemInfo{
				MachineID:               id[:32],
				SystemUUID:              "ec2" + id[32:37] + "-" + id[37:41] + "-" + id[41:45] + "-" + id[45:49] + "-" + id[49:61],
				BootID:                  hexOf("boot/" + spec.Name)[:32],
				KernelVersion:           KernelVersion,
				OSImage:                 OSImage,
				ContainerRuntimeVersion: ContainerRuntimeVersion,
				KubeletVersion:          KubeletVersion,
				OperatingSystem:         "linux",
				Architecture:            arch,
			},
		},
	}
}
