package kubeapi

import (
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/store"
)

// componentStatuses is v1 componentstatuses (kubectl get cs): nothing is
// stored; kube-apiserver probes the scheduler, the controller manager and
// each etcd server it was given (EKS gives it one) at every request.
// Deprecated since 1.19, still served, with a warning.
var componentStatuses = &resource{kind: "ComponentStatus", gv: schema.GroupVersion{Version: "v1"},
	plural: "componentstatuses", singular: "componentstatus", short: []string{"cs"}}

const componentStatusWarning = `299 - "v1 ComponentStatus is deprecated in v1.19+"`

func init() {
	printers["ComponentStatus"] = &printer{cols("Name", "Status", "Message", "Error"), func(o store.Object, _ time.Time) []any {
		c := o.(*corev1.ComponentStatus).Conditions[0]
		status := "Unknown"
		switch c.Status {
		case corev1.ConditionTrue:
			status = "Healthy"
		case corev1.ConditionFalse:
			status = "Unhealthy"
		}
		return []any{o.GetName(), status, c.Message, c.Error}
	}}
}

// componentStatusTarget is the target of a componentstatuses path.
func componentStatusTarget(gv schema.GroupVersion, rest []string) (target, bool) {
	if gv != componentStatuses.gv || len(rest) > 2 || rest[0] != componentStatuses.plural {
		return target{}, false
	}
	t := target{res: componentStatuses}
	if len(rest) == 2 {
		t.name = rest[1]
	}
	return t, true
}

// componentStatusAPIResource is its discovery entry: read-only, no watch.
func componentStatusAPIResource() metav1.APIResource {
	return metav1.APIResource{Name: componentStatuses.plural, SingularName: componentStatuses.singular, Kind: componentStatuses.kind,
		Verbs: []string{"get", "list"}, ShortNames: componentStatuses.short}
}

// componentStatus answers a get or list of componentstatuses.
func (s *Server) componentStatus(w http.ResponseWriter, r *http.Request, t target) {
	if r.Method != http.MethodGet {
		writeError(w, methodNotSupported(t.res, lower(r.Method)))
		return
	}
	quorum := true
	var now time.Time
	s.with(func(c *cluster.Cluster) { quorum, now = c.Etcd.Quorum(), c.Engine.Now() })
	healthy := corev1.ComponentCondition{Type: corev1.ComponentHealthy, Status: corev1.ConditionTrue, Message: "ok"}
	etcd := healthy
	if !quorum {
		etcd = corev1.ComponentCondition{Type: corev1.ComponentHealthy, Status: corev1.ConditionFalse, Error: "etcdserver: request timed out"}
	}
	var objs []store.Object
	for _, c := range []struct {
		name string
		cond corev1.ComponentCondition
	}{{"scheduler", healthy}, {"controller-manager", healthy}, {"etcd-0", etcd}} {
		if t.name == "" || t.name == c.name {
			objs = append(objs, &corev1.ComponentStatus{ObjectMeta: metav1.ObjectMeta{Name: c.name}, Conditions: []corev1.ComponentCondition{c.cond}})
		}
	}
	w.Header().Add("Warning", componentStatusWarning)
	if t.name != "" && len(objs) == 0 {
		writeError(w, notFound(t.res.groupResource(), t.name))
		return
	}
	if wantsTable(r) {
		writeJSON(w, http.StatusOK, table(t.res, objs, now, r.URL.Query().Get("includeObject"), metav1.ListMeta{}, true))
		return
	}
	if t.name != "" {
		writeJSON(w, http.StatusOK, t.res.serve(objs[0]))
		return
	}
	items := make([]any, len(objs))
	for i, o := range objs {
		items[i] = t.res.serve(o)
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": "ComponentStatusList", "apiVersion": "v1", "metadata": metav1.ListMeta{}, "items": items})
}
