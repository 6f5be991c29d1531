package kubelet

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/apiserver"
)

// diskPod runs busybox with script, a "cache" emptyDir (sizeLimit: none
// if "") mounted at /cache, and the container's ephemeral-storage
// request and limit ("": none).
func diskPod(script, sizeLimit, request, limit string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		ed := &corev1.EmptyDirVolumeSource{}
		if sizeLimit != "" {
			ed.SizeLimit = ptr.To(resource.MustParse(sizeLimit))
		}
		p.Spec.Volumes = []corev1.Volume{{Name: "cache", VolumeSource: corev1.VolumeSource{EmptyDir: ed}}}
		c := &p.Spec.Containers[0]
		c.Image, c.Command = "busybox:1.36", []string{"sh", "-c", script}
		c.VolumeMounts = []corev1.VolumeMount{{Name: "cache", MountPath: "/cache"}}
		if request != "" {
			c.Resources.Requests = corev1.ResourceList{corev1.ResourceEphemeralStorage: resource.MustParse(request)}
		}
		if limit != "" {
			c.Resources.Limits = corev1.ResourceList{corev1.ResourceEphemeralStorage: resource.MustParse(limit)}
		}
	}
}

func hasCondition(p *corev1.Pod, typ corev1.PodConditionType) bool {
	return slices.ContainsFunc(p.Status.Conditions, func(c corev1.PodCondition) bool { return c.Type == typ })
}

// Local storage limits, checked on each pass of the eviction manager:
// an emptyDir over its sizeLimit, a container over its
// ephemeral-storage limit (its writable layer), a pod over the sum of
// its containers' limits. Each pod is Failed, reason Evicted, with
// upstream's message and event and no DisruptionTarget condition; a pod
// within its limits, and one writing to a memory emptyDir, keep running.
func TestLocalStorageLimitEviction(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("emptydir", diskPod("dd if=/dev/zero of=/cache/f bs=1M count=600; sleep 3600", "500Mi", "", ""))
	h.runPod("container", func(p *corev1.Pod) {
		diskPod("fallocate -l 200M /tmp/x && sleep 3600", "", "", "100Mi")(p)
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "side", Image: "nginx:1.27",
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceEphemeralStorage: resource.MustParse("1Gi")}}})
	})
	h.runPod("pod", func(p *corev1.Pod) {
		diskPod("fallocate -l 250M /cache/y && sleep 3600", "", "", "100Mi")(p)
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "side", Image: "nginx:1.27",
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceEphemeralStorage: resource.MustParse("100Mi")}}})
	})
	h.runPod("within", diskPod("dd if=/dev/zero of=/cache/f bs=1M count=400 && rm /cache/f && fallocate -l 450M /cache/g && sleep 3600", "500Mi", "", "1Gi"))
	h.runPod("tmpfs", func(p *corev1.Pod) {
		diskPod("fallocate -l 900M /cache/f; sleep 3600", "500Mi", "", "")(p)
		p.Spec.Volumes[0].EmptyDir.Medium = corev1.StorageMediumMemory
	})
	h.run(30 * time.Second)
	for name, msg := range map[string]string{
		"emptydir":  `Usage of EmptyDir volume "cache" exceeds the limit "500Mi". `,
		"container": `Container web exceeded its local ephemeral storage limit "100Mi". `,
		"pod":       `Pod ephemeral local storage usage exceeds the total limit of containers 200Mi. `,
	} {
		p := h.pod(name)
		require.Equal(t, corev1.PodFailed, p.Status.Phase, name)
		require.Equal(t, "Evicted", p.Status.Reason, name)
		require.Equal(t, msg, p.Status.Message, name)
		require.False(t, hasCondition(p, corev1.DisruptionTarget), name)
		h.requireEvent(name, "Warning Evicted: "+msg)
	}
	require.Equal(t, corev1.PodRunning, h.pod("within").Status.Phase)
	require.Equal(t, corev1.PodRunning, h.pod("tmpfs").Status.Phase, "a memory emptyDir stops at its size")
	p := h.k.pods["default/tmpfs"]
	require.Equal(t, int64(500<<20), p.disk.tmpfs, "counted as memory")
	require.Equal(t, int64(450<<20), h.k.pods["default/within"].disk.nodefs, "the removed file freed its space")
	require.Equal(t, corev1.ConditionFalse, cond(h.node(), corev1.NodeDiskPressure).Status)
}

