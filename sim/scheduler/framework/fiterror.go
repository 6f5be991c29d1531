package framework

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// NoNodeAvailableMsg starts every "no node fits" message.
const NoNodeAvailableMsg = "0/%v nodes are available"

// Diagnosis says why a pod fits no node.
type Diagnosis struct {
	// NodeStatuses holds each rejected node's status.
	NodeStatuses []NodeStatus
	// PreFilterMsg is set when a PreFilter rejected the pod for all nodes.
	PreFilterMsg string
	// PostFilterMsg is the PostFilter's (preemption's) message.
	PostFilterMsg string
	// UnschedulablePlugins names the plugins that rejected the pod, sorted.
	UnschedulablePlugins []string
}

// FitError is the error of a pod that fits no node.
type FitError struct {
	Pod         *corev1.Pod
	NumAllNodes int
	Diagnosis   Diagnosis
}

// Error builds upstream's message: "0/N nodes are available: " then the
// reasons with their node counts, sorted as strings (so "10 X" sorts
// before "2 Y", exactly as kube-scheduler prints), then the PostFilter
// message as is.
func (f *FitError) Error() string {
	msg := fmt.Sprintf(NoNodeAvailableMsg+":", f.NumAllNodes)
	if f.Diagnosis.PreFilterMsg != "" {
		msg += " " + f.Diagnosis.PreFilterMsg + "."
	} else if h := ReasonHistogram(f.Diagnosis.NodeStatuses); len(h) > 0 {
		msg += " " + strings.Join(h, ", ") + "."
	}
	// The PostFilter message brings its own final period.
	if f.Diagnosis.PostFilterMsg != "" {
		msg += " " + f.Diagnosis.PostFilterMsg
	}
	return msg
}

// ReasonHistogram counts each reason over the statuses and returns
// "<count> <reason>" strings sorted.
func ReasonHistogram(statuses []NodeStatus) []string {
	counts := map[string]int{}
	for _, ns := range statuses {
		for _, r := range ns.Status.Reasons() {
			counts[r]++
		}
	}
	out := make([]string, 0, len(counts))
	for r, n := range counts {
		out = append(out, strconv.Itoa(n)+" "+r)
	}
	slices.Sort(out)
	return out
}
