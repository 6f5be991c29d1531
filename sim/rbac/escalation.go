package rbac

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubesim/kubesim/sim/store"
)

// Escalation prevention (upstream's pkg/registry/rbac): a user may only
// create or change a role whose rules they already hold, and only bind a
// role whose rules they hold, unless they may escalate (roles) or bind
// (bindings) that role, or are in system:masters.

// HeldRules are every rule user holds in namespace ("" = cluster-wide
// only), resource and non-resource alike.
func HeldRules(st *store.Store, user User, namespace string) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	visit(st, user, namespace, func(_ string, r *rbacv1.PolicyRule) bool {
		out = append(out, *r)
		return true
	})
	return out
}

// ConfirmNoEscalation is nil if user holds every rule of rules in
// namespace, else the error kube-apiserver words with the missing rules.
func ConfirmNoEscalation(st *store.Store, user User, namespace string, rules []rbacv1.PolicyRule) error {
	if slices.Contains(user.Groups, SystemMasters) {
		return nil
	}
	ok, missing := Covers(HeldRules(st, user, namespace), rules)
	if ok {
		return nil
	}
	var lines []string
	for _, r := range compactRules(missing) {
		if s := CompactString(r); !slices.Contains(lines, s) {
			lines = append(lines, s)
		}
	}
	slices.Sort(lines)
	return fmt.Errorf("user %q (groups=%q) is attempting to grant RBAC permissions not currently held:\n%s", user.Name, user.Groups, strings.Join(lines, "\n"))
}

// Covers reports whether owner's rules cover every request the requested
// rules allow, and the single-verb rules that are not covered.
func Covers(owner, requested []rbacv1.PolicyRule) (bool, []rbacv1.PolicyRule) {
	var missing []rbacv1.PolicyRule
	for _, r := range requested {
		for _, sub := range breakdown(r) {
			if !slices.ContainsFunc(owner, func(o rbacv1.PolicyRule) bool { return ruleCovers(o, sub) }) {
				missing = append(missing, sub)
			}
		}
	}
	return len(missing) == 0, missing
}

// breakdown splits a rule into rules of one group, resource, name and
// verb (or one URL and verb).
func breakdown(r rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, g := range r.APIGroups {
		for _, res := range r.Resources {
			if len(r.ResourceNames) == 0 {
				for _, v := range r.Verbs {
					out = append(out, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: []string{res}, Verbs: []string{v}})
				}
				continue
			}
			for _, n := range r.ResourceNames {
				for _, v := range r.Verbs {
					out = append(out, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: []string{res}, ResourceNames: []string{n}, Verbs: []string{v}})
				}
			}
		}
	}
	for _, u := range r.NonResourceURLs {
		for _, v := range r.Verbs {
			out = append(out, rbacv1.PolicyRule{NonResourceURLs: []string{u}, Verbs: []string{v}})
		}
	}
	return out
}

func hasAll(set, want []string) bool {
	for _, w := range want {
		if !slices.Contains(set, w) {
			return false
		}
	}
	return true
}

func ruleCovers(owner, sub rbacv1.PolicyRule) bool {
	verbs := slices.Contains(owner.Verbs, rbacv1.VerbAll) || hasAll(owner.Verbs, sub.Verbs)
	groups := slices.Contains(owner.APIGroups, rbacv1.APIGroupAll) || hasAll(owner.APIGroups, sub.APIGroups)
	names := len(owner.ResourceNames) == 0 || hasAll(owner.ResourceNames, sub.ResourceNames)
	return verbs && groups && names && resourcesCover(owner.Resources, sub.Resources) && urlsCover(owner.NonResourceURLs, sub.NonResourceURLs)
}

// resourcesCover: "*", the resource itself, or for a subresource
// "*/sub".
func resourcesCover(set, want []string) bool {
	if slices.Contains(set, rbacv1.ResourceAll) {
		return true
	}
	for _, w := range want {
		if slices.Contains(set, w) {
			continue
		}
		_, sub, ok := strings.Cut(w, "/")
		if !ok || !slices.Contains(set, "*/"+sub) {
			return false
		}
	}
	return true
}

func urlsCover(set, want []string) bool {
	for _, w := range want {
		if !slices.ContainsFunc(set, func(s string) bool {
			if s == rbacv1.NonResourceAll || s == w {
				return true
			}
			p, ok := strings.CutSuffix(s, "*")
			return ok && strings.HasPrefix(w, p)
		}) {
			return false
		}
	}
	return true
}

// compactRules merges the verbs of rules of one group, one resource and
// at most one name, in order of first appearance.
func compactRules(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	index := map[string]int{}
	for _, r := range rules {
		simple := len(r.NonResourceURLs) == 0 && len(r.APIGroups) == 1 && len(r.Resources) == 1 && len(r.ResourceNames) <= 1
		if !simple {
			out = append(out, r)
			continue
		}
		key := r.APIGroups[0] + "\x00" + r.Resources[0] + "\x00" + strings.Join(r.ResourceNames, "")
		if i, ok := index[key]; ok {
			out[i].Verbs = append(out[i].Verbs, r.Verbs...)
			continue
		}
		index[key] = len(out)
		r.Verbs = slices.Clone(r.Verbs)
		out = append(out, r)
	}
	return out
}

// CompactString is the short form of a rule in escalation errors, as
// upstream prints it: {APIGroups:[""], Resources:["pods"], Verbs:["get"]}.
func CompactString(r rbacv1.PolicyRule) string {
	var parts []string
	add := func(name string, v []string) {
		if len(v) > 0 {
			parts = append(parts, fmt.Sprintf("%s:%q", name, v))
		}
	}
	add("APIGroups", r.APIGroups)
	add("Resources", r.Resources)
	add("NonResourceURLs", r.NonResourceURLs)
	add("ResourceNames", r.ResourceNames)
	add("Verbs", r.Verbs)
	return "{" + strings.Join(parts, ", ") + "}"
}