// A node whose root volume (20Gi on an m5.large) has less than 10% left:
// DiskPressure, then node-level reclaim (unused images) before any pod,
// then one pod evicted per pass in upstream's ranking for
// ephemeral-storage (over request first, then lower priority, then
// larger excess), with upstream's message; new pods are refused while
// the condition holds, and it clears five minutes after the threshold
// was last crossed.
func TestDiskPressureEviction(t *testing.T) {
	h := newHarness(t, true)
	h.highPriority()
	// An image used once, then unused: garbage the reclaim frees.
	h.runPod("once", func(p *corev1.Pod) {
		p.Spec.Containers[0].Image = "postgres:16"
		p.Spec.RestartPolicy = corev1.RestartPolicyNever
		p.Spec.Containers[0].Command = []string{"true"}
	})
	h.run(time.Minute)
	require.Equal(t, corev1.PodSucceeded, h.pod("once").Status.Phase)
	require.NoError(t, h.Admin.Delete("Pod", "default", "once", deleteOptions(ptr.To(int64(0)))))
	h.run(2 * time.Minute)
	before := h.k.diskUsed
	pg := h.k.images["docker.io/library/postgres:16"]
	require.NotNil(t, pg)
	pgBytes := imageDiskBytes(pg.res)

	// Just under the threshold: freeing the unused image is enough.
	thr := nodefsThreshold(h.k.diskCapacity)
	fill := h.k.diskCapacity - before - thr + 100<<20
	h.runPod("fill", diskPod(fmt.Sprintf("fallocate -l %d /cache/f; sleep 3600", fill), "", "", ""))
	h.run(12 * time.Second)
	h.requireEvent("node-1", "Warning EvictionThresholdMet: Attempting to reclaim ephemeral-storage")
	for _, im := range h.node().Status.Images {
		require.NotContains(t, im.Names[1], "postgres", "the unused image went")
	}
	require.Equal(t, corev1.ConditionTrue, cond(h.node(), corev1.NodeDiskPressure).Status)
	require.Equal(t, corev1.PodRunning, h.pod("fill").Status.Phase, "no pod evicted")
	require.Empty(t, h.eventTimes("fill", "Warning Evicted"))
	require.NoError(t, h.Admin.Delete("Pod", "default", "fill", deleteOptions(ptr.To(int64(0)))))
	h.run(10 * time.Second)
	bb := h.k.images["docker.io/library/busybox:1.36"]
	require.NotNil(t, bb, "pulled for fill: too recent to collect")
	require.Equal(t, before-pgBytes+imageDiskBytes(bb.res), h.k.diskUsed, "the fill's emptyDir went with it, and the image")
	h.run(5 * time.Minute) // the transition period: until then new pods are refused
	require.Equal(t, corev1.ConditionFalse, cond(h.node(), corev1.NodeDiskPressure).Status)

	h.runPod("big", diskPod("fallocate -l 6G /cache/f; sleep 3600", "", "", ""))
	h.runPod("small", diskPod("fallocate -l 1G /cache/f; sleep 3600", "", "", ""))
	h.runPod("vip", func(p *corev1.Pod) {
		diskPod("fallocate -l 4G /cache/f; sleep 3600", "", "", "")(p)
		p.Spec.PriorityClassName = "high"
	})
	h.runPod("reserved", diskPod("fallocate -l 5G /tmp/f; sleep 3600", "", "6Gi", ""))
	h.run(12 * time.Second)

	big := h.pod("big")
	require.Equal(t, corev1.PodFailed, big.Status.Phase)
	require.Equal(t, "Evicted", big.Status.Reason)
	require.True(t, strings.HasPrefix(big.Status.Message, "The node was low on resource: ephemeral-storage. Threshold quantity: 2147483680, available: "), big.Status.Message)
	require.True(t, strings.HasSuffix(big.Status.Message, ". Container web was using 32Ki, request is 0, has larger consumption of ephemeral-storage. "), big.Status.Message)
	require.True(t, hasCondition(big, corev1.DisruptionTarget))
	h.requireEvent("big", "Warning Evicted: "+big.Status.Message)
	for _, name := range []string{"small", "vip", "reserved"} {
		require.Equal(t, corev1.PodRunning, h.pod(name).Status.Phase, name)
	}
	require.Less(t, h.k.diskUsed, before+11<<30, "the evicted pod's emptyDir is gone")

	dp := cond(h.node(), corev1.NodeDiskPressure)
	require.Equal(t, "KubeletHasDiskPressure", dp.Reason)
	require.Equal(t, "kubelet has disk pressure", dp.Message)
	h.requireEvent("node-1", "Normal NodeHasDiskPressure: Node node-1 status is now: NodeHasDiskPressure")
	h.runPod("late", memoryPod("50Mi", "", ""))
	h.run(5 * time.Second)
	late := h.pod("late")
	require.Equal(t, corev1.PodFailed, late.Status.Phase)
	require.Equal(t, "Pod was rejected: The node had condition: [DiskPressure]. ", late.Status.Message)

	h.run(5 * time.Minute)
	dp = cond(h.node(), corev1.NodeDiskPressure)
	require.Equal(t, corev1.ConditionFalse, dp.Status)
	require.Equal(t, "KubeletHasNoDiskPressure", dp.Reason)
	h.requireEvent("node-1", "Normal NodeHasNoDiskPressure: Node node-1 status is now: NodeHasNoDiskPressure")
	require.Equal(t, corev1.PodRunning, h.pod("small").Status.Phase, "one eviction was enough")
}

