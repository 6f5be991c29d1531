package controllerutil

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

// TestBaseStart: Start opens the declared watches, queues the reconciled
// kind's existing objects once, runs OnStart after the watches, and a
// second Start neither doubles a watch nor queues again; Stop ends the
// watches.
func TestBaseStart(t *testing.T) {
	e := sim.NewEngine(1)
	srv := apiserver.New(e, store.New(e))
	admin := srv.Client("test")
	for _, ns := range []string{"a", "b"} {
		_, err := admin.Create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		require.NoError(t, err)
	}
	var synced, seen, steps []string
	b := NewBase(e, srv.Client("c"), "c", Config{}, func(key string) error { synced = append(synced, key); return nil })
	b.Reconciles("Namespace", func(ev store.Event) { b.Queue.Add(ev.Object.GetName()) })
	b.Handles("ConfigMap", func(ev store.Event) { seen = append(seen, store.KeyOf(ev.Object)) })
	b.OnStart(func() { steps = append(steps, "started") })
	require.Empty(t, b.watches, "nothing is watched before Start")

	b.Start()
	b.Start()
	require.Len(t, b.watches, 2)
	require.Equal(t, []string{"started"}, steps)
	e.RunUntil(time.Second)
	require.Equal(t, []string{"a", "b"}, synced)

	_, err := admin.Create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "x"}})
	require.NoError(t, err)
	e.RunUntil(2 * time.Second)
	require.Equal(t, []string{"a/x"}, seen, "one watch per declaration, even after two Starts")

	b.Stop()
	_, err = admin.Create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "y"}})
	require.NoError(t, err)
	e.RunUntil(3 * time.Second)
	require.Equal(t, []string{"a/x"}, seen)
}
