package tainteviction_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/controllers/nodelifecycle/tainteviction"
)

func secs(n int64) *int64 { return &n }

var unreachable = corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}

func TestTolerationTime(t *testing.T) {
	for _, tc := range []struct {
		name        string
		tolerations []corev1.Toleration
		tolerated   bool
		want        time.Duration
	}{
		{"none", nil, false, 0},
		{"default 300s", []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: secs(300)}}, true, 300 * time.Second},
		{"forever", []corev1.Toleration{{Operator: corev1.TolerationOpExists}}, true, -1},
		{"wrong key", []corev1.Toleration{{Key: "other", Operator: corev1.TolerationOpExists}}, false, 0},
		{"wrong effect", []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}, false, 0},
		{"first match wins", []corev1.Toleration{
			{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, TolerationSeconds: secs(60)},
			{Operator: corev1.TolerationOpExists},
		}, true, 60 * time.Second},
		{"zero seconds", []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, TolerationSeconds: secs(0)}}, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			used, ok := tainteviction.MatchingTolerations([]corev1.Taint{unreachable}, tc.tolerations)
			require.Equal(t, tc.tolerated, ok)
			if ok {
				require.Equal(t, tc.want, tainteviction.MinTolerationTime(used))
			}
		})
	}
}
