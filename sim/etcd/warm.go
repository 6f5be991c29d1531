package etcd

import (
	"reflect"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// A resource.Quantity caches its string form the first time it is
// formatted, and encoding formats it: encoding an object may write to
// it. The content hash encodes objects on two goroutines (see
// gatherHash), and the store's objects share parts (a shallow copy shares
// its slices and pointers), so two encoders could write one Quantity's
// cache at once. warmQuantities formats, on the goroutine that hands the
// objects out, every Quantity an encoder would write: after it encoders
// only read them.
//
// An encoder writes the Quantities it reaches by address: a field, or
// behind a pointer or in a slice. A map's value is copied before it is
// encoded (the generated marshallers encode a copy of each value, in key
// order), so a ResourceList is formatted in the copies and left as it
// is; a pointer within a copied map value still leads into the object.
// Which fields lead to a Quantity is found once per type, by reflection;
// a Pod's (most of the content) are spelled out, as walking one by
// reflection was 1-2 µs.

// warmQuantities formats every Quantity encoding v would format.
func warmQuantities(v value) {
	if p, ok := v.(*corev1.Pod); ok {
		warmPod(p)
		return
	}
	if f := warmerOf(reflect.TypeOf(v), false); f != nil { // a pointer: what it points to is held by address
		f(reflect.ValueOf(v))
	}
}

// warmPod is warmQuantities of a Pod (TestWarmedObjectsEncodeUnchanged
// fills every field of a Pod to hold it to that).
func warmPod(p *corev1.Pod) {
	for i := range p.Spec.Volumes {
		v := &p.Spec.Volumes[i].VolumeSource
		if v.EmptyDir != nil {
			warm(v.EmptyDir.SizeLimit)
		}
		if v.DownwardAPI != nil {
			warmFiles(v.DownwardAPI.Items)
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.DownwardAPI != nil {
					warmFiles(s.DownwardAPI.Items)
				}
			}
		}
	}
	for i := range p.Spec.InitContainers {
		warmEnv(p.Spec.InitContainers[i].Env)
	}
	for i := range p.Spec.Containers {
		warmEnv(p.Spec.Containers[i].Env)
	}
	for i := range p.Spec.EphemeralContainers {
		warmEnv(p.Spec.EphemeralContainers[i].Env)
	}
	for _, s := range p.Status.NodeAllocatableResourceClaimStatuses {
		for _, m := range s.Mapping {
			warm(m.Quantity)
		}
		for _, o := range s.Overhead {
			warm(o.PerPod)
			warm(o.PerContainer)
		}
	}
}

func warmFiles(files []corev1.DownwardAPIVolumeFile) {
	for _, f := range files {
		if f.ResourceFieldRef != nil {
			warm(&f.ResourceFieldRef.Divisor)
		}
	}
}

func warmEnv(env []corev1.EnvVar) {
	for _, e := range env {
		if e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil {
			warm(&e.ValueFrom.ResourceFieldRef.Divisor)
		}
	}
}

func warm(q *resource.Quantity) {
	if q != nil {
		_ = q.String()
	}
}

// warmFn formats the Quantities of a value of one type (nil: it has
// none an encoder would write).
type warmFn func(reflect.Value)

// warmKey is a type, held by address (a field, a slice's element, what a
// pointer points to) or not (a map's value, an interface's).
type warmKey struct {
	t    reflect.Type
	addr bool
}

var (
	warmMu     sync.Mutex
	warmPlans  = map[warmKey]warmFn{}
	quantityTy = reflect.TypeFor[resource.Quantity]()
)

// warmerOf is the warmFn of type t, held by address or not, planned on
// first use.
func warmerOf(t reflect.Type, addr bool) warmFn {
	if t == nil {
		return nil
	}
	warmMu.Lock()
	defer warmMu.Unlock()
	k := warmKey{t, addr}
	if f, ok := warmPlans[k]; ok {
		return f
	}
	p := warmPlanner{seen: map[warmKey]*warmCell{}}
	f := p.plan(t, addr)
	warmPlans[k] = f
	return f
}

// warmCell is a type's warmFn while it is planned: a recursive type
// refers to itself through it.
type warmCell struct {
	fn   warmFn
	done bool
}

type warmPlanner struct{ seen map[warmKey]*warmCell }

func (p *warmPlanner) plan(t reflect.Type, addr bool) warmFn {
	if t == quantityTy {
		if !addr {
			return nil // a copy: formatting it writes nothing shared
		}
		return warmQuantity
	}
	k := warmKey{t, addr}
	if c, ok := p.seen[k]; ok {
		if c.done {
			return c.fn
		}
		return func(v reflect.Value) { // recursion: planned by the time it runs
			if c.fn != nil {
				c.fn(v)
			}
		}
	}
	c := &warmCell{}
	p.seen[k] = c
	c.fn, c.done = p.planKind(t, addr), true
	return c.fn
}

func (p *warmPlanner) planKind(t reflect.Type, addr bool) warmFn {
	switch t.Kind() {
	case reflect.Pointer:
		if e := p.plan(t.Elem(), true); e != nil {
			return func(v reflect.Value) {
				if !v.IsNil() {
					e(v.Elem())
				}
			}
		}
	case reflect.Slice:
		if e := p.plan(t.Elem(), true); e != nil {
			return func(v reflect.Value) {
				for i := range v.Len() {
					e(v.Index(i))
				}
			}
		}
	case reflect.Array:
		if e := p.plan(t.Elem(), addr); e != nil {
			return func(v reflect.Value) {
				for i := range v.Len() {
					e(v.Index(i))
				}
			}
		}
	case reflect.Map:
		if e := p.plan(t.Elem(), false); e != nil {
			return func(v reflect.Value) {
				for it := v.MapRange(); it.Next(); {
					e(it.Value())
				}
			}
		}
	case reflect.Struct:
		return p.planStruct(t, addr)
	case reflect.Interface:
		return warmDynamic
	}
	return nil
}

func (p *warmPlanner) planStruct(t reflect.Type, addr bool) warmFn {
	type field struct {
		i int
		f warmFn
	}
	var fields []field
	for i := range t.NumField() {
		if f := p.plan(t.Field(i).Type, addr); f != nil {
			fields = append(fields, field{i, f})
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return func(v reflect.Value) {
		for _, f := range fields {
			f.f(v.Field(f.i))
		}
	}
}

// warmQuantity formats the Quantity v holds by address.
func warmQuantity(v reflect.Value) { warm((*resource.Quantity)(v.Addr().UnsafePointer())) }

// warmDynamic formats the Quantities of an interface's value, planned by
// its dynamic type.
func warmDynamic(v reflect.Value) {
	if v.IsNil() {
		return
	}
	e := v.Elem()
	if f := warmerOf(e.Type(), false); f != nil {
		f(e)
	}
}
