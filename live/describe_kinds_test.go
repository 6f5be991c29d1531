package live

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/store/storetest"
)

// TestEveryKindDescribesAndDetails: the TUI's describe pane
// (Session.Describe) and the web drawer (Session.Detail) show an object
// of every kind the store holds, not just the workload kinds.
func TestEveryKindDescribesAndDetails(t *testing.T) {
	s := newSession(t, "node-failure")
	require.NoError(t, s.RunFor(10*time.Second))
	for _, kind := range store.Kinds() {
		if kind == "Event" {
			continue // events are the Events table, not an object to open
		}
		obj, err := storetest.Sample(kind)
		require.NoError(t, err, kind)
		var cerr error
		s.With(func(c *cluster.Cluster) { _, cerr = c.Client("test").Create(obj) })
		require.NoError(t, cerr, kind)
		ns := obj.GetNamespace()
		out := s.Describe(kind, ns, "sample")
		require.Regexp(t, `^Name:\s+sample\n`, out, kind)
		require.Contains(t, out, "Events:", kind)
		if ns != "" {
			require.Regexp(t, `\nNamespace:\s+`+ns+`\n`, out, kind)
		}
		d, err := s.Detail(kind, ns, "sample")
		require.NoError(t, err, kind)
		info, _ := store.LookupKind(kind)
		require.Contains(t, d.YAML, "apiVersion: "+info.GroupVersion.String()+"\n", kind)
		require.Contains(t, d.YAML, "kind: "+kind+"\n", kind)
	}
}

// TestDescribeStorageKinds: StorageClass, PVC and PV in kubectl's layout.
func TestDescribeStorageKinds(t *testing.T) {
	s := newSession(t, "node-failure")
	require.NoError(t, s.RunFor(10*time.Second))
	out := s.Describe("StorageClass", "", "gp3")
	require.Regexp(t, `IsDefaultClass:\s+Yes\n`, out)
	require.Regexp(t, `Provisioner:\s+ebs.csi.aws.com\n`, out)
	require.Regexp(t, `VolumeBindingMode:\s+WaitForFirstConsumer\n`, out)
	_, err := s.Do(Command{Verb: "apply", Manifest: `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 4Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: db}
spec:
  containers: [{name: db, image: nginx:1.27, volumeMounts: [{name: d, mountPath: /data}]}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
`})
	require.NoError(t, err)
	require.NoError(t, s.RunFor(60*time.Second))
	out = s.Describe("PersistentVolumeClaim", "default", "data")
	require.Regexp(t, `StorageClass:\s+gp3\n`, out)
	require.Regexp(t, `Status:\s+Bound\n`, out)
	require.Regexp(t, `Capacity:\s+4Gi\n`, out)
	require.Regexp(t, `Access Modes:\s+RWO\n`, out)
	require.Regexp(t, `Used By:\s+db\n`, out)
	require.Regexp(t, `Normal\s+ProvisioningSucceeded`, out)
	vol := regexpFind(t, `Volume:\s+(pvc-\S+)\n`, out)
	out = s.Describe("PersistentVolume", "", vol)
	require.Regexp(t, `Claim:\s+default/data\n`, out)
	require.Regexp(t, `Reclaim Policy:\s+Delete\n`, out)
	require.Regexp(t, `Status:\s+Bound\n`, out)
}

func regexpFind(t *testing.T, pattern, s string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	require.NotNil(t, m, "%s in:\n%s", pattern, s)
	return m[1]
}
