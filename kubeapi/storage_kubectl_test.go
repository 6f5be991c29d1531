package kubeapi

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/internal/manifests"
	"github.com/stretchr/testify/require"
)

const dataPod = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 5Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: db}
spec:
  containers:
  - name: db
    image: postgres:16
    env: [{name: POSTGRES_PASSWORD, value: secret}]
    volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: data}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: fast}
spec:
  storageClassName: fast
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: spare}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`

var webSet = manifests.Workload("StatefulSet", "web", 1,
	"{name: nginx, image: nginx:1.27, volumeMounts: [{name: www, mountPath: /usr/share/nginx/html}]}",
	"serviceName: web",
	"volumeClaimTemplates:",
	"- metadata: {name: www}",
	"  spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}")

// TestKubectlStorage: a claim of the default gp3 class waits for its
// first consumer, is provisioned in the pod's zone and bound, and the pod
// runs with it; a claim naming a class that does not exist stays Pending
// with upstream's ProvisioningFailed event; then the classic lesson: a
// StatefulSet pod whose EBS volume lives in the zone of a failed node
// cannot run anywhere else ("volume node affinity conflict").
func TestKubectlStorage(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	out := k.apply(dataPod)
	require.Contains(t, out, "persistentvolumeclaim/data created")
	require.NoError(t, f.sess.RunFor(time.Minute))

	out = k.ok("get", "pvc")
	require.Regexp(t, spaced("NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE"), out)
	require.Regexp(t, `data\s+Bound\s+pvc-[0-9a-f-]+\s+5Gi\s+RWO\s+gp3\s+<unset>`, out)
	require.Regexp(t, spaced("fast", "Pending", "fast"), out)
	require.Regexp(t, `db\s+1/1\s+Running`, k.ok("get", "pod", "db"))
	pv := strings.TrimSpace(k.ok("get", "pvc", "data", "-o", "jsonpath={.spec.volumeName}"))
	out = k.ok("get", "pv")
	require.Regexp(t, spaced(pv, "5Gi", "RWO", "Delete", "Bound", "default/data", "gp3"), out)
	node := k.ok("get", "pod", "db", "-o", "jsonpath={.spec.nodeName}")
	zone := k.ok("get", "node", node, "-o", `jsonpath={.metadata.labels.topology\.kubernetes\.io/zone}`)
	require.Equal(t, zone, k.ok("get", "pv", pv, "-o", "jsonpath={.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}"),
		"the volume is made in the zone of the node the pod was scheduled to")
	ev := k.ok("get", "events", "--field-selector", "involvedObject.name=data")
	for _, want := range []string{"ExternalProvisioning", "Provisioning", "ProvisioningSucceeded"} {
		require.Regexp(t, `Normal\s+`+want+`\s`, ev)
	}
	require.Contains(t, k.ok("describe", "pod", "db"), "AttachVolume.Attach succeeded for volume \""+pv+"\"")
	require.Regexp(t, spaced("spare", "Pending", "gp3"), k.ok("get", "pvc", "spare"))
	require.Regexp(t, `Normal\s+WaitForFirstConsumer\s+persistentvolumeclaim/spare\s+waiting for first consumer to be created before binding`,
		k.ok("get", "events", "--field-selector", "involvedObject.name=spare"))
	ev = k.ok("get", "events", "--field-selector", "involvedObject.name=fast")
	require.Regexp(t, `Warning\s+ProvisioningFailed\s+persistentvolumeclaim/fast\s+storageclass.storage.k8s.io "fast" not found`, ev)

	// Expansion: gp3 allows it; the volume grows and the claim reports it.
	k.ok("patch", "pvc", "data", "-p", `{"spec":{"resources":{"requests":{"storage":"8Gi"}}}}`)
	require.NoError(t, f.sess.RunFor(30*time.Second))
	require.Regexp(t, `data\s+Bound\s+\S+\s+8Gi`, k.ok("get", "pvc", "data"))
	out, err := k.run("patch", "pvc", "data", "-p", `{"spec":{"resources":{"requests":{"storage":"1Gi"}}}}`)
	require.Error(t, err)
	require.Contains(t, out, "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity")

	// Deleting the pod and the claim deletes the volume (reclaim policy Delete).
	k.ok("delete", "pod", "db", "--wait=false")
	k.ok("delete", "pvc", "data", "--wait=false")
	require.NoError(t, f.sess.RunFor(time.Minute))
	out, err = k.run("get", "pv", pv)
	require.Error(t, err, out)
	require.Contains(t, out, `persistentvolumes "`+pv+`" not found`)

	// The zone lesson.
	require.Contains(t, k.apply(webSet), "statefulset.apps/web created")
	require.NoError(t, f.sess.RunFor(time.Minute))
	require.Regexp(t, `www-web-0\s+Bound`, k.ok("get", "pvc"))
	require.Regexp(t, `web-0\s+1/1\s+Running`, k.ok("get", "pod", "web-0"))
	node = k.ok("get", "pod", "web-0", "-o", "jsonpath={.spec.nodeName}")
	zone = k.ok("get", "node", node, "-o", `jsonpath={.metadata.labels.topology\.kubernetes\.io/zone}`)
	_, err = f.sess.Act("fail", map[string]any{"node": node})
	require.NoError(t, err)
	require.NoError(t, f.sess.RunFor(7*time.Minute))
	// The pod on the lost node is stuck Terminating: force-delete it, as
	// an operator does; the StatefulSet recreates web-0, which cannot run.
	k.ok("delete", "pod", "web-0", "--force", "--grace-period=0")
	require.NoError(t, f.sess.RunFor(30*time.Second))
	require.Regexp(t, `web-0\s+0/1\s+Pending`, k.ok("get", "pod", "web-0"))
	out = k.ok("describe", "pod", "web-0")
	require.Regexp(t, regexp.MustCompile(`FailedScheduling\s+.*0/3 nodes are available: 1 node\(s\) had untolerated taint.*2 node\(s\) had volume node affinity conflict`), out)
	pv = strings.TrimSpace(k.ok("get", "pvc", "www-web-0", "-o", "jsonpath={.spec.volumeName}"))
	require.Equal(t, zone, k.ok("get", "pv", pv, "-o", "jsonpath={.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}"))
}

const staticVolume = `apiVersion: v1
kind: PersistentVolume
metadata: {name: task-pv}
spec:
  storageClassName: manual
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: /mnt/data}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: task-pvc}
spec:
  storageClassName: manual
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 3Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: task-pod}
spec:
  containers:
  - name: web
    image: nginx:1.27
    volumeMounts: [{name: data, mountPath: /usr/share/nginx/html}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: task-pvc}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: shared}
