package framework

import corev1 "k8s.io/api/core/v1"

// Topology interns node label keys used as topology keys and their values
// as small dense integers, so that spreading plugins can keep per-domain
// counts in slices indexed by domain id instead of maps of strings, and
// read a node's domain from its NodeInfo without a label-map lookup.
//
// Key ids are stable for the Topology's life. Domain ids of a key are
// dense from 0 in order of first appearance and never reused (a value
// whose nodes are all gone keeps its id), so per-cycle users must track
// which domains they saw. The empty value "" is always domain 0 of every
// key: upstream's label-map code treats a missing label as value "" in
// places, and callers can reproduce that by mapping -1 to EmptyDomain.
type Topology struct {
	keys   []string
	ids    map[string]int
	values []map[string]int32
}

// Well-known key ids, registered by NewTopology.
const (
	HostnameKeyID = 0
	ZoneKeyID     = 1
)

// EmptyDomain is the domain id of the empty label value for every key.
const EmptyDomain int32 = 0

// NewTopology returns an interner with hostname and zone registered.
func NewTopology() *Topology {
	t := &Topology{ids: map[string]int{}}
	t.addKey(corev1.LabelHostname)
	t.addKey(corev1.LabelTopologyZone)
	return t
}

func (t *Topology) addKey(key string) int {
	id := len(t.keys)
	t.keys = append(t.keys, key)
	t.values = append(t.values, map[string]int32{"": EmptyDomain})
	t.ids[key] = id
	return id
}

// KeyID returns key's id and whether it was already registered. New keys
// are registered; the caller must then (re)fill every node's domains.
func (t *Topology) KeyID(key string) (id int, known bool) {
	if id, ok := t.ids[key]; ok {
		return id, true
	}
	return t.addKey(key), false
}

// NumKeys is the number of registered keys.
func (t *Topology) NumKeys() int { return len(t.keys) }

// NumDomains is the number of domain ids handed out for key id so far.
func (t *Topology) NumDomains(keyID int) int { return len(t.values[keyID]) }

// FillDomains sets ni's domain id for every registered key from node's
// labels (-1 where the label is missing; no domains for a nil node).
func (t *Topology) FillDomains(ni *NodeInfo, node *corev1.Node) {
	ni.domains = ni.domains[:0]
	if node == nil {
		return
	}
	for k, key := range t.keys {
		id := int32(-1)
		if v, ok := node.Labels[key]; ok {
			vals := t.values[k]
			var seen bool
			if id, seen = vals[v]; !seen {
				id = int32(len(vals))
				vals[v] = id
			}
		}
		ni.domains = append(ni.domains, id)
	}
}

// Domain is the node's domain id for key id, or -1 when the node lacks
// the label (or the key was registered after the node was last filled,
// which the lister prevents).
func (n *NodeInfo) Domain(keyID int) int32 {
	if keyID < len(n.domains) {
		return n.domains[keyID]
	}
	return -1
}
