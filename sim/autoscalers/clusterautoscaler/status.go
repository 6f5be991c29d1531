package clusterautoscaler

import (
	"reflect"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// The status ConfigMap's document (upstream's YAML status format, since
// CA 1.30; probe times are left out so that the ConfigMap is written when
// something changed rather than every 10 s).
type statusDoc struct {
	AutoscalerStatus string        `json:"autoscalerStatus"`
	ClusterWide      clusterStatus `json:"clusterWide"`
	NodeGroups       []groupStatus `json:"nodeGroups"`
}

type clusterStatus struct {
	Health    healthStatus    `json:"health"`
	ScaleUp   scaleUpStatus   `json:"scaleUp"`
	ScaleDown scaleDownStatus `json:"scaleDown"`
}

type healthStatus struct {
	Status              string     `json:"status"`
	NodeCounts          nodeCounts `json:"nodeCounts"`
	CloudProviderTarget *int       `json:"cloudProviderTarget,omitempty"`
	MinSize             *int       `json:"minSize,omitempty"`
	MaxSize             *int       `json:"maxSize,omitempty"`
}

type nodeCounts struct {
	Registered   registered `json:"registered"`
	Unregistered int        `json:"unregistered"`
}

type registered struct {
	Total        int `json:"total"`
	Ready        int `json:"ready"`
	NotStarted   int `json:"notStarted"`
	BeingDeleted int `json:"beingDeleted,omitempty"`
}

type scaleUpStatus struct {
	Status      string       `json:"status"`
	BackoffInfo *backoffInfo `json:"backoffInfo,omitempty"`
}

type backoffInfo struct {
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
}

type scaleDownStatus struct {
	Status     string `json:"status"`
	Candidates int    `json:"candidates,omitempty"`
}

type groupStatus struct {
	Name      string          `json:"name"`
	Health    healthStatus    `json:"health"`
	ScaleUp   scaleUpStatus   `json:"scaleUp"`
	ScaleDown scaleDownStatus `json:"scaleDown"`
}

// writeStatus updates kube-system/cluster-autoscaler-status when the
// status changed.
func (a *Autoscaler) writeStatus(groups []NodeGroup, candidates int) {
	nodes := a.groupNodes()
	doc := statusDoc{AutoscalerStatus: "Running"}
	all := &doc.ClusterWide
	all.Health.Status = "Healthy"
	all.ScaleUp.Status, all.ScaleDown.Status = "NoActivity", "NoCandidates"
	if candidates > 0 {
		all.ScaleDown = scaleDownStatus{Status: "CandidatesPresent", Candidates: candidates}
	}
	for _, g := range groups {
		gs := groupStatus{Name: g.Name}
		target := a.cloud.TargetSize(g.Name)
		minS, maxS := g.Min, g.Max
		gs.Health = healthStatus{Status: "Healthy", CloudProviderTarget: &target, MinSize: &minS, MaxSize: &maxS}
		gs.ScaleDown.Status = "NoCandidates"
		for _, e := range nodes[g.Name] {
			n := e.node
			c := &gs.Health.NodeCounts.Registered
			c.Total++
			switch {
			case a.deleting[n.Name] != nil:
				c.BeingDeleted++
			case e.ready == corev1.ConditionTrue:
				c.Ready++
			default:
				c.NotStarted++
			}
			if _, ok := a.unneededSince[n.Name]; ok {
				gs.ScaleDown.Candidates++
				gs.ScaleDown.Status = "CandidatesPresent"
			}
		}
		gs.Health.NodeCounts.Unregistered = len(a.cloud.Upcoming(g.Name))
		gs.ScaleUp.Status = "NoActivity"
		if gs.Health.NodeCounts.Unregistered > 0 || gs.Health.NodeCounts.Registered.NotStarted > 0 {
			gs.ScaleUp.Status = "InProgress"
			all.ScaleUp.Status = "InProgress"
		}
		if b := a.backoff[g.Name]; b != nil && a.now() < b.until {
			gs.ScaleUp.Status = "Backoff"
			gs.ScaleUp.BackoffInfo = &backoffInfo{ErrorCode: "OutOfResource", ErrorMessage: b.reason}
		}
		r, t := gs.Health.NodeCounts.Registered, &all.Health.NodeCounts.Registered
		t.Total, t.Ready, t.NotStarted, t.BeingDeleted = t.Total+r.Total, t.Ready+r.Ready, t.NotStarted+r.NotStarted, t.BeingDeleted+r.BeingDeleted
		all.Health.NodeCounts.Unregistered += gs.Health.NodeCounts.Unregistered
		doc.NodeGroups = append(doc.NodeGroups, gs)
	}
	if a.statusDoc != nil && reflect.DeepEqual(*a.statusDoc, doc) {
		return // unchanged: skip marshalling it again
	}
	a.statusDoc = &doc
	b, err := yaml.Marshal(doc)
	if err != nil {
		return
	}
	text := "time: " + a.Engine.Now().Format("2006-01-02 15:04:05.000000000 -0700 MST") + "\n" + string(b)
	if string(b) == a.status {
		return
	}
	a.status = string(b)
	a.putStatus(text)
}

func (a *Autoscaler) putStatus(text string) {
	ts := a.Engine.Now().Format(time.RFC3339)
	o, err := a.Client.Get("ConfigMap", metav1.NamespaceSystem, StatusConfigMap)
	if apierrors.IsNotFound(err) {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: StatusConfigMap,
			Annotations: map[string]string{"cluster-autoscaler.kubernetes.io/last-updated": ts}},
			Data: map[string]string{"status": text}}
		_, _ = a.Client.Create(cm)
		return
	}
	if err != nil {
		return
	}
	cm := o.(*corev1.ConfigMap).DeepCopy()
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations["cluster-autoscaler.kubernetes.io/last-updated"] = ts
	cm.Data = map[string]string{"status": text}
	_, _ = a.Client.Update(cm)
}

// statusEvent records an event on the status ConfigMap (creating it
// first if the autoscaler has not written it yet).
func (a *Autoscaler) statusEvent(eventType, reason, msg string) {
	o, ok := a.Store.Get("ConfigMap", metav1.NamespaceSystem, StatusConfigMap)
	if !ok {
		a.putStatus("autoscalerStatus: Initializing\n")
		if o, ok = a.Store.Get("ConfigMap", metav1.NamespaceSystem, StatusConfigMap); !ok {
			return
		}
	}
	a.Client.Event(o, eventType, reason, msg)
}
