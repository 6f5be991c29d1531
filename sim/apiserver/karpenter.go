package apiserver

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	karpv1 "github.com/kubesim/kubesim/sim/apis/karpenter/v1"
)

// Karpenter's CRD defaults (karpenter.sh_nodepools.yaml / nodeclaims.yaml).
const (
	defaultExpireAfter      = karpv1.NillableDuration("720h")
	defaultConsolidateAfter = karpv1.NillableDuration("0s")
	defaultBudgetNodes      = "10%"
)

func defaultNodePool(np *karpv1.NodePool) {
	d := &np.Spec.Disruption
	if d.ConsolidationPolicy == "" {
		d.ConsolidationPolicy = karpv1.ConsolidationPolicyWhenEmptyOrUnderutilized
	}
	if d.ConsolidateAfter == "" {
		d.ConsolidateAfter = defaultConsolidateAfter
	}
	if d.Budgets == nil {
		d.Budgets = []karpv1.Budget{{Nodes: defaultBudgetNodes}}
	}
	if np.Spec.Template.Spec.ExpireAfter == "" {
		np.Spec.Template.Spec.ExpireAfter = defaultExpireAfter
	}
	if np.Status.Nodes == nil {
		var zero int64
		np.Status.Nodes = &zero
	}
}

func defaultNodeClaim(nc *karpv1.NodeClaim) {
	if nc.Spec.ExpireAfter == "" {
		nc.Spec.ExpireAfter = defaultExpireAfter
	}
}

// The CRDs' OpenAPI patterns.
var (
	nillableDurationRE = regexp.MustCompile(`^(([0-9]+(s|m|h))+|Never)$`)
	budgetNodesRE      = regexp.MustCompile(`^((100|[0-9]{1,2})%|[0-9]+)$`)
	budgetDurationRE   = regexp.MustCompile(`^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$`)
	budgetScheduleRE   = regexp.MustCompile(`^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))|((.+)\s(.+)\s(.+)\s(.+)\s(.+))$`)
)

var requirementOperators = []string{"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Gte", "Lte"}

func validateNillableDuration(d karpv1.NillableDuration, p *field.Path) field.ErrorList {
	if d == "" || nillableDurationRE.MatchString(string(d)) {
		return nil
	}
	return field.ErrorList{field.Invalid(p, string(d), `should match '^(([0-9]+(s|m|h))+|Never)$' (a duration such as 30s, 10m, 720h, or "Never")`)}
}

// validateRequirements checks NodePool/NodeClaim requirements as the CRD's
// schema and CEL rules do.
func validateRequirements(reqs []karpv1.NodeSelectorRequirementWithMinValues, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(reqs) > 100 {
		errs = append(errs, field.TooMany(p, len(reqs), 100))
	}
	for i, r := range reqs {
		rp := p.Index(i)
		for _, msg := range validation.IsQualifiedName(r.Key) {
			errs = append(errs, field.Invalid(rp.Child("key"), r.Key, msg))
		}
		switch {
		case r.Key == karpv1.LabelNodePool:
			errs = append(errs, field.Invalid(rp.Child("key"), r.Key, `label "karpenter.sh/nodepool" is restricted`))
		case r.Key == corev1.LabelHostname:
			errs = append(errs, field.Invalid(rp.Child("key"), r.Key, `label "kubernetes.io/hostname" is restricted`))
		case strings.HasPrefix(r.Key, "karpenter.sh/") && r.Key != karpv1.LabelCapacityType:
			errs = append(errs, field.Invalid(rp.Child("key"), r.Key, `label domain "karpenter.sh" is restricted`))
		}
		op := string(r.Operator)
		if !slices.Contains(requirementOperators, op) {
			errs = append(errs, field.NotSupported(rp.Child("operator"), op, requirementOperators))
			continue
		}
		switch op {
		case "In":
			if len(r.Values) == 0 {
				errs = append(errs, field.Invalid(rp, "", "requirements with operator 'In' must have a value defined"))
			}
		case "Gt", "Lt", "Gte", "Lte":
			ok := len(r.Values) == 1
			if ok {
				n, err := strconv.Atoi(r.Values[0])
				ok = err == nil && n >= 0
			}
			if !ok {
				errs = append(errs, field.Invalid(rp, "", "requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value"))
			}
		}
		if r.MinValues != nil {
			if *r.MinValues < 1 || *r.MinValues > 50 {
				errs = append(errs, field.Invalid(rp.Child("minValues"), *r.MinValues, "should be between 1 and 50"))
			} else if op == "In" && len(r.Values) < *r.MinValues {
				errs = append(errs, field.Invalid(rp, "", "requirements with 'minValues' must have at least that many values specified in the 'values' field"))
			}
		}
		for j, v := range r.Values {
			for _, msg := range validation.IsValidLabelValue(v) {
				errs = append(errs, field.Invalid(rp.Child("values").Index(j), v, msg))
			}
		}
	}
	return errs
}

