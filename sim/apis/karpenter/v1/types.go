package v1

//go:generate go run k8s.io/code-generator/cmd/deepcopy-gen@v0.37.2 --output-file zz_generated.deepcopy.go --go-header-file /dev/null .

import (
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The API groups.
var (
	SchemeGroupVersion    = schema.GroupVersion{Group: "karpenter.sh", Version: "v1"}
	AWSSchemeGroupVersion = schema.GroupVersion{Group: "karpenter.k8s.aws", Version: "v1"}
)

// Well-known labels, annotations and taints (karpenter.sh/...).
const (
	LabelNodePool           = "karpenter.sh/nodepool"
	LabelCapacityType       = "karpenter.sh/capacity-type"
	LabelInitialized        = "karpenter.sh/initialized"
	LabelRegistered         = "karpenter.sh/registered"
	LabelInstanceFamily     = "karpenter.k8s.aws/instance-family"
	LabelInstanceCategory   = "karpenter.k8s.aws/instance-category"
	LabelInstanceGen        = "karpenter.k8s.aws/instance-generation"
	LabelInstanceSize       = "karpenter.k8s.aws/instance-size"
	LabelInstanceCPU        = "karpenter.k8s.aws/instance-cpu"
	LabelInstanceMemory     = "karpenter.k8s.aws/instance-memory"
	LabelEC2NodeClass       = "karpenter.k8s.aws/ec2nodeclass"
	AnnotationDoNotDisrupt  = "karpenter.sh/do-not-disrupt"
	AnnotationNodePoolHash  = "karpenter.sh/nodepool-hash"
	AnnotationNodeClassHash = "karpenter.k8s.aws/ec2nodeclass-hash"
	TaintDisrupted          = "karpenter.sh/disrupted"
	TaintUnregistered       = "karpenter.sh/unregistered"
	TerminationFinalizer    = "karpenter.sh/termination"

	CapacityTypeSpot     = "spot"
	CapacityTypeOnDemand = "on-demand"
)

// NodeClaim condition types.
const (
	ConditionLaunched            = "Launched"
	ConditionRegistered          = "Registered"
	ConditionInitialized         = "Initialized"
	ConditionReady               = "Ready"
	ConditionConsolidatable      = "Consolidatable"
	ConditionDrifted             = "Drifted"
	ConditionDrained             = "Drained"
	ConditionInstanceTerminating = "InstanceTerminating"
	ConditionDisruptionReason    = "DisruptionReason"
	ConditionValidationSucceeded = "ValidationSucceeded"
	ConditionNodeClassReady      = "NodeClassReady"
)

// Consolidation policies.
const (
	ConsolidationPolicyWhenEmpty                = "WhenEmpty"
	ConsolidationPolicyWhenEmptyOrUnderutilized = "WhenEmptyOrUnderutilized"
)

// Disruption reasons (budgets' reasons).
const (
	DisruptionReasonUnderutilized = "Underutilized"
	DisruptionReasonEmpty         = "Empty"
	DisruptionReasonDrifted       = "Drifted"
)

// Karpenter's extra node selector operators.
const (
	NodeSelectorOpGte corev1.NodeSelectorOperator = "Gte"
	NodeSelectorOpLte corev1.NodeSelectorOperator = "Lte"
)

// NillableDuration is a duration or "Never" ("720h", "30s", "Never").
type NillableDuration string

// Never is the NillableDuration that disables the behaviour.
const Never NillableDuration = "Never"

// Get parses the duration; ok is false for "Never" (and for "").
func (d NillableDuration) Get() (time.Duration, bool, error) {
	if d == "" || d == Never {
		return 0, false, nil
	}
	v, err := time.ParseDuration(string(d))
	if err != nil {
		return 0, false, fmt.Errorf("%q is neither a duration (e.g. 30s, 720h) nor \"Never\"", string(d))
	}
	if v < 0 {
		return 0, false, fmt.Errorf("%q is negative", string(d))
	}
	return v, true, nil
}

// NodeSelectorRequirementWithMinValues is a node selector requirement with
// an optional minimum number of distinct values the launch must allow.
type NodeSelectorRequirementWithMinValues struct {
	Key       string                      `json:"key"`
	Operator  corev1.NodeSelectorOperator `json:"operator,omitempty"`
	Values    []string                    `json:"values,omitempty"`
	MinValues *int                        `json:"minValues,omitempty"`
}

// NodeClassReference names the NodeClass of a NodePool or NodeClaim.
type NodeClassReference struct {
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	Group string `json:"group"`
}

// ObjectMeta is the metadata a NodePool puts on its nodes.
type ObjectMeta struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// NodeClaimTemplate is a NodePool's template of its NodeClaims.
type NodeClaimTemplate struct {
	ObjectMeta `json:"metadata,omitempty"`
	Spec       NodeClaimTemplateSpec `json:"spec"`
}

// NodeClaimTemplateSpec is the spec part of a NodeClaimTemplate.
type NodeClaimTemplateSpec struct {
	Taints                 []corev1.Taint                         `json:"taints,omitempty"`
	StartupTaints          []corev1.Taint                         `json:"startupTaints,omitempty"`
	Requirements           []NodeSelectorRequirementWithMinValues `json:"requirements"`
	NodeClassRef           *NodeClassReference                    `json:"nodeClassRef"`
	TerminationGracePeriod *metav1.Duration                       `json:"terminationGracePeriod,omitempty"`
	ExpireAfter            NillableDuration                       `json:"expireAfter,omitempty"`
}

// Budget limits how many of a NodePool's nodes may be disrupted at once.
type Budget struct {
	Reasons  []string         `json:"reasons,omitempty"`
	Nodes    string           `json:"nodes"`
	Schedule *string          `json:"schedule,omitempty"`
	Duration *metav1.Duration `json:"duration,omitempty"`
}

// Disruption is a NodePool's disruption policy.
type Disruption struct {
	ConsolidateAfter    NillableDuration `json:"consolidateAfter,omitempty"`
	ConsolidationPolicy string           `json:"consolidationPolicy,omitempty"`
	Budgets             []Budget         `json:"budgets,omitempty"`
}

// NodePoolSpec is a NodePool's spec.
type NodePoolSpec struct {
	Template   NodeClaimTemplate   `json:"template"`
	Disruption Disruption          `json:"disruption"`
	Limits     corev1.ResourceList `json:"limits,omitempty"`
	Weight     *int32              `json:"weight,omitempty"`
}

// NodePoolStatus is a NodePool's status.
type NodePoolStatus struct {
	Resources  corev1.ResourceList `json:"resources,omitempty"`
	Nodes      *int64              `json:"nodes"`
	Conditions []metav1.Condition  `json:"conditions,omitempty"`
}

// NodePool (karpenter.sh/v1) is a set of constraints on the nodes
// Karpenter may launch, and how it may disrupt them.
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type NodePool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              NodePoolSpec   `json:"spec"`
	Status            NodePoolStatus `json:"status,omitempty"`
}