// Above 85% disk use the image manager frees unused images every 5 min;
// when that cannot bring the use to 80% it says so on the node.
func TestImageGarbageCollection(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("fill", diskPod("fallocate -l 15G /cache/f; sleep 36000", "", "", ""))
	h.run(6 * time.Minute)
	var found bool
	for _, e := range h.events("node-1") {
		if strings.HasPrefix(e.msg, "Warning FreeDiskSpaceFailed: Failed to garbage collect required amount of images. Attempted to free ") &&
			strings.HasSuffix(e.msg, " bytes, but only found 0 bytes eligible to free.") {
			found = true
		}
	}
	require.True(t, found, "%v", h.events("node-1"))
	require.Equal(t, corev1.ConditionFalse, cond(h.node(), corev1.NodeDiskPressure).Status, "86% used: no pressure")
	h.run(5 * time.Minute)
	h.requireEvent("node-1", "Warning ImageGCFailed: "+strings.TrimPrefix(h.events("node-1")[len(h.events("node-1"))-1].msg, "Warning ImageGCFailed: "))
}

// Host files the kubelet cannot reclaim (the disk action) keep the node
// under nodefs.available<10%: one pod is evicted per pass, in ranking
// order, never a critical one; once the files go the pressure clears
// after the transition period.
func TestHostFilesFillTheDisk(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("a", nil)
	h.runPod("b", nil)
	h.runPod("critical", memoryPod("", "", "system-node-critical"))
	h.run(5 * time.Second)
	require.True(t, h.k.FillDisk(9500, true))
	require.Equal(t, h.k.diskCapacity*95/100, h.k.diskUsed)
	h.run(10 * time.Second)
	require.Equal(t, corev1.PodFailed, h.pod("a").Status.Phase, "first in key order at equal use")
	require.Equal(t, corev1.PodRunning, h.pod("b").Status.Phase, "one pod per pass")
	h.run(10 * time.Second)
	require.Equal(t, corev1.PodFailed, h.pod("b").Status.Phase)
	h.run(30 * time.Second)
	require.Equal(t, corev1.PodRunning, h.pod("critical").Status.Phase)
	require.Equal(t, corev1.ConditionTrue, cond(h.node(), corev1.NodeDiskPressure).Status)

	require.True(t, h.k.FillDisk(0, false))
	h.run(5*time.Minute + 10*time.Second)
	require.Equal(t, corev1.ConditionFalse, cond(h.node(), corev1.NodeDiskPressure).Status)
	require.True(t, h.k.FillDisk(1<<50, false))
	require.Equal(t, h.k.diskCapacity, h.k.diskUsed, "no more than the disk holds")
}

