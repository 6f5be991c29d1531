package etcd

import (
	"crypto/sha256"
	"reflect"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// cached reports whether q holds its string form.
func cached(q *resource.Quantity) bool { return reflect.ValueOf(q).Elem().FieldByName("s").Len() > 0 }

// A Quantity encoding would format in place is formatted; one an encoder
// formats in a copy (a map's value) is left as it was.
func TestWarmQuantities(t *testing.T) {
	type tree struct {
		Q    *resource.Quantity
		Kids []tree
	}
	type withMap struct {
		ByName map[string]*resource.Quantity
		Values map[string]resource.Quantity
	}
	type withAny struct{ V any }
	for _, tc := range []struct {
		name string
		obj  func(q *resource.Quantity) value
		want bool
	}{
		{"behind a pointer", func(q *resource.Quantity) value {
			return &corev1.Pod{Spec: corev1.PodSpec{Volumes: []corev1.Volume{{VolumeSource: corev1.VolumeSource{
				EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: q}}}}}}
		}, true},
		{"a field, in a slice", func(q *resource.Quantity) value {
			return &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Env: []corev1.EnvVar{{ValueFrom: &corev1.EnvVarSource{
				ResourceFieldRef: &corev1.ResourceFieldSelector{Divisor: *q}}}}}}}}
		}, true},
		{"behind a map's value", func(q *resource.Quantity) value {
			return &withMap{ByName: map[string]*resource.Quantity{"a": q}}
		}, true},
		{"in a recursive type", func(q *resource.Quantity) value {
			return &tree{Kids: []tree{{}, {Kids: []tree{{Q: q}}}}}
		}, true},
		{"behind an interface", func(q *resource.Quantity) value { return &withAny{V: q} }, true},
		{"a map's value", func(q *resource.Quantity) value {
			return &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: *q}}}}}}
		}, false},
		{"nowhere", func(*resource.Quantity) value { return &coordinationv1.Lease{} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := resource.NewMilliQuantity(250, resource.DecimalSI)
			obj := tc.obj(q)
			warmQuantities(obj)
			got := false
			walkQuantities(reflect.ValueOf(obj), 0, func(q *resource.Quantity) { got = got || cached(q) })
			require.Equal(t, tc.want, got)
		})
	}
}

// Once warmed, an object of each kind the store holds encodes without
// writing to it, whichever of its fields are set: every pointer, slice
// and map of it filled. (Some kinds hold Quantities only as a map's
// values, which encoding formats in copies.)
func TestWarmedObjectsEncodeUnchanged(t *testing.T) {
	for _, obj := range []value{&corev1.Pod{}, &corev1.Node{}, &appsv1.Deployment{}, &appsv1.ReplicaSet{},
		&appsv1.StatefulSet{}, &appsv1.DaemonSet{}, &corev1.PersistentVolume{}, &corev1.PersistentVolumeClaim{},
		&corev1.ResourceQuota{}, &corev1.LimitRange{}} {
		t.Run(reflect.TypeOf(obj).Elem().Name(), func(t *testing.T) {
			fill(reflect.ValueOf(obj).Elem(), 0)
			walkQuantities(reflect.ValueOf(obj), 0, func(q *resource.Quantity) { require.False(t, cached(q)) })
			warmQuantities(obj)
			before := reflect.ValueOf(obj).MethodByName("DeepCopy").Call(nil)[0].Interface()
			_, err := encode(nil, obj)
			require.NoError(t, err)
			require.Equal(t, before, obj, "encoding wrote to the object")
		})
	}
}

// Pods sharing a Quantity (a shallow copy's slices) are hashed by two
// encoders; `go test -race` finds an encoder writing it (whether the
// encoders overlap is up to the scheduler: the hash is taken a few times).
func TestHashSharedQuantitiesRaceFree(t *testing.T) {
	for range 4 {
		volumes := []corev1.Volume{{VolumeSource: corev1.VolumeSource{
			EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: resource.NewQuantity(1<<30, resource.BinarySI)}}}}
		pods := map[string]value{}
		for i := range 8 * hashChunk {
			name := "p-" + strconv.Itoa(i)
			pods["default/"+name] = &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
				Spec: corev1.PodSpec{Volumes: volumes}}
		}
		require.NoError(t, hashContent(sha256.New(), contentOf(map[string]map[string]value{"Pod": pods})))
		require.True(t, cached(volumes[0].EmptyDir.SizeLimit))
	}
}

// fill sets every exported pointer, slice and map of v, to a depth.
func fill(v reflect.Value, depth int) {
	if depth > 24 || v.Type() == quantityTy {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem(), depth+1)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0), depth+1)
	case reflect.Map:
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(e, depth+1)
		v.Set(reflect.MakeMap(v.Type()))
		v.SetMapIndex(k, e)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	}
}

// walkQuantities calls f with every Quantity v holds by address.
func walkQuantities(v reflect.Value, depth int, f func(*resource.Quantity)) {
	if depth > 28 {
		return
	}
	if v.Type() == quantityTy {
		if v.CanAddr() {
			f(v.Addr().Interface().(*resource.Quantity))
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkQuantities(v.Elem(), depth+1, f)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkQuantities(v.Index(i), depth+1, f)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			walkQuantities(it.Value(), depth+1, f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkQuantities(v.Field(i), depth+1, f)
			}
		}
	}
}
