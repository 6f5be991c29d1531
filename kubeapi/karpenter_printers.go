package kubeapi

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	karpv1 "github.com/kubesim/kubesim/sim/apis/karpenter/v1"
	"github.com/kubesim/kubesim/sim/store"
)

// Karpenter's kinds print the additionalPrinterColumns of their CRDs
// (karpenter.sh_nodepools.yaml, karpenter.sh_nodeclaims.yaml,
// karpenter.k8s.aws_ec2nodeclasses.yaml). A JSONPath that finds nothing
// gives a null cell, which kubectl prints as <none>.
func init() {
	printers["NodePool"] = &printer{cols("Name", "NodeClass", "Nodes", "Ready", "Age", "+Weight", "+CPU", "+Memory"), func(o store.Object, now time.Time) []any {
		np := o.(*karpv1.NodePool)
		var class, nodes, weight, cpu, mem any
		if ref := np.Spec.Template.Spec.NodeClassRef; ref != nil {
			class = ref.Name
		}
		if np.Status.Nodes != nil {
			nodes = *np.Status.Nodes
		}
		if np.Spec.Weight != nil {
			weight = int64(*np.Spec.Weight)
		}
		if q, ok := np.Status.Resources["cpu"]; ok {
			cpu = q.String()
		}
		if q, ok := np.Status.Resources["memory"]; ok {
			mem = q.String()
		}
		return []any{np.Name, class, nodes, conditionStatus(np.Status.Conditions, karpv1.ConditionReady), age(np.CreationTimestamp, now), weight, cpu, mem}
	}}
	printers["NodeClaim"] = &printer{cols("Name", "Type", "Capacity", "Zone", "Node", "Ready", "Age", "+ImageID", "+ID", "+NodePool", "+NodeClass", "+Drifted"), func(o store.Object, now time.Time) []any {
		nc := o.(*karpv1.NodeClaim)
		var class any
		if ref := nc.Spec.NodeClassRef; ref != nil {
			class = ref.Name
		}
		return []any{nc.Name, label(nc.Labels, "node.kubernetes.io/instance-type"), label(nc.Labels, karpv1.LabelCapacityType),
			label(nc.Labels, "topology.kubernetes.io/zone"), nonEmpty(nc.Status.NodeName), conditionStatus(nc.Status.Conditions, karpv1.ConditionReady),
			age(nc.CreationTimestamp, now), nonEmpty(nc.Status.ImageID), nonEmpty(nc.Status.ProviderID), label(nc.Labels, karpv1.LabelNodePool),
			class, conditionStatus(nc.Status.Conditions, karpv1.ConditionDrifted)}
	}}
	printers["EC2NodeClass"] = &printer{cols("Name", "Ready", "Age", "+Role"), func(o store.Object, now time.Time) []any {
		c := o.(*karpv1.EC2NodeClass)
		return []any{c.Name, conditionStatus(c.Status.Conditions, karpv1.ConditionReady), age(c.CreationTimestamp, now), nonEmpty(c.Spec.Role)}
	}}
}

func conditionStatus(conds []metav1.Condition, t string) any {
	if c := karpv1.Condition(conds, t); c != nil {
		return string(c.Status)
	}
	return nil
}

func label(m map[string]string, k string) any {
	if v, ok := m[k]; ok {
		return v
	}
	return nil
}

func nonEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
