package kubeapi

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"

	openapi_v2 "github.com/google/gnostic-models/openapiv2"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/kubesim/kubesim/sim/kubeversion"
)

// The OpenAPI v3 documents describe the paths and operations of every
// served kind and, in components.schemas, the schemas of its Go types
// (schema.go), so that `kubectl explain` works as against kube-apiserver.
// The PATCH operations deliberately do not list
// application/strategic-merge-patch+json: kubectl apply then computes
// its strategic merge patches from its built-in Go types (the same struct
// tags the schemas are generated from) rather than from these documents.
// Every PATCH operation takes fieldValidation, so kubectl apply/create
// validate server-side with fieldValidation=Strict.

func openAPIPath(gv schema.GroupVersion) string {
	if gv.Group == "" {
		return "api/" + gv.Version
	}
	return "apis/" + gv.Group + "/" + gv.Version
}

// openAPIDocument is one served v3 document, encoded once.
type openAPIDocument struct {
	json []byte
	hash string
}

// openAPIDocs are generated on first use and cached: the served kinds
// never change while the process runs.
var openAPIDocs = sync.OnceValue(func() map[string]openAPIDocument {
	docs := map[string]openAPIDocument{}
	for _, gv := range groupVersions() {
		b, err := json.Marshal(openAPIDoc(gv))
		if err != nil {
			panic(err) // maps of strings and slices always encode
		}
		h := sha512.Sum512(b)
		docs[openAPIPath(gv)] = openAPIDocument{json: b, hash: strings.ToUpper(hex.EncodeToString(h[:]))}
	}
	return docs
})

// openAPIV3 serves /openapi/v3 (the index) and /openapi/v3/<gv path>.
func (s *Server) openAPIV3(w http.ResponseWriter, r *http.Request, rest string) {
	rest = strings.TrimPrefix(rest, "/")
	docs := openAPIDocs()
	if rest == "" {
		paths := map[string]any{}
		for p, d := range docs {
			paths[p] = map[string]any{"serverRelativeURL": "/openapi/v3/" + p + "?hash=" + d.hash}
		}
		writeJSON(w, http.StatusOK, map[string]any{"paths": paths})
		return
	}
	d, ok := docs[rest]
	if !ok {
		writeError(w, pathNotFound())
		return
	}
	if r.URL.Query().Get("hash") == d.hash {
		w.Header().Set("Cache-Control", "public, immutable")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Etag", `"`+d.hash+`"`)
	_, _ = w.Write(d.json) // a client gone mid-reply is nothing to act on
}

func openAPIDoc(gv schema.GroupVersion) map[string]any {
	paths := map[string]any{}
	gen := newSchemaGen()
	for _, r := range resources {
		if r.gv != gv {
			continue
		}
		addKindSchemas(gen, r)
		base := "/" + openAPIPath(gv) + "/"
		if r.namespaced {
			base += "namespaces/{namespace}/"
		}
		gvk := map[string]string{"group": gv.Group, "version": gv.Version, "kind": r.kind}
		ops := map[string]any{"get": operation(gvk, nil)}
		if !r.readOnly {
			ops["put"] = operation(gvk, []string{"application/json", "application/yaml"})
			ops["patch"] = operation(gvk, []string{"application/json-patch+json", "application/merge-patch+json"})
			ops["delete"] = operation(gvk, nil)
		}
		paths[base+r.plural+"/{name}"] = ops
		coll := map[string]any{"get": operation(gvk, nil)}
		if !r.readOnly {
			coll["post"] = operation(gvk, []string{"application/json", "application/yaml"})
		}
		paths[base+r.plural] = coll
	}
	gen.schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Patch"] = map[string]any{
		"type":        "object",
		"description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
	}
	return map[string]any{
		"openapi":    "3.0.0",
		"info":       map[string]string{"title": "Kubernetes (kubesim)", "version": kubeversion.GitVersion},
		"paths":      paths,
		"components": map[string]any{"schemas": gen.schemas},
	}
}

// addKindSchemas defines the schemas of the Go type served for r and of
// its list type, looked up in client-go's scheme by group/version/kind.
func addKindSchemas(gen *schemaGen, r *resource) {
	for _, kind := range []string{r.kind, r.kind + "List"} {
		gvk := r.gv.WithKind(kind)
		obj, err := clientscheme.Scheme.New(gvk)
		if err != nil {
			continue
		}
		gen.addKind(reflect.TypeOf(obj), gvk)
	}
}

func operation(gvk map[string]string, bodyTypes []string) map[string]any {
	op := map[string]any{
		"x-kubernetes-group-version-kind": gvk,
		"parameters": []any{
			map[string]any{"name": "fieldValidation", "in": "query", "schema": map[string]string{"type": "string"}},
			map[string]any{"name": "dryRun", "in": "query", "schema": map[string]string{"type": "string"}},
		},
		"responses": map[string]any{"200": map[string]any{"description": "OK"}},
	}
	if len(bodyTypes) > 0 {
		content := map[string]any{}
		for _, t := range bodyTypes {
			content[t] = map[string]any{"schema": map[string]string{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}}
		}
		op["requestBody"] = map[string]any{"content": content}
	}
	return op
}

// openAPIV2 serves /openapi/v2 as the protobuf kubectl asks for: the same
// paths in Swagger 2.0 form (no definitions: kubectl explain reads the v3
// schemas, and without v2 definitions kubectl apply keeps computing its
// patches from its built-in types). kubectl falls back to it
// when a kind is missing from the v3 documents, e.g. to report an
// unknown kind as "no matches for kind" rather than a download error.
func (s *Server) openAPIV2(w http.ResponseWriter) {
	s.v2Once.Do(func() { s.v2Doc, s.v2Err = openAPIV2Doc() })
	if s.v2Err != nil {
		writeError(w, s.v2Err)
		return
	}
	w.Header().Set("Content-Type", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
	_, _ = w.Write(s.v2Doc) // a client gone mid-reply is nothing to act on
}

func openAPIV2Doc() ([]byte, error) {
	paths := map[string]any{}
	for _, gv := range groupVersions() {
		doc := openAPIDoc(gv)
		for p, ops := range doc["paths"].(map[string]any) {
			v2ops := map[string]any{}
			for verb, op := range ops.(map[string]any) {
				o := op.(map[string]any)
				var params []any
				for _, prm := range o["parameters"].([]any) {
					pm := prm.(map[string]any)
					params = append(params, map[string]any{"name": pm["name"], "in": "query", "type": "string", "uniqueItems": true})
				}
				v2ops[verb] = map[string]any{
					"x-kubernetes-group-version-kind": o["x-kubernetes-group-version-kind"],
					"parameters":                      params,
					"responses":                       map[string]any{"200": map[string]any{"description": "OK"}},
				}
			}
			paths[p] = v2ops
		}
	}
	b, err := json.Marshal(map[string]any{
		"swagger": "2.0",
		"info":    map[string]string{"title": "Kubernetes (kubesim)", "version": kubeversion.GitVersion},
		"paths":   paths,
	})
	if err != nil {
		return nil, err
	}
	doc, err := openapi_v2.ParseDocument(b)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(doc)
}
