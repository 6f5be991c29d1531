// Package kubeversion names the one Kubernetes release the simulator
// models: the release of the k8s.io/api types it is built on (go.mod).
// /version, the kubelet's reported version, scheduler messages and
// controller defaults follow this release.
package kubeversion

// Kubernetes release the simulator models (k8s.io/api v0.37.2 is
// Kubernetes v1.37.2).
const (
	GitVersion = "v1.37.2"
	Major      = "1"
	Minor      = "37"
)