spec:
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: shared}
spec:
  containers:
  - {name: app, image: nginx:1.27, volumeMounts: [{name: data, mountPath: /data}]}
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: shared}}
`

// TestKubectlStaticVolume: the exam's hostPath volume bound statically to
// a claim of a class no provisioner serves; the claim a running pod mounts
// stays Terminating (kubernetes.io/pvc-protection) until the pod goes;
// the Retain volume is then Released, and Available again once its
// claimRef is removed; a ReadWriteMany claim of the EBS class fails to
// provision with the EBS CSI driver's error.
func TestKubectlStaticVolume(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	p := k.file(staticVolume)
	out := k.ok("apply", "-f", p)
	require.Contains(t, out, "persistentvolume/task-pv created")
	require.NoError(t, f.sess.RunFor(30*time.Second))

	require.Regexp(t, spaced("task-pv", "10Gi", "RWO", "Retain", "Bound", "default/task-pvc", "manual"), k.ok("get", "pv", "task-pv"))
	require.Regexp(t, spaced("task-pvc", "Bound", "task-pv", "10Gi", "RWO", "manual"), k.ok("get", "pvc", "task-pvc"))
	require.Regexp(t, spaced("task-pod", "1/1", "Running"), k.ok("get", "pod", "task-pod"))
	require.Equal(t, "kubernetes.io/pv-protection", k.ok("get", "pv", "task-pv", "-o", "jsonpath={.metadata.finalizers[*]}"))

	// A claim in use is not deleted under its pod.
	require.Contains(t, k.ok("delete", "pvc", "task-pvc", "--wait=false"), `persistentvolumeclaim "task-pvc" deleted`)
	require.NoError(t, f.sess.RunFor(10*time.Second))
	require.Regexp(t, spaced("task-pvc", "Terminating", "task-pv"), k.ok("get", "pvc", "task-pvc"))
	out = k.ok("describe", "pvc", "task-pvc")
	require.Regexp(t, `Finalizers:\s+\[kubernetes.io/pvc-protection\]`, out)
	require.Regexp(t, `Used By:\s+task-pod`, out)
	require.Regexp(t, spaced("task-pod", "1/1", "Running"), k.ok("get", "pod", "task-pod"))

	k.ok("delete", "pod", "task-pod", "--wait=false")
	require.NoError(t, f.sess.RunFor(time.Minute))
	out, err := k.run("get", "pvc", "task-pvc")
	require.Error(t, err, out)
	require.Contains(t, out, `persistentvolumeclaims "task-pvc" not found`)
	require.Regexp(t, spaced("task-pv", "10Gi", "RWO", "Retain", "Released", "default/task-pvc", "manual"), k.ok("get", "pv", "task-pv"))

	// The administrator makes the retained volume reusable.
	k.ok("patch", "pv", "task-pv", "--type=json", "-p", `[{"op":"remove","path":"/spec/claimRef"}]`)
	require.NoError(t, f.sess.RunFor(10*time.Second))
	require.Regexp(t, `task-pv\s+10Gi\s+RWO\s+Retain\s+Available\s+manual`, k.ok("get", "pv", "task-pv"))

	// EBS volumes attach to one node.
	require.Regexp(t, spaced("shared", "Pending", "gp3"), k.ok("get", "pvc", "shared"))
	require.Regexp(t, `Warning\s+ProvisioningFailed\s+.*failed to provision volume with StorageClass "gp3": rpc error: code = InvalidArgument desc = Volume capabilities MULTI_NODE_MULTI_WRITER not supported. Only AccessModes\[ReadWriteOnce\] supported.`,
		k.ok("describe", "pvc", "shared"))
	require.Empty(t, k.ok("get", "pv", "-o", "jsonpath={.items[?(@.spec.claimRef.name==\"shared\")].metadata.name}"), "no volume was made")
}

// TestKubectlStatefulSetClaimRetention: volumeClaimTemplates give each
// replica its claim; with persistentVolumeClaimRetentionPolicy Delete the
// claim of a replica scaled away goes with its pod, and deleting the
// StatefulSet deletes the rest once their pods are gone (pvc-protection),
// their EBS volumes with them; the default (Retain) keeps them.
func TestKubectlStatefulSetClaimRetention(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	deleting := strings.ReplaceAll(strings.Replace(webSet, "replicas: 1", "replicas: 2\n  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Delete}", 1), "web", "db")
	p := k.file(webSet + "---\n" + deleting)
	k.ok("apply", "-f", p)
	require.NoError(t, f.sess.RunFor(2*time.Minute))
	out := k.ok("get", "pvc")
	for _, name := range []string{"www-web-0", "www-db-0", "www-db-1"} {
		require.Regexp(t, name+`\s+Bound`, out)
	}
	require.Equal(t, "StatefulSet", k.ok("get", "pvc", "www-db-0", "-o", "jsonpath={.metadata.ownerReferences[0].kind}"), "whenDeleted: Delete makes the set the claims' owner")

	k.ok("scale", "statefulset", "db", "--replicas=1")
	require.NoError(t, f.sess.RunFor(2*time.Minute))
	out = k.ok("get", "pvc")
	require.NotContains(t, out, "www-db-1", "whenScaled: Delete")
	require.Regexp(t, `www-db-0\s+Bound`, out)

	k.ok("delete", "statefulset", "db", "web")
	require.NoError(t, f.sess.RunFor(2*time.Minute))
	out = k.ok("get", "pvc")
	require.NotContains(t, out, "www-db-", "whenDeleted: Delete")
	require.Regexp(t, `www-web-0\s+Bound`, out, "Retain (the default) keeps the claim")
	require.Len(t, strings.Fields(k.ok("get", "pv", "-o", "jsonpath={.items[*].metadata.name}")), 1, "the deleted claims' volumes went with them")
	require.Empty(t, k.ok("get", "pods", "-l", "app=db", "-o", "name"))
}