// ResourceRequirements are the resources a NodeClaim asks for.
type ResourceRequirements struct {
	Requests corev1.ResourceList `json:"requests,omitempty"`
}

// NodeClaimSpec is a NodeClaim's spec.
type NodeClaimSpec struct {
	Taints                 []corev1.Taint                         `json:"taints,omitempty"`
	StartupTaints          []corev1.Taint                         `json:"startupTaints,omitempty"`
	Requirements           []NodeSelectorRequirementWithMinValues `json:"requirements"`
	Resources              ResourceRequirements                   `json:"resources,omitempty"`
	NodeClassRef           *NodeClassReference                    `json:"nodeClassRef"`
	TerminationGracePeriod *metav1.Duration                       `json:"terminationGracePeriod,omitempty"`
	ExpireAfter            NillableDuration                       `json:"expireAfter,omitempty"`
}

// NodeClaimStatus is a NodeClaim's status.
type NodeClaimStatus struct {
	NodeName         string              `json:"nodeName,omitempty"`
	ProviderID       string              `json:"providerID,omitempty"`
	ImageID          string              `json:"imageID,omitempty"`
	Capacity         corev1.ResourceList `json:"capacity,omitempty"`
	Allocatable      corev1.ResourceList `json:"allocatable,omitempty"`
	Conditions       []metav1.Condition  `json:"conditions,omitempty"`
	LastPodEventTime metav1.Time         `json:"lastPodEventTime,omitempty"`
}

// NodeClaim (karpenter.sh/v1) is one machine Karpenter asked for.
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type NodeClaim struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              NodeClaimSpec   `json:"spec"`
	Status            NodeClaimStatus `json:"status,omitempty"`
}

// SelectorTerm selects subnets, security groups or AMIs by tags or id.
type SelectorTerm struct {
	Tags map[string]string `json:"tags,omitempty"`
	ID   string            `json:"id,omitempty"`
	Name string            `json:"name,omitempty"`
}

