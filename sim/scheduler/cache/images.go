package cache

import (
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/kubelet/images"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// setImages moves a node's image entries from old's status to node's
// (either may be nil), keeping each image's node count: under the names
// as reported (ImageStates) and under their normalised, fully qualified
// form (NormalizedImages and ImageIDs), where a name listed twice on one
// node (short and qualified spellings of one image) counts once.
func (c *Cache) setImages(ni *framework.NodeInfo, old, node *corev1.Node) {
	defer ni.SyncRow() // the node's row mirrors ImageIDs and ImageSlot
	if old != nil {
		ni.ImageStates = releaseImages(c.images, ni.ImageStates, old)
		c.releaseNormImages(ni)
	}
	if node == nil || len(node.Status.Images) == 0 {
		return
	}
	ni.ImageStates = holdImages(c.images, node)
	c.holdNormImages(ni, node)
}

// ImageID implements framework.SharedLister.
func (c *Cache) ImageID(normalized string) (int32, bool) {
	id, ok := c.imageIDs[normalized]
	return id, ok
}

// ImageSummary implements framework.SharedLister.
func (c *Cache) ImageSummary(id int32) *framework.ImageStateSummary {
	if id < 0 || int(id) >= len(c.imageByID) {
		return nil
	}
	return c.imageByID[id]
}

// ImageNodes implements framework.SharedLister.
func (c *Cache) ImageNodes(id int32) []uint64 {
	if id < 0 || int(id) >= len(c.imageNodes) {
		return nil
	}
	return c.imageNodes[id]
}

// internImage returns the id of a normalised image name, assigning the
// next one on first sight. Node events arrive in a deterministic order,
// so ids are deterministic too.
func (c *Cache) internImage(name string) int32 {
	if id, ok := c.imageIDs[name]; ok {
		return id
	}
	id := int32(len(c.imageByID))
	c.imageIDs[name] = id
	c.imageByID = append(c.imageByID, nil)
	c.imageNodes = append(c.imageNodes, nil)
	return id
}

// holdNormImages counts the node once per distinct normalised image name
// and records the names (NormalizedImages) and their ids (ImageIDs).
func (c *Cache) holdNormImages(ni *framework.NodeInfo, node *corev1.Node) {
	onNode := make(map[string]*framework.ImageStateSummary, len(node.Status.Images))
	ids := make([]int32, 0, len(node.Status.Images))
	for _, img := range node.Status.Images {
		for _, raw := range img.Names {
			n := images.Normalize(raw)
			if _, dup := onNode[n]; dup {
				continue
			}
			id := c.internImage(n)
			st := c.imageByID[id]
			if st == nil {
				st = &framework.ImageStateSummary{Size: img.SizeBytes}
				c.imageByID[id] = st
			}
			st.NumNodes++
			onNode[n] = st
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	ni.NormalizedImages, ni.ImageIDs = onNode, ids
	if len(ids) == 0 {
		return
	}
	ni.ImageSlot = c.takeSlot()
	w, bit := ni.ImageSlot>>6, uint64(1)<<(ni.ImageSlot&63)
	for _, id := range ids {
		bits := c.imageNodes[id]
		for int(w) >= len(bits) {
			bits = append(bits, 0)
		}
		bits[w] |= bit
		c.imageNodes[id] = bits
	}
}

// takeSlot returns a free ImageSlot, the most recently freed first (a
// node whose images change gets its own slot back).
func (c *Cache) takeSlot() int32 {
	if n := len(c.freeSlots); n > 0 {
		s := c.freeSlots[n-1]
		c.freeSlots = c.freeSlots[:n-1]
		return s
	}
	c.numSlots++
	return c.numSlots - 1
}

// releaseNormImages undoes holdNormImages: the node's ids are exactly the
// images it counted, so no name needs normalising again. An image no
// node has any more loses its summary (a later one starts afresh) but
// keeps its id; the node's slot is freed.
func (c *Cache) releaseNormImages(ni *framework.NodeInfo) {
	if len(ni.ImageIDs) > 0 {
		c.freeSlots = append(c.freeSlots, ni.ImageSlot)
	}
	w, bit := ni.ImageSlot>>6, uint64(1)<<(ni.ImageSlot&63)
	for _, id := range ni.ImageIDs {
		c.imageNodes[id][w] &^= bit
		st := c.imageByID[id]
		st.NumNodes--
		if st.NumNodes <= 0 {
			c.imageByID[id] = nil
		}
	}
	ni.NormalizedImages, ni.ImageIDs = nil, nil
}

// releaseImages decrements the node counts of the node's entries in
// summaries (in status order; an entry already released is skipped) and
// returns nil, the node's new map.
func releaseImages(summaries, onNode map[string]*framework.ImageStateSummary, old *corev1.Node) map[string]*framework.ImageStateSummary {
	for _, img := range old.Status.Images {
		for _, n := range img.Names {
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
func holdImages(summaries map[string]*framework.ImageStateSummary, node *corev1.Node) map[string]*framework.ImageStateSummary {
	onNode := make(map[string]*framework.ImageStateSummary, len(node.Status.Images))
	for _, img := range node.Status.Images {
		for _, n := range img.Names {
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
	return slices.EqualFunc(a, b, func(x, y corev1.ContainerImage) bool {
		return x.SizeBytes == y.SizeBytes && slices.Equal(x.Names, y.Names)
	})
}