func validateNodeClassRef(ref *karpv1.NodeClassReference, p *field.Path) field.ErrorList {
	if ref == nil {
		return field.ErrorList{field.Required(p, "")}
	}
	var errs field.ErrorList
	if ref.Group == "" {
		errs = append(errs, field.Invalid(p.Child("group"), ref.Group, "group may not be empty"))
	}
	if ref.Kind == "" {
		errs = append(errs, field.Invalid(p.Child("kind"), ref.Kind, "kind may not be empty"))
	}
	if ref.Name == "" {
		errs = append(errs, field.Invalid(p.Child("name"), ref.Name, "name may not be empty"))
	}
	return errs
}

func validateTaints(taints []corev1.Taint, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, t := range taints {
		for _, msg := range validation.IsQualifiedName(t.Key) {
			errs = append(errs, field.Invalid(p.Index(i).Child("key"), t.Key, msg))
		}
		switch t.Effect {
		case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		default:
			errs = append(errs, field.NotSupported(p.Index(i).Child("effect"), t.Effect, []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}))
		}
	}
	return errs
}

func validateNodePool(np *karpv1.NodePool) field.ErrorList {
	sp := field.NewPath("spec")
	tp := sp.Child("template", "spec")
	var errs field.ErrorList
	errs = append(errs, validateRequirements(np.Spec.Template.Spec.Requirements, tp.Child("requirements"))...)
	errs = append(errs, validateNodeClassRef(np.Spec.Template.Spec.NodeClassRef, tp.Child("nodeClassRef"))...)
	errs = append(errs, validateTaints(np.Spec.Template.Spec.Taints, tp.Child("taints"))...)
	errs = append(errs, validateTaints(np.Spec.Template.Spec.StartupTaints, tp.Child("startupTaints"))...)
	errs = append(errs, validateNillableDuration(np.Spec.Template.Spec.ExpireAfter, tp.Child("expireAfter"))...)
	for k := range np.Spec.Template.Labels {
		switch {
		case k == karpv1.LabelNodePool:
			errs = append(errs, field.Invalid(sp.Child("template", "metadata", "labels"), k, `label "karpenter.sh/nodepool" is restricted`))
		case k == corev1.LabelHostname:
			errs = append(errs, field.Invalid(sp.Child("template", "metadata", "labels"), k, `label "kubernetes.io/hostname" is restricted`))
		case strings.HasPrefix(k, "karpenter.sh/"):
			errs = append(errs, field.Invalid(sp.Child("template", "metadata", "labels"), k, `label domain "karpenter.sh" is restricted`))
		}
	}
	d := np.Spec.Disruption
	dp := sp.Child("disruption")
	errs = append(errs, validateNillableDuration(d.ConsolidateAfter, dp.Child("consolidateAfter"))...)
	policies := []string{karpv1.ConsolidationPolicyWhenEmpty, karpv1.ConsolidationPolicyWhenEmptyOrUnderutilized}
	if d.ConsolidationPolicy != "" && !slices.Contains(policies, d.ConsolidationPolicy) {
		errs = append(errs, field.NotSupported(dp.Child("consolidationPolicy"), d.ConsolidationPolicy, policies))
	}
	if len(d.Budgets) > 50 {
		errs = append(errs, field.TooMany(dp.Child("budgets"), len(d.Budgets), 50))
	}
	reasons := []string{karpv1.DisruptionReasonUnderutilized, karpv1.DisruptionReasonEmpty, karpv1.DisruptionReasonDrifted}
	for i, b := range d.Budgets {
		bp := dp.Child("budgets").Index(i)
		if !budgetNodesRE.MatchString(b.Nodes) {
			errs = append(errs, field.Invalid(bp.Child("nodes"), b.Nodes, `should match '^((100|[0-9]{1,2})%|[0-9]+)$' (a count such as 2, or a percentage such as 10%)`))
		}
		for j, r := range b.Reasons {
			if !slices.Contains(reasons, r) {
				errs = append(errs, field.NotSupported(bp.Child("reasons").Index(j), r, reasons))
			}
		}
		if (b.Schedule == nil) != (b.Duration == nil) {
			errs = append(errs, field.Invalid(bp, "", "'schedule' must be set with 'duration'"))
		}
		if b.Schedule != nil && !budgetScheduleRE.MatchString(*b.Schedule) {
			errs = append(errs, field.Invalid(bp.Child("schedule"), *b.Schedule, "should be a cron schedule (five fields, or @daily, @hourly, ...)"))
		}
		if b.Duration != nil && !budgetDurationRE.MatchString(b.Duration.Duration.String()) {
			errs = append(errs, field.Invalid(bp.Child("duration"), b.Duration.Duration.String(), "should be whole hours and minutes (e.g. 10m, 1h30m)"))
		}
	}
	if w := np.Spec.Weight; w != nil && (*w < 1 || *w > 100) {
		errs = append(errs, field.Invalid(sp.Child("weight"), *w, "should be between 1 and 100"))
	}
	for name, q := range np.Spec.Limits {
		if q.Sign() < 0 {
			errs = append(errs, field.Invalid(sp.Child("limits").Key(string(name)), q.String(), "must be greater than or equal to 0"))
		}
	}
	return errs
}

