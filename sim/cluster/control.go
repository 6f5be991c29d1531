package cluster

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/controllers/awslb"
	"github.com/kubesim/kubesim/sim/controllers/clusterroleaggregation"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/controllers/cronjob"
	"github.com/kubesim/kubesim/sim/controllers/csrsigning"
	"github.com/kubesim/kubesim/sim/controllers/daemonset"
	"github.com/kubesim/kubesim/sim/controllers/deployment"
	"github.com/kubesim/kubesim/sim/controllers/disruption"
	"github.com/kubesim/kubesim/sim/controllers/endpoints"
	"github.com/kubesim/kubesim/sim/controllers/endpointslice"
	"github.com/kubesim/kubesim/sim/controllers/gc"
	"github.com/kubesim/kubesim/sim/controllers/hpa"
	"github.com/kubesim/kubesim/sim/controllers/job"
	"github.com/kubesim/kubesim/sim/controllers/namespace"
	"github.com/kubesim/kubesim/sim/controllers/nodelifecycle"
	"github.com/kubesim/kubesim/sim/controllers/nodelifecycle/podgc"
	"github.com/kubesim/kubesim/sim/controllers/nodelifecycle/tainteviction"
	"github.com/kubesim/kubesim/sim/controllers/persistentvolume"
	"github.com/kubesim/kubesim/sim/controllers/replicaset"
	"github.com/kubesim/kubesim/sim/controllers/resourcequota"
	"github.com/kubesim/kubesim/sim/controllers/rootcacert"
	"github.com/kubesim/kubesim/sim/controllers/serviceaccount"
	"github.com/kubesim/kubesim/sim/controllers/statefulset"
	"github.com/kubesim/kubesim/sim/controllers/storageprotection"
	"github.com/kubesim/kubesim/sim/rbac"
	"github.com/kubesim/kubesim/sim/scheduler"
)

type schedulerHandle = *scheduler.Scheduler

// startControlPlane creates kube-scheduler and the kube-controller-manager
// controllers and starts them, in a fixed order.
func (c *Cluster) startControlPlane() error {
	e := c.Engine
	c.sched = scheduler.New(e, c.Client("default-scheduler"), scheduler.Config{ScoringStrategy: c.cfg.ScoringStrategy})
	// kube-controller-manager runs each controller with its own
	// ServiceAccount's credentials (--use-service-account-credentials, as
	// on EKS) and creates those ServiceAccounts as it starts.
	kcm := c.Client("kube-controller-manager").WithUIDStream(SystemUIDs)
	for _, name := range rbac.ControllerServiceAccounts() {
		if _, err := kcm.Create(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: name}}); err != nil {
			return fmt.Errorf("cluster: ServiceAccount kube-system/%s: %w", name, err)
		}
	}
	accounts := serviceaccount.New(e, c.Client(serviceaccount.Name).WithUIDStream(SystemUIDs), controllerutil.Config{})
	rootCA := rootcacert.New(e, c.Client(rootcacert.Name).WithUIDStream(SystemUIDs), controllerutil.Config{}, c.PKI.CertPEM)
	// The built-in namespaces of a running cluster already have their
	// default ServiceAccount and CA bundle: pods applied at time zero
	// pass the ServiceAccount admission plugin and mount their token.
	accounts.Settle()
	rootCA.Settle()
	c.starters = []interface{ Start() }{
		c.Metrics,
		c.sched,
		replicaset.New(e, c.Client("replicaset-controller"), controllerutil.Config{}),
		deployment.New(e, c.Client("deployment-controller"), controllerutil.Config{}),
		daemonset.New(e, c.Client("daemonset-controller"), controllerutil.Config{}),
		nodelifecycle.New(e, c.Client("node-lifecycle-controller"), nodelifecycle.Config{}),
		tainteviction.New(e, c.Client("taint-eviction-controller"), controllerutil.Config{}),
		podgc.New(e, c.Client("pod-garbage-collector"), podgc.Config{}),
		endpointslice.New(e, c.Client("endpointslice-controller"), endpointslice.Config{}),
		disruption.New(e, c.Client(disruption.Name), controllerutil.Config{}),
		gc.New(e, c.Client("generic-garbage-collector"), gc.Config{}),
		namespace.New(e, c.Client("namespace-controller"), namespace.Config{}),
		hpa.New(e, c.Client(hpa.Name), hpa.Config{Metrics: c.Metrics}),
		job.New(e, c.Client(job.Name), controllerutil.Config{}),
		cronjob.New(e, c.Client(cronjob.Name), controllerutil.Config{}),
		statefulset.New(e, c.Client(statefulset.Name), controllerutil.Config{}),
		resourcequota.New(e, c.Client(resourcequota.Name), controllerutil.Config{}),
		endpoints.New(e, c.Client(endpoints.Name), controllerutil.Config{}),
		awslb.New(e, c.Client(awslb.Name), awslb.Config{Region: c.EC2.Region()}),
		persistentvolume.New(e, c.Client(persistentvolume.Name), c.Client(persistentvolume.ProvisionerName), controllerutil.Config{}),
		storageprotection.New(e, c.Client(storageprotection.PVCName), c.Client(storageprotection.PVName), controllerutil.Config{}),
		clusterroleaggregation.New(e, c.Client(clusterroleaggregation.Name), controllerutil.Config{}),
		accounts,
		serviceaccount.NewTokens(e, c.Client(serviceaccount.TokensName), controllerutil.Config{}, c.PKI.CertPEM),
		rootCA,
		csrsigning.New(e, c.Client(csrsigning.Name), controllerutil.Config{}, c.PKI),
		replicaset.NewReplication(e, c.Client(replicaset.ReplicationName), controllerutil.Config{}),
	}
	for _, s := range c.starters {
		s.Start()
	}
	return nil
}

// Scheduler is the cluster's kube-scheduler.
func (c *Cluster) Scheduler() *scheduler.Scheduler { return c.sched }
