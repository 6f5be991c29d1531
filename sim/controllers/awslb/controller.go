// Package awslb models the AWS Load Balancer Controller that EKS clusters
// run (kubernetes-sigs/aws-load-balancer-controller): a Service of type
// LoadBalancer gets a Network Load Balancer and an Ingress of the alb
// class an Application Load Balancer. The controller adds its finalizer,
// provisions the load balancer (ProvisionDelay of virtual time), writes
// the load balancer's DNS name into status.loadBalancer.ingress and
// records a SuccessfullyReconciled event; on deletion it tears the load
// balancer down and removes the finalizer.
package awslb

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Name is the controller's client and event source name.
const Name = "aws-load-balancer-controller"

// Upstream's names.
const (
	// ServiceFinalizer holds a LoadBalancer Service until its NLB is gone.
	ServiceFinalizer = "service.k8s.aws/resources"
	// IngressFinalizer holds an Ingress until its ALB is gone (the
	// controller's group finalizer for an ingress outside a group).
	IngressFinalizer = "ingress.k8s.aws/resources"
	// IngressController is the spec.controller of the alb IngressClass.
	IngressController = "ingress.k8s.aws/alb"
	// NLBClass is the loadBalancerClass the controller serves (a Service
	// without a class is served as well: EKS's default).
	NLBClass = "service.k8s.aws/nlb"
	// IngressClassAnnotation is the legacy way of choosing the class.
	IngressClassAnnotation = "kubernetes.io/ingress.class"
)

// Config tunes the controller.
type Config struct {
	controllerutil.Config
	// Region names the load balancers' DNS domain (us-east-1).
	Region string
	// ProvisionDelay is how long creating a load balancer takes before
	// its DNS name is known to the controller (the ELB API returns it at
	// creation, the controller then builds listeners and target groups).
	ProvisionDelay time.Duration
}

// Controller is the AWS Load Balancer Controller.
type Controller struct {
	controllerutil.Base
	region string
	delay  time.Duration
}

// New returns the controller writing through client.
func New(engine *sim.Engine, client *apiserver.Client, cfg Config) *Controller {
	c := &Controller{region: cfg.Region, delay: cfg.ProvisionDelay}
	if c.region == "" {
		c.region = "us-east-1"
	}
	if c.delay == 0 {
		c.delay = 3 * time.Second
	}
	c.Base = controllerutil.NewBase(engine, client, Name, cfg.Config, c.sync)
	c.Handles("Service", func(ev store.Event) { c.Queue.Add("Service/" + store.KeyOf(ev.Object)) })
	c.Handles("Ingress", func(ev store.Event) { c.Queue.Add("Ingress/" + store.KeyOf(ev.Object)) })
	c.Handles("IngressClass", func(store.Event) {
		for _, o := range c.Store.List("Ingress", "") {
			c.Queue.Add("Ingress/" + store.KeyOf(o))
		}
	})
	c.OnStart(func() {
		for _, kind := range []string{"Service", "Ingress"} {
			for _, o := range c.Store.List(kind, "") {
				c.Queue.Add(kind + "/" + store.KeyOf(o))
			}
		}
	})
	return c
}

func (c *Controller) sync(key string) error {
	kind, rest, _ := strings.Cut(key, "/")
	ns, name := store.SplitKey(rest)
	o, ok := c.Store.Get(kind, ns, name)
	if !ok {
		return nil
	}
	switch obj := o.(type) {
	case *corev1.Service:
		return c.syncService(obj)
	case *networkingv1.Ingress:
		return c.syncIngress(obj)
	}
	return nil
}

// serves reports whether the controller owns a Service's load balancer.
func serves(svc *corev1.Service) bool {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return false
	}
	return svc.Spec.LoadBalancerClass == nil || *svc.Spec.LoadBalancerClass == NLBClass
}

func (c *Controller) syncService(svc *corev1.Service) error {
	has := slices.Contains(svc.Finalizers, ServiceFinalizer)
	if svc.DeletionTimestamp != nil || !serves(svc) {
		if !has {
			return nil
		}
		// Delete the NLB, then let the service go.
		n := svc.DeepCopy()
		n.Finalizers = slices.DeleteFunc(n.Finalizers, func(f string) bool { return f == ServiceFinalizer })
		if _, err := c.Client.Update(n); err != nil {
			return err
		}
		if svc.DeletionTimestamp == nil && len(svc.Status.LoadBalancer.Ingress) > 0 {
			n, ok := c.latestService(svc)
			if !ok {
				return nil
			}
			n.Status.LoadBalancer = corev1.LoadBalancerStatus{}
			_, err := c.Client.UpdateStatus(n)
			return err
		}
		return nil
	}
	host := NLBHostname(svc.Namespace, svc.Name, string(svc.UID), c.region)
	published := len(svc.Status.LoadBalancer.Ingress) == 1 && svc.Status.LoadBalancer.Ingress[0].Hostname == host
	return c.provision(svc, "Service/"+store.KeyOf(svc), ServiceFinalizer, published, func() store.Object {
		n := svc.DeepCopy()
		n.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: host}}
		return n
	})
}