func validateNodeClaim(nc *karpv1.NodeClaim) field.ErrorList {
	sp := field.NewPath("spec")
	var errs field.ErrorList
	errs = append(errs, validateRequirements(nc.Spec.Requirements, sp.Child("requirements"))...)
	errs = append(errs, validateNodeClassRef(nc.Spec.NodeClassRef, sp.Child("nodeClassRef"))...)
	errs = append(errs, validateTaints(nc.Spec.Taints, sp.Child("taints"))...)
	errs = append(errs, validateNillableDuration(nc.Spec.ExpireAfter, sp.Child("expireAfter"))...)
	return errs
}

// amiAliasFamilies are the alias families EC2NodeClass accepts
// (al2023@latest, bottlerocket@v1.20.0, ...).
var amiAliasFamilies = []string{"al2", "al2023", "bottlerocket", "windows2019", "windows2022", "windows2025"}

func validateEC2NodeClass(c *karpv1.EC2NodeClass) field.ErrorList {
	sp := field.NewPath("spec")
	var errs field.ErrorList
	if len(c.Spec.AMISelectorTerms) == 0 {
		errs = append(errs, field.Required(sp.Child("amiSelectorTerms"), "expected at least one, got none, ['tags', 'id', 'name', 'alias', 'ssmParameter']"))
	}
	for i, t := range c.Spec.AMISelectorTerms {
		if t.Alias == "" {
			continue
		}
		fam, ver, ok := strings.Cut(t.Alias, "@")
		if !ok || !slices.Contains(amiAliasFamilies, fam) || ver == "" {
			errs = append(errs, field.Invalid(sp.Child("amiSelectorTerms").Index(i).Child("alias"), t.Alias,
				fmt.Sprintf("'alias' is improperly formatted, must match the format 'family@version' (families: %s)", strings.Join(amiAliasFamilies, ", "))))
		}
		if len(c.Spec.AMISelectorTerms) > 1 {
			errs = append(errs, field.Invalid(sp.Child("amiSelectorTerms"), "", "'alias' is mutually exclusive, cannot be set with a combination of other amiSelectorTerms"))
		}
	}
	if len(c.Spec.SubnetSelectorTerms) == 0 {
		errs = append(errs, field.Required(sp.Child("subnetSelectorTerms"), "expected at least one, got none, ['tags', 'id']"))
	}
	if len(c.Spec.SecurityGroupSelectorTerms) == 0 {
		errs = append(errs, field.Required(sp.Child("securityGroupSelectorTerms"), "expected at least one, got none, ['tags', 'id', 'name']"))
	}
	if (c.Spec.Role == "") == (c.Spec.InstanceProfile == nil) {
		errs = append(errs, field.Invalid(sp, "", "must specify exactly one of ['role', 'instanceProfile']"))
	}
	return errs
}
