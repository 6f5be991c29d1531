package kubeapi

import (
	"net/http"
	"runtime"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
)

// version answers /version like a kube-apiserver of the configured
// release, built as kubesim.
func (s *Server) version(w http.ResponseWriter) {
	v := strings.TrimPrefix(s.opts.Version, "v")
	parts := strings.SplitN(v, ".", 3)
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	writeJSON(w, http.StatusOK, version.Info{
		Major: parts[0], Minor: parts[1], GitVersion: s.opts.Version + "-kubesim",
		GitCommit: "kubesim", GitTreeState: "clean", BuildDate: "2026-01-01T00:00:00Z",
		GoVersion: runtime.Version(), Compiler: runtime.Compiler, Platform: runtime.GOOS + "/" + runtime.GOARCH,
	})
}

// apiVersions is /api: the legacy core group. kubectl asks for the
// aggregated discovery format first and falls back to these legacy
// documents when the answer is plain application/json.
func (s *Server) apiVersions(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, metav1.APIVersions{
		TypeMeta: metav1.TypeMeta{Kind: "APIVersions"},
		Versions: []string{"v1"},
		ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{
			{ClientCIDR: "0.0.0.0/0", ServerAddress: "127.0.0.1:6443"},
		},
	})
}

// apiGroupOf lists a group's served versions, the first one preferred
// (autoscaling serves v2, preferred, and v1 as kube-apiserver does).
func apiGroupOf(group string) (metav1.APIGroup, bool) {
	g := metav1.APIGroup{TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}, Name: group}
	for _, gv := range groupVersions() {
		if gv.Group == group {
			g.Versions = append(g.Versions, metav1.GroupVersionForDiscovery{GroupVersion: gv.String(), Version: gv.Version})
		}
	}
	if group == metricsGV.Group {
		return metricsGroup(), true
	}
	if len(g.Versions) == 0 {
		return g, false
	}
	g.PreferredVersion = g.Versions[0]
	return g, true
}

func (s *Server) apiGroups(w http.ResponseWriter) {
	list := metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}, Groups: []metav1.APIGroup{}}
	for _, gv := range groupVersions() {
		if gv.Group == "" || slices.ContainsFunc(list.Groups, func(g metav1.APIGroup) bool { return g.Name == gv.Group }) {
			continue // a group's versions are listed together
		}
		g, _ := apiGroupOf(gv.Group)
		g.TypeMeta = metav1.TypeMeta{}
		list.Groups = append(list.Groups, g)
	}
	mg := metricsGroup() // the aggregated resource metrics API (metrics-server)
	mg.TypeMeta = metav1.TypeMeta{}
	list.Groups = append(list.Groups, mg)
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) apiGroup(w http.ResponseWriter, group string) {
	if g, ok := apiGroupOf(group); ok && group != "" {
		writeJSON(w, http.StatusOK, g)
		return
	}
	writeError(w, pathNotFound())
}

// resourceList is /api/v1 or /apis/<group>/<version>.
func (s *Server) resourceList(w http.ResponseWriter, gv schema.GroupVersion) {
	list := metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv.String()}
	for _, r := range resources {
		if r.gv != gv {
			continue
		}
		list.APIResources = append(list.APIResources, metav1.APIResource{
			Name: r.plural, SingularName: r.singular, Namespaced: r.namespaced, Kind: r.kind,
			Verbs: r.verbs(), ShortNames: r.short, Categories: r.categories,
		})
		for _, sub := range r.subresources {
			list.APIResources = append(list.APIResources, subresourceInfo(r, sub))
		}
	}
	list.APIResources = append(list.APIResources, reviewAPIResources(gv)...)
	if gv == componentStatuses.gv {
		list.APIResources = append(list.APIResources, componentStatusAPIResource())
	}
	if len(list.APIResources) == 0 {
		writeError(w, pathNotFound())
		return
	}
	writeJSON(w, http.StatusOK, list)
}

// subresourceInfo describes a subresource as kube-apiserver does; kubectl
// drain looks for pods/eviction with group policy to use the eviction API.
func subresourceInfo(r *resource, sub string) metav1.APIResource {
	a := metav1.APIResource{Name: r.plural + "/" + sub, Namespaced: r.namespaced, Kind: r.kind}
	switch sub {
	case "status":
		a.Verbs = []string{"get", "patch", "update"}
	case "scale":
		a.Group, a.Version, a.Kind = "autoscaling", "v1", "Scale"
		a.Verbs = []string{"get", "patch", "update"}
	case "eviction":
		a.Group, a.Version, a.Kind = "policy", "v1", "Eviction"
		a.Verbs = []string{"create"}
	case "binding":
		a.Kind = "Binding"
		a.Verbs = []string{"create"}
	case "log":
		a.Kind = "Pod"
		a.Verbs = []string{"get"}
	case "exec":
		a.Kind = "PodExecOptions"
		a.Verbs = []string{"create", "get"}
	case "portforward":
		a.Kind = "PodPortForwardOptions"
		a.Verbs = []string{"create", "get"}
	case "attach":
		a.Kind = "PodAttachOptions"
		a.Verbs = []string{"create", "get"}
	case "ephemeralcontainers":
		a.Verbs = []string{"get", "patch", "update"}
	case "token":
		a.Group, a.Version, a.Kind = "authentication.k8s.io", "v1", "TokenRequest"
		a.Verbs = []string{"create"}
	case "approval":
		a.Verbs = []string{"get", "patch", "update"}
	}
	return a
}
