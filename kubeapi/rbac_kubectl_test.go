package kubeapi

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/rbac"
)

// newUserKey writes a private key and a certificate request for user in
// groups, as `openssl genrsa` and `openssl req -subj /CN=user/O=group`
// would, and returns the paths and the request's PEM.
func newUserKey(t *testing.T, dir, user string, groups ...string) (keyPath string, csrPEM []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: user, Organization: groups}}, key)
	require.NoError(t, err)
	keyPath = filepath.Join(dir, user+".key")
	require.NoError(t, os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600))
	return keyPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

const csrManifest = `apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: %s
spec:
  request: %s
  signerName: kubernetes.io/kube-apiserver-client
  expirationSeconds: 86400
  usages: [client auth]
`

// waitFor polls kubectl until its output satisfies ok (the simulation runs
// at ×20; the bound is generous for a loaded machine).
func (k kubectl) waitFor(ok func(string) bool, args ...string) string {
	k.t.Helper()
	var out string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out, _ = k.run(args...)
		if ok(out) {
			return out
		}
	}
	k.t.Fatalf("kubectl %s never satisfied the condition; last output:\n%s", strings.Join(args, " "), out)
	return ""
}

// TestKubectlRBACSession is the CKA's RBAC and identity lessons with the
// real kubectl: a user added through a CertificateSigningRequest approved
// with kubectl certificate approve, Forbidden until a Role and RoleBinding
// grant access, kubectl auth can-i (also with --as and --list), a
// ServiceAccount token bound to the aggregated view role, bad RBAC input
// refused, and the namespaces that cannot be deleted.
func TestKubectlRBACSession(t *testing.T) {
	_, k := newKubectl(t, fixtureOpts{speed: 20})
	dir := t.TempDir()

	// Every namespace has its default ServiceAccount and the CA bundle.
	require.Regexp(t, spaced("default", "0"), k.ok("get", "sa", "default"))
	require.Contains(t, k.ok("get", "cm", "kube-root-ca.crt", "-n", "kube-public", "-o", "jsonpath={.data.ca\\.crt}"), "BEGIN CERTIFICATE")
	require.Regexp(t, spaced("cluster-admin", "ClusterRole/cluster-admin"), k.ok("get", "clusterrolebindings"))
	require.Contains(t, k.ok("auth", "whoami"), "system:masters")

	// A new user: key, CSR, approval, certificate.
	keyPath, csrPEM := newUserKey(t, dir, "jane", "dev")
	csrFile := k.file(fmt.Sprintf(csrManifest, "jane", base64.StdEncoding.EncodeToString(csrPEM)))
	require.Contains(t, k.ok("apply", "-f", csrFile), "certificatesigningrequest.certificates.k8s.io/jane created")
	require.Regexp(t, `jane\s+\S+\s+kubernetes.io/kube-apiserver-client\s+kubernetes-admin\s+24h\s+Pending`, k.ok("get", "csr", "jane"))
	require.Contains(t, k.ok("certificate", "approve", "jane"), "certificatesigningrequest.certificates.k8s.io/jane approved")
	k.waitFor(func(out string) bool { return strings.Contains(out, "Approved,Issued") }, "get", "csr", "jane")
	crt, err := base64.StdEncoding.DecodeString(k.ok("get", "csr", "jane", "-o", "jsonpath={.status.certificate}"))
	require.NoError(t, err)
	block, _ := pem.Decode(crt)
	require.NotNil(t, block, "status.certificate is a PEM certificate")
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	require.Equal(t, "jane", cert.Subject.CommonName)
	require.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, cert.ExtKeyUsage)
	require.InDelta(t, (24*time.Hour + 5*time.Minute).Seconds(), cert.NotAfter.Sub(cert.NotBefore).Seconds(), 1, "expirationSeconds, backdated 5m")
	crtPath := filepath.Join(dir, "jane.crt")
	require.NoError(t, os.WriteFile(crtPath, crt, 0o600))
	require.Contains(t, k.ok("config", "set-credentials", "jane", "--client-key="+keyPath, "--client-certificate="+crtPath, "--embed-certs=true"), `User "jane" set.`)
	require.Contains(t, k.ok("config", "set-context", "jane", "--cluster=kubesim", "--user=jane", "--namespace=default"), `Context "jane" created.`)

	// Forbidden, as upstream words it.
	out, err := k.run("--context", "jane", "get", "pods")
	require.Error(t, err)
	require.Contains(t, out, `Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"`)
	out, err = k.run("auth", "can-i", "list", "pods", "--as", "jane")
	require.Error(t, err, "can-i exits 1 for no")
	require.Equal(t, "no", strings.TrimSpace(out))
	out = k.ok("--context", "jane", "auth", "whoami")
	require.Regexp(t, spaced("Username", "jane"), out)
	require.Contains(t, out, "[dev system:authenticated]")

	// A Role and a RoleBinding grant it.
	require.Contains(t, k.ok("create", "role", "pod-reader", "--verb=get,list,watch", "--resource=pods"), "role.rbac.authorization.k8s.io/pod-reader created")
	require.Contains(t, k.ok("create", "rolebinding", "jane-pods", "--role=pod-reader", "--user=jane"), "rolebinding.rbac.authorization.k8s.io/jane-pods created")
	require.Regexp(t, `jane-pods\s+Role/pod-reader\s+\S+\s+jane`, k.ok("get", "rolebinding", "jane-pods", "-o", "wide"))
	require.Contains(t, k.ok("--context", "jane", "get", "pods"), "No resources found in default namespace.")
	require.Equal(t, "yes", strings.TrimSpace(k.ok("auth", "can-i", "list", "pods", "--as", "jane")))
	out, err = k.run("--context", "jane", "auth", "can-i", "delete", "pods")
	require.Error(t, err)
	require.Equal(t, "no", strings.TrimSpace(out))
	out, err = k.run("--context", "jane", "get", "pods", "-n", "kube-system")
	require.Error(t, err, "the binding is in default only")
	require.Contains(t, out, `in the namespace "kube-system"`)
	out = k.ok("--context", "jane", "auth", "can-i", "--list")
	require.Regexp(t, spaced("pods", "[]", "[]", "[get list watch]"), out)
	require.Regexp(t, spaced("selfsubjectaccessreviews.authorization.k8s.io", "[]", "[]", "[create]"), out)

	// Impersonation needs the impersonate verb.
	out, err = k.run("--context", "jane", "get", "pods", "--as", "bob")
	require.Error(t, err)
	require.Contains(t, out, `users "bob" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope`)

	// A ServiceAccount token, bound to the aggregated view ClusterRole.
	require.Contains(t, k.ok("create", "sa", "bot"), "serviceaccount/bot created")
	token := strings.TrimSpace(k.ok("create", "token", "bot", "--duration=1h"))
	require.Len(t, strings.Split(token, "."), 3, "a JWT")
	out, err = k.run("--token", token, "get", "deploy")
	require.Error(t, err)
	require.Contains(t, out, `User "system:serviceaccount:default:bot" cannot list resource "deployments" in API group "apps" in the namespace "default"`)
	require.Contains(t, k.ok("create", "rolebinding", "bot-view", "--clusterrole=view", "--serviceaccount=default:bot"), "created")
	k.ok("--token", token, "get", "deploy")
	out, err = k.run("--token", token, "delete", "sa", "default")
	require.Error(t, err, "view does not delete")
	require.Contains(t, out, `cannot delete resource "serviceaccounts"`)
	_, err = k.run("--token", "not-a-token", "get", "pods")
	require.Error(t, err)

	// Bad RBAC input is refused with upstream's message and changes nothing.
	bad := k.file("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: bad}\nrules:\n- apiGroups: [\"\"]\n  resources: [pods]\n  verbs: []\n")
	out, err = k.run("apply", "-f", bad)
	require.Error(t, err)
	require.Contains(t, out, `The Role "bad" is invalid: rules[0].verbs: Required value: verbs must contain at least one value`)
	out, err = k.run("get", "role", "bad")
	require.Error(t, err)
	require.Contains(t, out, `roles.rbac.authorization.k8s.io "bad" not found`)

	// Namespaces kube-apiserver will not delete.
	for _, ns := range []string{"kube-system", "default", "kube-public"} {
		out, err = k.run("delete", "namespace", ns)
		require.Error(t, err)
		require.Contains(t, out, `namespaces "`+ns+`" is forbidden: this namespace may not be deleted`)
		require.Regexp(t, spaced(ns, "Active"), k.ok("get", "namespace", ns))
	}
}