// provision is what an NLB for a Service and an ALB for an Ingress share
// once the object is one the controller serves: put the finalizer on
// first, then wait out the provisioning delay from the object's creation,
// then publish the load balancer's hostname (withHost: a copy of o with
// it in status) unless o's status already has it.
func (c *Controller) provision(o store.Object, key, finalizer string, published bool, withHost func() store.Object) error {
	if !slices.Contains(o.GetFinalizers(), finalizer) {
		n := o.DeepCopyObject().(store.Object)
		n.SetFinalizers(append(n.GetFinalizers(), finalizer))
		if _, err := c.Client.Update(n); err != nil {
			return err
		}
		c.Queue.AddAfter(key, c.delay)
		return nil
	}
	if published {
		return nil
	}
	if age := c.Engine.Now().Sub(o.GetCreationTimestamp().Time); age < c.delay {
		c.Queue.AddAfter(key, c.delay-age)
		return nil
	}
	out, err := c.Client.UpdateStatus(withHost())
	if err != nil {
		return err
	}
	c.Client.Event(out, corev1.EventTypeNormal, "SuccessfullyReconciled", "Successfully reconciled")
	return nil
}

func (c *Controller) latestService(svc *corev1.Service) (*corev1.Service, bool) {
	o, ok := c.Store.Get("Service", svc.Namespace, svc.Name)
	if !ok {
		return nil, false
	}
	return o.(*corev1.Service).DeepCopy(), true
}

// ingressIsALB reports whether an Ingress is of a class the controller
// serves: spec.ingressClassName naming an IngressClass whose controller
// is ingress.k8s.aws/alb, the legacy annotation "alb", or no class at
// all when the alb IngressClass is the default one.
func (c *Controller) ingressIsALB(ing *networkingv1.Ingress) bool {
	if ing.Spec.IngressClassName != nil {
		o, ok := c.Store.Get("IngressClass", "", *ing.Spec.IngressClassName)
		return ok && o.(*networkingv1.IngressClass).Spec.Controller == IngressController
	}
	if v, ok := ing.Annotations[IngressClassAnnotation]; ok {
		return v == "alb"
	}
	for _, o := range c.Store.List("IngressClass", "") {
		ic := o.(*networkingv1.IngressClass)
		if ic.Spec.Controller == IngressController && ic.Annotations[networkingv1.AnnotationIsDefaultIngressClass] == "true" {
			return true
		}
	}
	return false
}

func (c *Controller) syncIngress(ing *networkingv1.Ingress) error {
	has := slices.Contains(ing.Finalizers, IngressFinalizer)
	if ing.DeletionTimestamp != nil || !c.ingressIsALB(ing) {
		if !has {
			return nil
		}
		n := ing.DeepCopy()
		n.Finalizers = slices.DeleteFunc(n.Finalizers, func(f string) bool { return f == IngressFinalizer })
		_, err := c.Client.Update(n)
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		return nil
	}
	host := ALBHostname(ing.Namespace, ing.Name, string(ing.UID), c.region)
	published := len(ing.Status.LoadBalancer.Ingress) == 1 && ing.Status.LoadBalancer.Ingress[0].Hostname == host
	return c.provision(ing, "Ingress/"+store.KeyOf(ing), IngressFinalizer, published, func() store.Object {
		n := ing.DeepCopy()
		n.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{Hostname: host}}
		return n
	})
}

// lbName is the controller's load balancer name: "k8s-", the namespace
// and the object's name cut to 8 characters each, and a 10-hex-digit hash
// of the object, 32 characters at most (the ELB limit).
func lbName(namespace, name, uid string) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s/%s", namespace, name, uid)
	cut := func(s string) string {
		s = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
		return s[:min(8, len(s))]
	}
	return fmt.Sprintf("k8s-%s-%s-%010x", cut(namespace), cut(name), h.Sum64()&0xffffffffff)
}

// NLBHostname is the DNS name of a Service's Network Load Balancer:
// <name>-<16 hex digits>.elb.<region>.amazonaws.com.
func NLBHostname(namespace, name, uid, region string) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "nlb/%s/%s/%s", namespace, name, uid)
	return fmt.Sprintf("%s-%016x.elb.%s.amazonaws.com", lbName(namespace, name, uid), h.Sum64(), region)
}

// ALBHostname is the DNS name of an Ingress's Application Load Balancer:
// <name>-<10 digits>.<region>.elb.amazonaws.com.
func ALBHostname(namespace, name, uid, region string) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "alb/%s/%s/%s", namespace, name, uid)
	return fmt.Sprintf("%s-%010d.%s.elb.amazonaws.com", lbName(namespace, name, uid), h.Sum64()%10000000000, region)
}
