// Package clusterroleaggregation models kube-controller-manager's
// ClusterRole aggregation controller (pkg/controller/clusterroleaggregation):
// a ClusterRole with an aggregationRule gets, as its rules, the rules of
// every ClusterRole its selectors match, kept up to date as those roles
// come, change and go. The default admin, edit and view roles are built
// this way from the system:aggregate-to-* roles and from any role a user
// labels rbac.authorization.k8s.io/aggregate-to-view: "true".
package clusterroleaggregation

import (
	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Name is the component name.
const Name = "clusterrole-aggregation-controller"

// Controller is the ClusterRole aggregation controller.
type Controller struct{ controllerutil.Base }

// New returns a controller writing through client.
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config) *Controller {
	c := &Controller{}
	c.Base = controllerutil.NewBase(engine, client, Name, cfg, c.sync)
	// Any change of a ClusterRole may change an aggregated role, so every
	// aggregated role is queued (upstream enqueues them all too).
	c.Handles("ClusterRole", func(store.Event) { c.queueAggregated() })
	c.OnStart(c.queueAggregated)
	return c
}

func (c *Controller) queueAggregated() {
	for _, o := range c.Store.List("ClusterRole", "") {
		if o.(*rbacv1.ClusterRole).AggregationRule != nil {
			c.Queue.Add(o.GetName())
		}
	}
}

func (c *Controller) sync(name string) error {
	o, ok := c.Store.Get("ClusterRole", "", name)
	if !ok {
		return nil
	}
	role := o.(*rbacv1.ClusterRole)
	if role.AggregationRule == nil {
		return nil
	}
	var rules []rbacv1.PolicyRule
	for _, sel := range role.AggregationRule.ClusterRoleSelectors {
		s, err := metav1.LabelSelectorAsSelector(&sel)
		if err != nil {
			continue
		}
		for _, m := range c.Store.Select("ClusterRole", "", s) { // sorted by name
			if m.GetName() == name {
				continue
			}
			for _, r := range m.(*rbacv1.ClusterRole).Rules {
				if !contains(rules, r) {
					rules = append(rules, r)
				}
			}
		}
	}
	if apiequality.Semantic.DeepEqual(rules, role.Rules) || len(rules) == 0 && len(role.Rules) == 0 {
		return nil
	}
	up := role.DeepCopy()
	up.Rules = rules
	_, err := c.Client.Update(up)
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func contains(rules []rbacv1.PolicyRule, r rbacv1.PolicyRule) bool {
	for i := range rules {
		if apiequality.Semantic.DeepEqual(rules[i], r) {
			return true
		}
	}
	return false
}