// TestKubectlRBACEscalation: a user who may write roles and bindings still
// cannot grant what they do not hold (upstream's escalation check and its
// message), until they are given bind on the role; a ClusterRole with an
// aggregationRule collects the rules of the roles its selector labels;
// cluster-scoped requests are refused "at the cluster scope".
func TestKubectlRBACEscalation(t *testing.T) {
	_, k := newKubectl(t, fixtureOpts{speed: 20})
	k.ok("create", "sa", "dev")
	k.ok("create", "role", "rbac-admin", "--verb=get,list,create", "--resource=roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io,pods")
	k.ok("create", "rolebinding", "dev-rbac", "--role=rbac-admin", "--serviceaccount=default:dev")
	dev := strings.TrimSpace(k.ok("create", "token", "dev"))
	const groups = `(groups=["system:serviceaccounts" "system:serviceaccounts:default" "system:authenticated"])`

	out, err := k.run("--token", dev, "create", "role", "deleter", "--verb=delete,get", "--resource=pods,deployments")
	require.Error(t, err, out)
	require.Equal(t, `Error from server (Forbidden): roles.rbac.authorization.k8s.io "deleter" is forbidden: user "system:serviceaccount:default:dev" `+groups+` is attempting to grant RBAC permissions not currently held:
{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}
{APIGroups:["apps"], Resources:["deployments"], Verbs:["delete" "get"]}`, strings.TrimSpace(out))
	out, err = k.run("get", "role", "deleter")
	require.Error(t, err, "nothing was created: %s", out)
	require.Contains(t, k.ok("--token", dev, "create", "role", "reader", "--verb=get,list", "--resource=pods"), "role.rbac.authorization.k8s.io/reader created", "rules the user holds")
	require.Contains(t, k.ok("--token", dev, "create", "rolebinding", "bob-reader", "--role=reader", "--user=bob"), "created")

	out, err = k.run("--token", dev, "create", "rolebinding", "bob-admin", "--clusterrole=admin", "--user=bob")
	require.Error(t, err, out)
	require.Contains(t, out, `rolebindings.rbac.authorization.k8s.io "bob-admin" is forbidden: user "system:serviceaccount:default:dev" `+groups+` is attempting to grant RBAC permissions not currently held:`)
	require.Contains(t, out, "\n"+`{APIGroups:["apps"], Resources:["deployments"], Verbs:["create" "update" "patch" "delete" "deletecollection" "get" "list" "watch"]}`+"\n")
	require.Equal(t, "no", strings.TrimSpace(func() string { o, _ := k.run("auth", "can-i", "delete", "deployments", "--as", "bob"); return o }()))

	// The bind verb on that one ClusterRole lets dev grant it.
	k.ok("create", "clusterrole", "bind-admin", "--verb=bind", "--resource=clusterroles", "--resource-name=admin")
	k.ok("create", "rolebinding", "dev-bind", "--clusterrole=bind-admin", "--serviceaccount=default:dev")
	require.Contains(t, k.ok("--token", dev, "create", "rolebinding", "bob-admin", "--clusterrole=admin", "--user=bob"), "rolebinding.rbac.authorization.k8s.io/bob-admin created")
	require.Equal(t, "yes", strings.TrimSpace(k.ok("auth", "can-i", "delete", "deployments", "--as", "bob")))
	out, err = k.run("--token", dev, "create", "rolebinding", "bob-edit", "--clusterrole=edit", "--user=bob")
	require.Error(t, err, "bind was granted on admin only: %s", out)
	out, err = k.run("--token", dev, "create", "rolebinding", "ghost", "--clusterrole=nope", "--user=bob")
	require.Error(t, err, out)
	require.Contains(t, out, `rolebindings.rbac.authorization.k8s.io "ghost" is forbidden: clusterroles.rbac.authorization.k8s.io "nope" not found`)

	// Cluster scope, and an aggregated ClusterRole.
	out, err = k.run("--token", dev, "get", "nodes")
	require.Error(t, err, out)
	require.Contains(t, out, `nodes is forbidden: User "system:serviceaccount:default:dev" cannot list resource "nodes" in API group "" at the cluster scope`)
	require.Contains(t, k.ok("create", "clusterrole", "monitoring", "--aggregation-rule=rbac.example.com/aggregate-to-monitoring=true"), "created")
	k.ok("create", "clusterrolebinding", "dev-monitoring", "--clusterrole=monitoring", "--serviceaccount=default:dev")
	k.ok("create", "clusterrole", "node-reader", "--verb=get,list,watch", "--resource=nodes")
	k.ok("label", "clusterrole", "node-reader", "rbac.example.com/aggregate-to-monitoring=true")
	out = k.waitFor(func(out string) bool { return strings.Contains(out, "nodes") }, "describe", "clusterrole", "monitoring")
	require.Regexp(t, spaced("nodes", "[]", "[]", "[get list watch]"), out)
	require.Regexp(t, `general-\d\s+Ready`, k.ok("--token", dev, "get", "nodes"))
}