// The ranking, with upstream's TestOrderedByPriorityDisk cases (each
// pod's rootfs + logs + emptyDir use against its ephemeral-storage
// request) and TestOrderedbyDisk's (usage above request alone).
func TestRankForEviction(t *testing.T) {
	const mi = 1 << 20
	const low, high = int32(-1), int32(1)
	for _, tc := range []struct {
		name  string
		cands []candidate
		want  []string
	}{
		{"priority disk", []candidate{
			{key: "below-requests-high-priority-low-usage", priority: high, usage: (100 + 60 + 40) * mi, request: 1 << 30},
			{key: "below-requests-high-priority-high-usage", priority: high, usage: (250 + 500 + 50) * mi, request: 1 << 30},
			{key: "below-requests-low-priority-low-usage", priority: low, usage: (50 + 100 + 50) * mi, request: 1 << 30},
			{key: "below-requests-low-priority-high-usage", priority: low, usage: (500 + 200 + 100) * mi, request: 1 << 30},
			{key: "above-requests-high-priority-low-usage", priority: high, usage: (90 + 50 + 10) * mi, request: 100 * mi},
			{key: "above-requests-high-priority-high-usage", priority: high, usage: (200 + 150 + 250) * mi, request: 100 * mi},
			{key: "above-requests-low-priority-low-usage", priority: low, usage: (10 + 10 + 30) * mi},
			{key: "above-requests-low-priority-high-usage", priority: low, usage: (200 + 100 + 200) * mi},
		}, []string{
			"above-requests-low-priority-high-usage", "above-requests-low-priority-low-usage",
			"above-requests-high-priority-high-usage", "above-requests-high-priority-low-usage",
			"below-requests-low-priority-high-usage", "below-requests-low-priority-low-usage",
			"below-requests-high-priority-high-usage", "below-requests-high-priority-low-usage",
		}},
		{"disk", []candidate{
			{key: "best-effort-high", usage: (50 + 100 + 150) * mi},
			{key: "best-effort-low", usage: (25 + 25 + 50) * mi},
			{key: "burstable-high", usage: (150 + 150 + 50) * mi, request: 100 * mi},
			{key: "burstable-low", usage: (25 + 35 + 50) * mi, request: 100 * mi},
			{key: "guaranteed-high", usage: (225 + 100 + 50) * mi, request: 400 * mi},
			{key: "guaranteed-low", usage: (25 + 45 + 50) * mi, request: 400 * mi},
		}, []string{"best-effort-high", "burstable-high", "best-effort-low", "burstable-low", "guaranteed-high", "guaranteed-low"}},
	} {
		rank(tc.cands)
		var got []string
		for _, c := range tc.cands {
			got = append(got, c.key)
		}
		require.Equal(t, tc.want, got, tc.name)
	}
}

// Admission counts ephemeral-storage requests against the node's
// allocatable (17Gi of a 20Gi root volume), as upstream's.
func TestAdmissionEphemeralStorage(t *testing.T) {
	h := newHarness(t, true)
	h.runPod("first", diskPod("sleep 3600", "", "10Gi", ""))
	h.runPod("second", diskPod("sleep 3600", "", "8Gi", ""))
	h.run(5 * time.Second)
	require.Equal(t, corev1.PodRunning, h.pod("first").Status.Phase)
	second := h.pod("second")
	require.Equal(t, corev1.PodFailed, second.Status.Phase)
	require.Equal(t, "OutOfephemeral-storage", second.Status.Reason)
	require.Equal(t, "Pod was rejected: Node didn't have enough resource: ephemeral-storage, requested: 8589934592, used: 10737418240, capacity: 18253611008", second.Status.Message)
}

// The node status's image list, built again only when the images change,
// follows pulls and the image garbage collection.
func TestNodeImagesFollowPullsAndGC(t *testing.T) {
	h := newHarness(t, true)
	stored := func() []string {
		var out []string
		for _, im := range h.node().Status.Images {
			out = append(out, im.Names[1])
		}
		return out
	}
	h.runPod("web", nil)
	h.run(20 * time.Second)
	require.Equal(t, []string{"docker.io/library/nginx:1.27"}, stored())
	h.runPod("bb", func(p *corev1.Pod) {
		p.Spec.Containers[0].Image = "busybox:1.36"
		p.Spec.Containers[0].Command = []string{"sleep", "3600"}
	})
	h.run(20 * time.Second)
	require.ElementsMatch(t, []string{"docker.io/library/nginx:1.27", "docker.io/library/busybox:1.36"}, stored())
	require.Equal(t, h.k.buildNodeImages(), h.k.nodeImages())

	zero := int64(0)
	require.NoError(t, h.Admin.Delete("Pod", "default", "bb", apiserver.DeleteOptions{GracePeriodSeconds: &zero}))
	h.run(imageMinAge)
	require.Positive(t, h.k.freeImages(math.MaxInt64))
	require.Equal(t, h.k.buildNodeImages(), h.k.nodeImages())
	h.run(20 * time.Second)
	require.Equal(t, []string{"docker.io/library/nginx:1.27"}, stored())
}
