package cache

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/kubelet/images"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// setImages moves a node's image entries from old's status to node's
// (either may be nil), keeping each image's node count: under the names
// as reported (ImageStates) and under their normalised, fully qualified
// form (NormalizedImages), where a name listed twice on one node (short
// and qualified spellings of one image) counts once.
func (c *Cache) setImages(ni *framework.NodeInfo, old, node *corev1.Node) {
	if old != nil {
		ni.ImageStates = releaseImages(c.images, ni.ImageStates, old, rawName)
		ni.NormalizedImages = releaseImages(c.normImages, ni.NormalizedImages, old, images.Normalize)
	}
	if node == nil || len(node.Status.Images) == 0 {
		return
	}
	ni.ImageStates = holdImages(c.images, node, rawName)
	ni.NormalizedImages = holdImages(c.normImages, node, images.Normalize)
}

func rawName(s string) string { return s }

// releaseImages decrements the node counts of the node's entries in
// summaries (in status order; an entry already released is skipped) and
// returns nil, the node's new map.
func releaseImages(summaries, onNode map[string]*framework.ImageStateSummary, old *corev1.Node, name func(string) string) map[string]*framework.ImageStateSummary {
	for _, img := range old.Status.Images {
		for _, raw := range img.Names {
			n := name(raw)
			st, ok := onNode[n]
			if !ok {
				continue
			}
			delete(onNode, n)
			st.NumNodes--
			if st.NumNodes <= 0 && summaries[n] == st {
				delete(summaries, n)
			}
		}
	}
	return nil
}

// holdImages builds the node's map of image name -> summary, counting
// the node once per distinct name.
func holdImages(summaries map[string]*framework.ImageStateSummary, node *corev1.Node, name func(string) string) map[string]*framework.ImageStateSummary {
	onNode := make(map[string]*framework.ImageStateSummary, len(node.Status.Images))
	for _, img := range node.Status.Images {
		for _, raw := range img.Names {
			n := name(raw)
			if _, dup := onNode[n]; dup {
				continue
			}
			st := summaries[n]
			if st == nil {
				st = &framework.ImageStateSummary{Size: img.SizeBytes}
				summaries[n] = st
			}
			st.NumNodes++
			onNode[n] = st
		}
	}
	return onNode
}

func sameImages(a, b []corev1.ContainerImage) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].SizeBytes != b[i].SizeBytes || len(a[i].Names) != len(b[i].Names) {
			return false
		}
		for j := range a[i].Names {
			if a[i].Names[j] != b[i].Names[j] {
				return false
			}
		}
	}
	return true
}