const tokenSecret = `apiVersion: v1
kind: Secret
metadata:
  name: bot-token
  annotations: {kubernetes.io/service-account.name: bot}
type: kubernetes.io/service-account-token
`

// TestKubectlServiceAccountSecrets: a long-lived token Secret for a
// ServiceAccount is filled in by the tokens controller and authenticates
// as the ServiceAccount; deleting the ServiceAccount deletes it; a pod
// naming a ServiceAccount that does not exist is refused by the
// ServiceAccount admission plugin, and a Deployment's ReplicaSet reports
// it.
func TestKubectlServiceAccountSecrets(t *testing.T) {
	_, k := newKubectl(t, fixtureOpts{speed: 20})
	k.ok("create", "sa", "bot")
	p := k.file(tokenSecret)
	require.Contains(t, k.ok("apply", "-f", p), "secret/bot-token created")
	out := k.waitFor(func(out string) bool {
		return regexp.MustCompile(`bot-token\s+kubernetes.io/service-account-token\s+3`).MatchString(out)
	}, "get", "secret", "bot-token")
	require.Regexp(t, spaced("NAME", "TYPE", "DATA", "AGE"), out)
	out = k.ok("describe", "secret", "bot-token")
	require.Regexp(t, `kubernetes.io/service-account.uid:\s+`+regexp.QuoteMeta(k.ok("get", "sa", "bot", "-o", "jsonpath={.metadata.uid}")), out)
	require.Regexp(t, `namespace:\s+7 bytes`, out)
	require.Regexp(t, `ca.crt:\s+\d+ bytes`, out)
	enc := k.ok("get", "secret", "bot-token", "-o", "jsonpath={.data.token}")
	tok, err := base64.StdEncoding.DecodeString(enc)
	require.NoError(t, err)
	require.Regexp(t, `Username\s+system:serviceaccount:default:bot`, k.ok("--token", string(tok), "auth", "whoami"))
	out, err = k.run("--token", string(tok), "get", "pods")
	require.Error(t, err)
	require.Contains(t, out, `User "system:serviceaccount:default:bot" cannot list resource "pods"`)
	_, err = k.run("--token", string(tok)+"x", "get", "pods")
	require.Error(t, err, "a token not held by the Secret does not authenticate")

	k.ok("delete", "sa", "bot")
	k.waitFor(func(out string) bool { return strings.Contains(out, `secrets "bot-token" not found`) }, "get", "secret", "bot-token")
	_, err = k.run("--token", string(tok), "auth", "whoami")
	require.Error(t, err, "the token went with its Secret")

	out, err = k.run("run", "app", "--image=nginx:1.27", "--overrides", `{"spec":{"serviceAccountName":"builder"}}`)
	require.Error(t, err, out)
	require.Contains(t, out, `pods "app" is forbidden: error looking up service account default/builder: serviceaccount "builder" not found`)
	k.ok("create", "deployment", "web", "--image=nginx:1.27")
	k.ok("patch", "deployment", "web", "-p", `{"spec":{"template":{"spec":{"serviceAccountName":"builder"}}}}`)
	out = k.waitFor(func(out string) bool { return strings.Contains(out, "FailedCreate") },
		"get", "events", "--field-selector", "reason=FailedCreate")
	require.Contains(t, out, `is forbidden: error looking up service account default/builder: serviceaccount "builder" not found`)
	k.ok("create", "sa", "builder")
	k.waitFor(func(out string) bool { return strings.Contains(out, "builder") }, "get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].spec.serviceAccountName}")
}

