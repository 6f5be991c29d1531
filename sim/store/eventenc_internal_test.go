package store

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// encodeEvent writes exactly gogo's bytes for every simple Event: empty
// and long strings (two- and three-byte lengths), zero, negative and
// large counts and generations, zero timestamps and ones before 1970,
// and simpleEvent leaves the others to gogo.
func TestEncodeEventIsGogos(t *testing.T) {
	at := metav1.NewTime(time.Date(2026, 12, 5, 9, 0, 0, 123456789, time.UTC))
	base := func() *corev1.Event {
		return &corev1.Event{
			ObjectMeta: metav1.ObjectMeta{Name: "web-1.18a2b3c4d5e6f7a8", Namespace: "default", UID: "0b6f-uid",
				ResourceVersion: "12345", CreationTimestamp: at},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: "default", Name: "web-1",
				UID: "pod-uid", ResourceVersion: "77", FieldPath: "spec.containers{app}"},
			Reason: "Started", Message: "Started container app", Type: corev1.EventTypeNormal, Count: 1,
			Source:         corev1.EventSource{Component: "kubelet", Host: "node-1"},
			FirstTimestamp: at, LastTimestamp: at, ReportingController: "kubelet",
		}
	}
	long := strings.Repeat("x", 200)
	huge := strings.Repeat("y", 20000)
	for _, tc := range []struct {
		name   string
		edit   func(*corev1.Event)
		simple bool
	}{
		{"as written", func(*corev1.Event) {}, true},
		{"empty", func(ev *corev1.Event) { *ev = corev1.Event{} }, true},
		{"long message", func(ev *corev1.Event) { ev.Message = long }, true},
		{"huge message", func(ev *corev1.Event) { ev.Message = huge; ev.InvolvedObject.Name = long }, true},
		{"every string", func(ev *corev1.Event) {
			ev.GenerateName, ev.Action, ev.ReportingInstance = "g-", "Binding", "node-1"
		}, true},
		{"counted", func(ev *corev1.Event) { ev.Count = 300 }, true},
		{"negative count", func(ev *corev1.Event) { ev.Count = -1 }, true},
		{"generation", func(ev *corev1.Event) { ev.Generation = 1 << 40 }, true},
		{"no timestamps", func(ev *corev1.Event) {
			ev.CreationTimestamp, ev.FirstTimestamp, ev.LastTimestamp = metav1.Time{}, metav1.Time{}, metav1.Time{}
		}, true},
		{"before 1970", func(ev *corev1.Event) { ev.FirstTimestamp = metav1.NewTime(time.Unix(-5, 0).UTC()) }, true},
		{"self link", func(ev *corev1.Event) { ev.SelfLink = "/api/x" }, false}, //nolint:staticcheck // SA1019: left to gogo
		{"labels", func(ev *corev1.Event) { ev.Labels = map[string]string{"a": "b"} }, false},
		{"owner", func(ev *corev1.Event) { ev.OwnerReferences = []metav1.OwnerReference{{Name: "o"}} }, false},
		{"related", func(ev *corev1.Event) { ev.Related = &corev1.ObjectReference{Name: "r"} }, false},
		{"event time", func(ev *corev1.Event) { ev.EventTime = metav1.NewMicroTime(at.Time) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := base()
			tc.edit(ev)
			require.Equal(t, tc.simple, simpleEvent(ev))
			if !tc.simple {
				return
			}
			want, err := ev.Marshal()
			require.NoError(t, err)
			d := draftOf(ev)
			z := sizesOf(&d, len(ev.UID), len(ev.ResourceVersion))
			require.Equal(t, len(want), z.total)
			got := encodeEvent(make([]byte, 0, z.total), &d, string(ev.UID), ev.ResourceVersion, z)
			require.Equal(t, want, got)
			// The same with the UID and resourceVersion given as bytes
			// (CreateEvent's), and the draft drafts the Event but for
			// those.
			uid, rv := []byte(ev.UID), []byte(ev.ResourceVersion)
			ev.UID, ev.ResourceVersion = "", ""
			require.Equal(t, want, encodeEvent(nil, &d, uid, rv, sizesOf(&d, len(uid), len(rv))))
			require.Equal(t, ev, d.Event())
		})
	}
}
