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
	// nodesIn[k][d] is the number of filled nodes in domain d of key k,
	// a missing label counting as EmptyDomain; live[k] is the number of
	// domains of key k holding a node. A plugin that collects the
	// domains of a set of nodes can stop once it has seen live[k].
	nodesIn [][]int32
	live    []int
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
	t.nodesIn = append(t.nodesIn, []int32{0})
	t.live = append(t.live, 0)
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
//
// A NodeInfo belongs to one Topology: its previous domains are taken out
// of this Topology's live counts before the new ones are counted.
func (t *Topology) FillDomains(ni *NodeInfo, node *corev1.Node) {
	for k, id := range ni.domains {
		t.count(k, id, -1)
	}
	ni.domains = ni.domains[:0]
	if node == nil {
		ni.SyncRow()
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
				t.nodesIn[k] = append(t.nodesIn[k], 0)
			}
		}
		ni.domains = append(ni.domains, id)
		t.count(k, id, 1)
	}
	ni.SyncRow() // the row mirrors the hostname and zone domains
}

// Filled reports whether ni has a domain for every registered key: then
// FillDomains from the same labels would take out and count again the
// same domains, and can be skipped.
func (t *Topology) Filled(ni *NodeInfo) bool { return len(ni.domains) == len(t.keys) }

// count adds delta nodes to the domain of key k that id falls in.
func (t *Topology) count(k int, id int32, delta int32) {
	if id < 0 {
		id = EmptyDomain
	}
	n := &t.nodesIn[k][id]
	switch *n += delta; {
	case delta > 0 && *n == delta:
		t.live[k]++
	case delta < 0 && *n == 0:
		t.live[k]--
	}
}

// NumLiveDomains is the number of domains of key id that hold at least
// one filled node (nodes lacking the label make up EmptyDomain). Every
// filled node's domain, read through domainOf-style mapping of -1 to
// EmptyDomain, is one of them.
func (t *Topology) NumLiveDomains(keyID int) int { return t.live[keyID] }

// Domain is the node's domain id for key id, or -1 when the node lacks
// the label (or the key was registered after the node was last filled,
// which the lister prevents).
func (n *NodeInfo) Domain(keyID int) int32 {
	if keyID < len(n.domains) {
		return n.domains[keyID]
	}
	return -1
}