// TestKubectlControllerRoles: the system:controller: ClusterRoles of
// upstream's controller policy are listed and described as on EKS, bound
// to the controllers' ServiceAccounts, whose permissions auth can-i
// answers.
func TestKubectlControllerRoles(t *testing.T) {
	_, k := newKubectl(t, fixtureOpts{})
	out := k.ok("get", "clusterroles")
	for _, name := range []string{"deployment-controller", "replicaset-controller", "persistent-volume-binder", "node-controller", "horizontal-pod-autoscaler"} {
		require.Regexp(t, `(?m)^system:controller:`+name+`\s`, out)
	}
	out = k.ok("describe", "clusterrole", "system:controller:replicaset-controller")
	require.Regexp(t, `replicasets\.apps\s+\[\]\s+\[\]\s+\[get list update watch\]`, out)
	require.Regexp(t, `pods\s+\[\]\s+\[\]\s+\[create delete list patch watch\]`, out)
	require.Regexp(t, `system:controller:replicaset-controller\s+ClusterRole/system:controller:replicaset-controller\s+\S+\s+kube-system/replicaset-controller`,
		k.ok("get", "clusterrolebindings", "-o", "wide"))
	// Each binding's ServiceAccount exists, as kube-controller-manager
	// creates them (--use-service-account-credentials): kube-system lists
	// the 38 of them beside its default one.
	out = k.ok("get", "sa", "-n", "kube-system", "-o", "name")
	for _, name := range append(rbac.ControllerServiceAccounts(), "default") {
		require.Contains(t, out, "serviceaccount/"+name+"\n")
	}
	require.Len(t, rbac.ControllerServiceAccounts(), 38)
	require.Regexp(t, spaced("replicaset-controller", "0"), k.ok("get", "sa", "-n", "kube-system", "replicaset-controller"))
	as := "--as=system:serviceaccount:kube-system:replicaset-controller"
	require.Equal(t, "yes\n", k.ok("auth", "can-i", "create", "pods", as))
	out, err := k.run("auth", "can-i", "create", "secrets", as)
	require.Error(t, err)
	require.Equal(t, "no\n", out)
}
