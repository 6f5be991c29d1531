package kubeapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/kubesim/kubesim/sim/cluster"
)

// The health endpoints answer as kube-apiserver's: /livez, /readyz and
// /healthz run named checks, answer "ok" when all pass and list them with
// ?verbose ("[+]etcd ok" … "readyz check passed"); a failing check makes
// the endpoint a 500 that lists "[-]etcd failed: reason withheld". A
// check can be read alone (/readyz/etcd) or left out (?exclude=etcd). The
// etcd checks are the simulated etcd's: they fail while it has no quorum.

// postStartHooks are kube-apiserver's post-start hooks (a kubesim server
// has run them all once it serves).
var postStartHooks = []string{
	"start-apiserver-admission-initializer", "generic-apiserver-start-informers",
	"priority-and-fairness-config-consumer", "priority-and-fairness-filter",
	"storage-object-count-tracker-hook", "start-apiextensions-informers",
	"start-apiextensions-controllers", "crd-informer-synced", "start-system-namespaces-controller",
	"start-cluster-authentication-info-controller", "start-kube-apiserver-identity-lease-controller",
	"start-kube-apiserver-identity-lease-garbage-collector", "start-legacy-token-tracking-controller",
	"start-service-ip-repair-controllers", "rbac/bootstrap-roles",
	"scheduling/bootstrap-system-priority-classes", "priority-and-fairness-config-producer",
	"bootstrap-controller", "aggregator-reload-proxy-client-cert", "start-kube-aggregator-informers",
	"apiservice-status-local-available-controller", "apiservice-status-remote-available-controller",
	"apiservice-registration-controller", "apiservice-discovery-controller",
	"kube-apiserver-autoregistration",
}

// healthChecks are the checks of an endpoint ("livez", "readyz",
// "healthz") in kube-apiserver's order.
func healthChecks(endpoint string) []string {
	out := []string{"ping", "log", "etcd"}
	if endpoint == "readyz" {
		out = append(out, "etcd-readiness", "informer-sync")
	}
	for _, h := range postStartHooks {
		out = append(out, "poststarthook/"+h)
	}
	out = append(out, "autoregister-completion", "poststarthook/apiservice-openapi-controller", "poststarthook/apiservice-openapiv3-controller")
	if endpoint == "readyz" {
		out = append(out, "shutdown")
	}
	return out
}

// health serves /livez, /readyz and /healthz, and /<endpoint>/<check>.
func (s *Server) health(w http.ResponseWriter, r *http.Request, p string) {
	endpoint, check, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	checks := healthChecks(endpoint)
	quorum := true
	s.with(func(c *cluster.Cluster) { quorum = c.Etcd.Quorum() })
	passes := func(name string) bool { return quorum || (name != "etcd" && name != "etcd-readiness") }
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if check != "" {
		if !slices.Contains(checks, check) {
			writeError(w, pathNotFound())
			return
		}
		if !passes(check) {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "internal server error: %s check failed\n", check)
			return
		}
		_, _ = w.Write([]byte("ok")) // a client gone mid-reply is nothing to act on
		return
	}
	q := r.URL.Query()
	excluded := map[string]bool{}
	for _, e := range q["exclude"] {
		excluded[e] = true
	}
	var b strings.Builder
	failed := false
	for _, name := range checks {
		switch {
		case excluded[name]:
			fmt.Fprintf(&b, "[+]%s excluded: ok\n", name)
			delete(excluded, name)
		case passes(name):
			fmt.Fprintf(&b, "[+]%s ok\n", name)
		default:
			fmt.Fprintf(&b, "[-]%s failed: reason withheld\n", name)
			failed = true
		}
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range excluded {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(&b, "warn: some health checks cannot be excluded: no matches for %q\n", name)
	}
	if failed {
		fmt.Fprintf(&b, "%s check failed\n", endpoint)
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(b.String()))
		return
	}
	if _, verbose := q["verbose"]; !verbose {
		_, _ = w.Write([]byte("ok"))
		return
	}
	fmt.Fprintf(&b, "%s check passed\n", endpoint)
	_, _ = w.Write([]byte(b.String()))
}
