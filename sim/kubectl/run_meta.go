package kubectl

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/store"
)

// taint adds and removes node taints like kubectl taint.
func (r *runner) taint() (string, error) {
	return r.eachObject(func(t Target, o store.Object) error {
		n := o.(*corev1.Node).DeepCopy()
		taints, op, err := r.applyTaints(n.Name, n.Spec.Taints)
		if err != nil {
			return err
		}
		n.Spec.Taints = taints
		if _, err := r.env.Client.Update(n); err != nil {
			return err
		}
		r.printf(ref("Node", n.Name) + " " + op)
		return nil
	})
}

// applyTaints returns the node's new taints and kubectl's verb for the
// change: tainted, untainted or modified.
func (r *runner) applyTaints(node string, cur []corev1.Taint) ([]corev1.Taint, string, error) {
	out := slices.Clone(cur)
	var adds, removes int
	var conflicts []string
	for _, s := range r.c.Taints {
		if s.Remove {
			before := len(out)
			out = slices.DeleteFunc(out, func(t corev1.Taint) bool {
				return t.Key == s.Key && (s.Effect == "" || string(t.Effect) == s.Effect)
			})
			if len(out) == before {
				name := s.Key
				if s.Effect != "" {
					name += ":" + s.Effect
				}
				return nil, "", errorf("taint %q not found", name)
			}
			removes++
			continue
		}
		nt := corev1.Taint{Key: s.Key, Value: s.Value, Effect: corev1.TaintEffect(s.Effect)}
		if nt.Effect == corev1.TaintEffectNoExecute {
			now := metav1.NewTime(r.env.Engine.Now())
			nt.TimeAdded = &now
		}
		i := slices.IndexFunc(out, func(t corev1.Taint) bool { return t.Key == nt.Key && t.Effect == nt.Effect })
		switch {
		case i >= 0 && !r.c.Overwrite:
			conflicts = append(conflicts, nt.Key)
		case i >= 0:
			out[i] = nt
		default:
			out = append(out, nt)
		}
		adds++
	}
	if len(conflicts) > 0 {
		return nil, "", errorf("node %s already has %s taint(s) with same effect(s) and --overwrite is false", node, strings.Join(conflicts, ","))
	}
	op := "tainted"
	switch {
	case adds > 0 && removes > 0:
		op = "modified"
	case removes > 0:
		op = "untainted"
	}
	return out, op, nil
}

// meta runs label and annotate.
func (r *runner) meta() (string, error) {
	isLabel := r.c.Verb == Label
	return r.eachObject(func(t Target, o store.Object) error {
		obj := o.DeepCopyObject().(store.Object)
		cur := obj.GetAnnotations()
		if isLabel {
			cur = obj.GetLabels()
		}
		next, changed, err := r.updateMap(cur, isLabel)
		if err != nil {
			return err
		}
		word := "annotated"
		if isLabel {
			word = "labeled"
			obj.SetLabels(next)
		} else {
			obj.SetAnnotations(next)
		}
		if !changed {
			if isLabel {
				word = "not labeled"
			}
			r.printf(ref(t.Kind, t.Name) + " " + word)
			return nil
		}
		if _, err := r.env.Client.Update(obj); err != nil {
			return err
		}
		r.printf(ref(t.Kind, t.Name) + " " + word)
		return nil
	})
}

// updateMap applies the key updates to a copy of m, refusing to change an
// existing value without --overwrite as kubectl does.
func (r *runner) updateMap(m map[string]string, isLabel bool) (map[string]string, bool, error) {
	out := make(map[string]string, len(m)+len(r.c.Updates))
	for k, v := range m {
		out[k] = v
	}
	changed := false
	for _, u := range r.c.Updates {
		old, has := out[u.Key]
		if u.Remove {
			if !has {
				if isLabel {
					r.printf(fmt.Sprintf("label %q not found.", u.Key))
				}
				continue
			}
			delete(out, u.Key)
			changed = true
			continue
		}
		if has && old != u.Value && !r.c.Overwrite {
			if isLabel {
				return nil, false, errorf("'%s' already has a value (%s), and --overwrite is false", u.Key, old)
			}
			return nil, false, errorf("--overwrite is false but found the following declared annotation(s): '%s' already has a value (%s)", u.Key, old)
		}
		if !has || old != u.Value {
			out[u.Key] = u.Value
			changed = true
		}
	}
	return out, changed, nil
}
