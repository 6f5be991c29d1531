package endpointslice

import (
	"errors"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"
)

// pending is an existing slice with the endpoints it will hold.
type pending struct {
	slice   *discoveryv1.EndpointSlice
	eps     []discoveryv1.Endpoint
	changed bool
}

// plan is the writes one sync makes.
type plan struct {
	creates, updates, deletes []*discoveryv1.EndpointSlice
}

// reconcile turns existing slices into the desired endpoints with few
// writes: endpoints stay in their slice, new ones fill slices that change
// anyway, then slices with room, then emptied slices, then new slices.
// A service without endpoints keeps one empty placeholder slice.
func (c *Controller) reconcile(svc *corev1.Service, desired map[string]*group, existing map[string][]*discoveryv1.EndpointSlice) error {
	for _, olds := range existing {
		slices.SortFunc(olds, func(a, b *discoveryv1.EndpointSlice) int { return strings.Compare(a.Name, b.Name) })
	}
	var p plan
	if len(desired) == 0 {
		p = c.placeholder(svc, existing)
	} else {
		p = c.plan(svc, desired, existing)
	}
	return c.apply(p)
}

func (c *Controller) plan(svc *corev1.Service, desired map[string]*group, existing map[string][]*discoveryv1.EndpointSlice) plan {
	var p plan
	var recycle []*discoveryv1.EndpointSlice
	wantLabels := sliceLabels(svc)
	max := c.maxPerSlice
	keys := slices.Sorted(maps.Keys(existing))
	for k := range desired {
		if _, ok := existing[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	type leftover struct {
		g     *group
		names []string
	}
	var left []leftover
	for _, k := range keys {
		g := desired[k]
		if g == nil {
			recycle = append(recycle, existing[k]...)
			continue
		}
		consumed := map[string]bool{}
		var kept []*pending
		for _, s := range existing[k] {
			w := keepEndpoints(s, g, consumed)
			if !maps.Equal(s.Labels, wantLabels) {
				w.changed = true
			}
			if len(w.eps) == 0 {
				recycle = append(recycle, s)
				continue
			}
			kept = append(kept, w)
		}
		var names []string
		for _, n := range g.order {
			if !consumed[n] {
				names = append(names, n)
			}
		}
		for _, changedFirst := range []bool{true, false} {
			for _, w := range kept {
				if w.changed != changedFirst {
					continue
				}
				for len(w.eps) < max && len(names) > 0 {
					w.eps = append(w.eps, g.endpoints[names[0]])
					names = names[1:]
					w.changed = true
				}
			}
		}
		for _, w := range kept {
			if w.changed {
				p.updates = append(p.updates, build(w.slice, svc, g.ports, w.eps, wantLabels))
			}
		}
		if len(names) > 0 {
			left = append(left, leftover{g, names})
		}
	}
	for _, l := range left {
		for names := l.names; len(names) > 0; {
			n := min(max, len(names))
			eps := make([]discoveryv1.Endpoint, n)
			for i, name := range names[:n] {
				eps[i] = l.g.endpoints[name]
			}
			names = names[n:]
			if len(recycle) > 0 {
				p.updates = append(p.updates, build(recycle[0], svc, l.g.ports, eps, wantLabels))
				recycle = recycle[1:]
			} else {
				p.creates = append(p.creates, build(nil, svc, l.g.ports, eps, wantLabels))
			}
		}
	}
	p.deletes = recycle
	return p
}

// keepEndpoints keeps the endpoints of s that are still desired (in their
// new form) and notes whether anything differs.
func keepEndpoints(s *discoveryv1.EndpointSlice, g *group, consumed map[string]bool) *pending {
	w := &pending{slice: s}
	for i := range s.Endpoints {
		ep := &s.Endpoints[i]
		name := ""
		if ep.TargetRef != nil {
			name = ep.TargetRef.Name
		}
		d, ok := g.endpoints[name]
		if !ok || consumed[name] {
			w.changed = true
			continue
		}
		consumed[name] = true
		if !endpointEqual(ep, &d) {
			w.changed = true
		}
		w.eps = append(w.eps, d)
	}
	return w
}

// build returns the slice to write: a copy of old (or a new slice) with
// the given ports, endpoints (sorted by pod name) and labels.
func build(old *discoveryv1.EndpointSlice, svc *corev1.Service, ports []discoveryv1.EndpointPort, eps []discoveryv1.Endpoint, lbls map[string]string) *discoveryv1.EndpointSlice {
	var s *discoveryv1.EndpointSlice
	if old == nil {
		s = newSlice(svc, ports)
	} else {
		s = old.DeepCopy()
		s.Ports = ports
		s.Labels = maps.Clone(lbls)
	}
	slices.SortFunc(eps, func(a, b discoveryv1.Endpoint) int { return strings.Compare(a.TargetRef.Name, b.TargetRef.Name) })
	s.Endpoints = eps
	return s
}

// placeholder keeps (or creates) one empty slice and deletes the rest, so
// that a service without endpoints still shows a slice, as upstream.
func (c *Controller) placeholder(svc *corev1.Service, existing map[string][]*discoveryv1.EndpointSlice) plan {
	var p plan
	wantLabels := sliceLabels(svc)
	var keep *discoveryv1.EndpointSlice
	for _, k := range slices.Sorted(maps.Keys(existing)) {
		for _, s := range existing[k] {
			if keep == nil && len(s.Endpoints) == 0 && len(s.Ports) == 0 {
				keep = s
				continue
			}
			p.deletes = append(p.deletes, s)
		}
	}
	switch {
	case keep == nil:
		p.creates = append(p.creates, build(nil, svc, []discoveryv1.EndpointPort{}, nil, wantLabels))
	case !maps.Equal(keep.Labels, wantLabels):
		p.updates = append(p.updates, build(keep, svc, keep.Ports, nil, wantLabels))
	}
	return p
}

func (c *Controller) apply(p plan) error {
	var errs []error
	for _, s := range p.creates {
		if _, err := c.Client.Create(s); err != nil {
			errs = append(errs, err)
		}
	}
	for _, s := range p.updates {
		if _, err := c.Client.Update(s); ignoreNotFound(err) != nil {
			errs = append(errs, err)
		}
	}
	for _, s := range p.deletes {
		if err := c.Client.Delete("EndpointSlice", s.Namespace, s.Name, apiDeleteOptions); ignoreNotFound(err) != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func endpointEqual(a, b *discoveryv1.Endpoint) bool {
	return slices.Equal(a.Addresses, b.Addresses) &&
		ptr.Equal(a.Conditions.Ready, b.Conditions.Ready) &&
		ptr.Equal(a.Conditions.Serving, b.Conditions.Serving) &&
		ptr.Equal(a.Conditions.Terminating, b.Conditions.Terminating) &&
		ptr.Equal(a.NodeName, b.NodeName) && ptr.Equal(a.Zone, b.Zone) && ptr.Equal(a.Hostname, b.Hostname) &&
		a.TargetRef != nil && b.TargetRef != nil && a.TargetRef.UID == b.TargetRef.UID && a.TargetRef.Name == b.TargetRef.Name
}
