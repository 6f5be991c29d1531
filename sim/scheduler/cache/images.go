package cache

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// setImages moves a node's image entries from old's status to node's
// (either may be nil), keeping each image's node count.
func (c *Cache) setImages(ni *framework.NodeInfo, old, node *corev1.Node) {
	if old != nil {
		for _, img := range old.Status.Images {
			for _, name := range img.Names {
				if st := c.images[name]; st != nil {
					st.NumNodes--
					if st.NumNodes <= 0 {
						delete(c.images, name)
					}
				}
			}
		}
		ni.ImageStates = nil
	}
	if node == nil || len(node.Status.Images) == 0 {
		return
	}
	ni.ImageStates = make(map[string]*framework.ImageStateSummary, len(node.Status.Images))
	for _, img := range node.Status.Images {
		for _, name := range img.Names {
			st := c.images[name]
			if st == nil {
				st = &framework.ImageStateSummary{Size: img.SizeBytes}
				c.images[name] = st
			}
			st.NumNodes++
			ni.ImageStates[name] = st
		}
	}
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
