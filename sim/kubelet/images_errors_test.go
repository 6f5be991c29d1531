package kubelet

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/kubelet/images"
)

func TestImageErrors(t *testing.T) {
	for _, tc := range []struct {
		name, image string
		policy      corev1.PullPolicy
		reason      string
		event       string
	}{
		{"invalid name", "NGINX", "", "InvalidImageName",
			`Warning InspectFailed: Failed to apply default image tag "NGINX": couldn't parse image name "NGINX": invalid reference format: repository name must be lowercase`},
		{"never pull", "nginx:1.27", corev1.PullNever, "ErrImageNeverPull",
			`Warning ErrImageNeverPull: Container image "nginx:1.27" is not present with pull policy of Never`},
		{"missing repo", "doesnotexist:1.0", "", "ImagePullBackOff",
			`Warning Failed: Failed to pull image "doesnotexist:1.0": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/doesnotexist:1.0": failed to resolve reference "docker.io/library/doesnotexist:1.0": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, true)
			h.runPod("img", func(p *corev1.Pod) {
				p.Spec.Containers[0].Image = tc.image
				p.Spec.Containers[0].ImagePullPolicy = tc.policy
			})
			h.run(5 * time.Second)
			p := h.pod("img")
			require.Equal(t, corev1.PodPending, p.Status.Phase)
			require.Equal(t, tc.reason, p.Status.ContainerStatuses[0].State.Waiting.Reason)
			h.requireEvent("img", tc.event)
		})
	}
}

func TestPullAlwaysPullsAgain(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("a", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "nginx" })
	h.run(5 * time.Second)
	h.runPod("b", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "nginx" })
	h.run(5 * time.Second)
	require.Equal(t, corev1.PullAlways, h.pod("b").Spec.Containers[0].ImagePullPolicy)
	require.Len(t, h.eventTimes("b", "Normal Pulling"), 1)
	// Layers are cached: the second pull is only the registry round trip.
	pullA := h.eventTimes("a", "Normal Pulled")[0] - h.eventTimes("a", "Normal Pulling")[0]
	pullB := h.eventTimes("b", "Normal Pulled")[0] - h.eventTimes("b", "Normal Pulling")[0]
	require.Less(t, pullB, pullA)
	require.Less(t, pullB, time.Second)
}

func TestConcurrentPullsShareOnePull(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("a", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "postgres:16" })
	h.runPod("b", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "postgres:16" })
	h.run(10 * time.Second)
	a, b := h.eventTimes("a", "Normal Pulled"), h.eventTimes("b", "Normal Pulled")
	require.Len(t, a, 1)
	require.Len(t, b, 1)
	require.Equal(t, a[0], b[0], "both wait for the same pull")
	require.Equal(t, 1, len(h.k.images))
}

// TestImageKeysMemo: the kubelet remembers each image name's canonical
// reference (imageKeys), a pure function of the name: every entry is
// what parsing gives, the aliases of one image share its imageState,
// and an invalid name is never remembered.
func TestImageKeysMemo(t *testing.T) {
	h := newHarness(t, true)
	for i, image := range []string{"nginx:1.27", "docker.io/library/nginx:1.27", "nginx:1.27", "NGINX"} {
		h.runPod("img-"+strconv.Itoa(i), func(p *corev1.Pod) { p.Spec.Containers[0].Image = image })
		h.run(20 * time.Second)
	}
	require.Len(t, h.k.imageKeys, 2)
	for name, key := range h.k.imageKeys {
		ref, err := images.Parse(name)
		require.NoError(t, err)
		require.Equal(t, ref.String(), key, name)
		require.NotNil(t, h.k.images[key], name)
	}
	for i := range 3 {
		require.Equal(t, corev1.PodRunning, h.pod("img-"+strconv.Itoa(i)).Status.Phase)
	}
	require.Equal(t, "InvalidImageName", h.pod("img-3").Status.ContainerStatuses[0].State.Waiting.Reason)
}