// AMISelectorTerm selects AMIs (alias "al2023@latest", tags, id, name).
type AMISelectorTerm struct {
	Alias        string            `json:"alias,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	ID           string            `json:"id,omitempty"`
	Name         string            `json:"name,omitempty"`
	Owner        string            `json:"owner,omitempty"`
	SSMParameter string            `json:"ssmParameter,omitempty"`
}

// EC2NodeClassSpec is the minimal EC2NodeClass spec the simulator models:
// what a NodeClass names (role, AMIs, subnets, security groups, tags);
// only the AMI selection and the spec hash (drift) change behaviour.
type EC2NodeClassSpec struct {
	SubnetSelectorTerms        []SelectorTerm    `json:"subnetSelectorTerms"`
	SecurityGroupSelectorTerms []SelectorTerm    `json:"securityGroupSelectorTerms"`
	AMISelectorTerms           []AMISelectorTerm `json:"amiSelectorTerms"`
	AMIFamily                  *string           `json:"amiFamily,omitempty"`
	UserData                   *string           `json:"userData,omitempty"`
	Role                       string            `json:"role,omitempty"`
	InstanceProfile            *string           `json:"instanceProfile,omitempty"`
	Tags                       map[string]string `json:"tags,omitempty"`
}

// Subnet is a resolved subnet in EC2NodeClass status.
type Subnet struct {
	ID     string `json:"id"`
	Zone   string `json:"zone"`
	ZoneID string `json:"zoneID,omitempty"`
}

// SecurityGroup is a resolved security group in EC2NodeClass status.
type SecurityGroup struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// AMI is a resolved AMI in EC2NodeClass status.
type AMI struct {
	ID           string                           `json:"id"`
	Name         string                           `json:"name,omitempty"`
	Requirements []corev1.NodeSelectorRequirement `json:"requirements"`
}

// EC2NodeClassStatus is an EC2NodeClass's status.
type EC2NodeClassStatus struct {
	Subnets         []Subnet           `json:"subnets,omitempty"`
	SecurityGroups  []SecurityGroup    `json:"securityGroups,omitempty"`
	AMIs            []AMI              `json:"amis,omitempty"`
	InstanceProfile string             `json:"instanceProfile,omitempty"`
	Conditions      []metav1.Condition `json:"conditions,omitempty"`
}

// EC2NodeClass (karpenter.k8s.aws/v1) is the AWS side of a NodePool's
// nodes.
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type EC2NodeClass struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              EC2NodeClassSpec   `json:"spec,omitempty"`
	Status            EC2NodeClassStatus `json:"status,omitempty"`
}

// The storage encoding (JSON, as etcd holds custom resources).

func size(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}

// marshalTo writes the encoding at the end of buf, as generated protobuf
// marshallers do (etcd's content hash hands a marshaller more room than
// the object needs, and takes the encoding from the end).
func marshalTo(v any, buf []byte) (int, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	if len(b) > len(buf) {
		return 0, fmt.Errorf("buffer of %d bytes for %d", len(buf), len(b))
	}
	return copy(buf[len(buf)-len(b):], b), nil
}

// Size is the length of the storage encoding.
func (in *NodePool) Size() int { return size(in) }

// MarshalToSizedBuffer writes the storage encoding.
func (in *NodePool) MarshalToSizedBuffer(b []byte) (int, error) { return marshalTo(in, b) }

// Unmarshal reads the storage encoding.
func (in *NodePool) Unmarshal(b []byte) error { return json.Unmarshal(b, in) }

// Size is the length of the storage encoding.
func (in *NodeClaim) Size() int { return size(in) }

// MarshalToSizedBuffer writes the storage encoding.
func (in *NodeClaim) MarshalToSizedBuffer(b []byte) (int, error) { return marshalTo(in, b) }

// Unmarshal reads the storage encoding.
func (in *NodeClaim) Unmarshal(b []byte) error { return json.Unmarshal(b, in) }

// Size is the length of the storage encoding.
func (in *EC2NodeClass) Size() int { return size(in) }

// MarshalToSizedBuffer writes the storage encoding.
func (in *EC2NodeClass) MarshalToSizedBuffer(b []byte) (int, error) { return marshalTo(in, b) }

// Unmarshal reads the storage encoding.
func (in *EC2NodeClass) Unmarshal(b []byte) error { return json.Unmarshal(b, in) }

// Condition returns the condition of type t, or nil.
func Condition(conds []metav1.Condition, t string) *metav1.Condition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

// IsTrue reports whether condition t is True.
func IsTrue(conds []metav1.Condition, t string) bool {
	c := Condition(conds, t)
	return c != nil && c.Status == metav1.ConditionTrue
}

// SetCondition sets condition c (keeping lastTransitionTime when the
// status does not change) and reports whether anything changed.
func SetCondition(conds *[]metav1.Condition, c metav1.Condition) bool {
	if old := Condition(*conds, c.Type); old != nil {
		if old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message && old.ObservedGeneration == c.ObservedGeneration {
			return false
		}
		if old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		*old = c
		return true
	}
	*conds = append(*conds, c)
	return true
}

// RemoveCondition drops condition t and reports whether it was there.
func RemoveCondition(conds *[]metav1.Condition, t string) bool {
	for i := range *conds {
		if (*conds)[i].Type == t {
			*conds = append((*conds)[:i], (*conds)[i+1:]...)
			return true
		}
	}
	return false
}
