package kubeapi

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const staticVolumes = `apiVersion: v1
kind: PersistentVolume
metadata: {name: invoices}
spec:
  capacity: {storage: 50Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  csi: {driver: ebs.csi.aws.com, volumeHandle: vol-0a1b2c3d4e5f60718, fsType: ext4}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: small}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  csi: {driver: ebs.csi.aws.com, volumeHandle: vol-0000000000000000a}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: invoices}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  volumeName: invoices
  resources: {requests: {storage: 50Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: too-big}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  volumeName: small
  resources: {requests: {storage: 5Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: nowhere}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  volumeName: missing
  resources: {requests: {storage: 1Gi}}
`

// TestKubectlPreBoundClaim: a claim its author pre-bound to a volume
// (spec.volumeName) binds that volume as upstream's PV controller does:
// the volume gets the claim's reference and both are Bound; a volume too
// small for its claim, or a volume that does not exist, leaves the claim
// Pending (the first with upstream's VolumeMismatch event).
func TestKubectlPreBoundClaim(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	k.apply(staticVolumes)
	require.NoError(t, f.sess.RunFor(time.Minute))

	require.Regexp(t, spaced("invoices", "50Gi", "RWO", "Retain", "Bound", "default/invoices"), k.ok("get", "pv", "invoices"))
	require.Regexp(t, spaced("invoices", "Bound", "invoices", "50Gi", "RWO"), k.ok("get", "pvc", "invoices"))
	require.Equal(t, "yes", k.ok("get", "pv", "invoices", "-o", `jsonpath={.metadata.annotations.pv\.kubernetes\.io/bound-by-controller}`),
		"the controller set the volume's claimRef")
	require.Empty(t, k.ok("get", "pvc", "invoices", "-o", `jsonpath={.metadata.annotations.pv\.kubernetes\.io/bound-by-controller}`),
		"the claim's volumeName was its author's")

	require.Regexp(t, spaced("too-big", "Pending", "small"), k.ok("get", "pvc", "too-big"))
	require.Regexp(t, spaced("small", "1Gi", "RWO", "Retain", "Available"), k.ok("get", "pv", "small"))
	require.Regexp(t, `Warning\s+VolumeMismatch\s+persistentvolumeclaim/too-big\s+Cannot bind to requested volume "small": requested PV is too small`,
		k.ok("get", "events", "--field-selector", "involvedObject.name=too-big"))
	require.Regexp(t, spaced("nowhere", "Pending", "missing"), k.ok("get", "pvc", "nowhere"))
}
