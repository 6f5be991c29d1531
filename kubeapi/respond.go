package kubeapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubesim/kubesim/sim/store"
)

// writeJSON writes v with the given status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, apierrors.NewInternalError(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b) // a client gone mid-reply is nothing to act on
	_, _ = w.Write([]byte("\n"))
}

// statusOf turns any error into the metav1.Status kube-apiserver would
// answer: apimachinery's API errors keep their code and reason; anything
// else is a 500.
func statusOf(err error) *metav1.Status {
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		st := se.Status()
		st.Kind, st.APIVersion = "Status", "v1"
		if st.Status == "" {
			st.Status = metav1.StatusFailure
		}
		if st.Code == 0 {
			st.Code = http.StatusInternalServerError
		}
		// The simulated API server fails writes without etcd quorum with
		// a Timeout error (504): kube-apiserver answers those so too.
		return &st
	}
	return &metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status: metav1.StatusFailure, Code: http.StatusInternalServerError,
		Reason: metav1.StatusReasonInternalError, Message: err.Error()}
}

func writeError(w http.ResponseWriter, err error) {
	st := statusOf(err)
	if st.Reason == metav1.StatusReasonTooManyRequests || st.Reason == metav1.StatusReasonServerTimeout {
		if st.Details != nil && st.Details.RetryAfterSeconds > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(st.Details.RetryAfterSeconds))
		}
	}
	writeJSON(w, int(st.Code), st)
}

func badRequest(format string, args ...any) error {
	return apierrors.NewBadRequest(fmt.Sprintf(format, args...))
}

func notFound(gr schema.GroupResource, name string) error { return apierrors.NewNotFound(gr, name) }

func methodNotSupported(r *resource, verb string) error {
	return apierrors.NewMethodNotSupported(r.groupResource(), verb)
}

// typed returns a shallow copy of a store object with apiVersion and kind
// set (objects in the store are shared and immutable, and carry no type
// meta); nothing below the top level is copied.
func typed(o store.Object, gvk schema.GroupVersionKind) store.Object {
	v := reflect.ValueOf(o).Elem()
	cp := reflect.New(v.Type())
	cp.Elem().Set(v)
	out := cp.Interface().(store.Object)
	out.GetObjectKind().SetGroupVersionKind(gvk)
	return out
}

// serve returns what the resource serves for a store object: the object
// itself with its type meta, or its conversion (events.k8s.io).
func (r *resource) serve(o store.Object) any {
	if r.convert != nil {
		return r.convert(o)
	}
	return typed(o, r.gvk())
}

// successStatus is the body of a delete that removed the object at once,
// and of an eviction.
func successStatus(code int, details *metav1.StatusDetails) *metav1.Status {
	return &metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status: metav1.StatusSuccess, Code: int32(code), Details: details}
}
