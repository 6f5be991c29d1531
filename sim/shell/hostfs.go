package shell

import (
	"encoding/json"
	"path"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/network"
)

// hostFiles are the files of the pod's node under the hostPath dir (what
// a hostPath volume shows, e.g. / in kubectl debug node/… at /host): the
// node's os-release and hostname, and the EKS kubelet's configuration.
func hostFiles(st *State, pod *corev1.Pod, dir string) map[string]string {
	o, ok := st.Store.Get("Node", "", pod.Spec.NodeName)
	if !ok {
		return nil
	}
	node := o.(*corev1.Node)
	all := map[string]string{
		"/etc/hostname":                       node.Name + "\n",
		"/etc/os-release":                     nodeOSRelease(node.Status.NodeInfo.OSImage),
		"/etc/kubernetes/kubelet/config.json": kubeletConfig(st, node),
		"/etc/kubernetes/pki/ca.crt":          clusterCA(st),
		"/var/lib/kubelet/kubeconfig":         "",
		"/etc/systemd/system/kubelet.service": "[Unit]\nDescription=Kubernetes Kubelet\nDocumentation=https://github.com/kubernetes/kubernetes\nAfter=containerd.service\nWants=containerd.service\n\n[Service]\nSlice=runtime.slice\nEnvironmentFile=/etc/eks/kubelet/environment\nExecStartPre=/sbin/iptables -P FORWARD ACCEPT -w 5\nExecStart=/usr/bin/kubelet $NODEADM_KUBELET_ARGS\nRestart=on-failure\nRestartForceExitStatus=SIGPIPE\nRestartSec=5\nKillMode=process\nCPUAccounting=true\nMemoryAccounting=true\n\n[Install]\nWantedBy=multi-user.target\n",
		"/etc/containerd/config.toml":         "version = 2\nroot = \"/var/lib/containerd\"\nstate = \"/run/containerd\"\n\n[grpc]\naddress = \"/run/containerd/containerd.sock\"\n\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\ndefault_runtime_name = \"runc\"\ndiscard_unpacked_layers = true\n",
		"/var/log/messages":                   "",
	}
	dir = path.Clean("/" + dir)
	out := map[string]string{}
	for p, content := range all {
		if dir == "/" {
			out[strings.TrimPrefix(p, "/")] = content
		} else if rel, ok := strings.CutPrefix(p, dir+"/"); ok {
			out[rel] = content
		}
	}
	return out
}

// reservedCPU is EKS's kube-reserved CPU for the node's cores.
func reservedCPU(node *corev1.Node) string {
	return strconv.FormatInt(cloud.KubeReservedMilliCPU(int(node.Status.Capacity.Cpu().Value())), 10) + "m"
}

func clusterCA(st *State) string {
	if o, ok := st.Store.Get("ConfigMap", "kube-system", "kube-root-ca.crt"); ok {
		return o.(*corev1.ConfigMap).Data["ca.crt"]
	}
	return ""
}

// nodeOSRelease is Amazon Linux 2023's /etc/os-release for the node's OS
// image ("Amazon Linux 2023.7.20250414").
func nodeOSRelease(image string) string {
	if image == "" {
		image = "Amazon Linux 2023"
	}
	return `NAME="Amazon Linux"
VERSION="2023"
ID="amzn"
ID_LIKE="fedora"
VERSION_ID="2023"
PLATFORM_ID="platform:al2023"
PRETTY_NAME="` + image + `"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2023"
HOME_URL="https://aws.amazon.com/linux/amazon-linux-2023/"
DOCUMENTATION_URL="https://docs.aws.amazon.com/linux/"
SUPPORT_URL="https://aws.amazon.com/premiumsupport/"
BUG_REPORT_URL="https://github.com/amazonlinux/amazon-linux-2023"
VENDOR_NAME="AWS"
VENDOR_URL="https://aws.amazon.com/"
SUPPORT_END="2029-06-30"
`
}

// kubeletConfig is the KubeletConfiguration nodeadm writes on an EKS
// AL2023 node: the cluster DNS, the node's max pods, the eviction
// thresholds.
func kubeletConfig(st *State, node *corev1.Node) string {
	maxPods := node.Status.Capacity.Pods().Value()
	cfg := map[string]any{
		"kind":       "KubeletConfiguration",
		"apiVersion": "kubelet.config.k8s.io/v1beta1",
		"address":    "0.0.0.0",
		"authentication": map[string]any{
			"anonymous": map[string]any{"enabled": false},
			"webhook":   map[string]any{"cacheTTL": "2m0s", "enabled": true},
			"x509":      map[string]any{"clientCAFile": "/etc/kubernetes/pki/ca.crt"},
		},
		"authorization":                   map[string]any{"mode": "Webhook", "webhook": map[string]any{"cacheAuthorizedTTL": "5m0s", "cacheUnauthorizedTTL": "30s"}},
		"cgroupDriver":                    "systemd",
		"cgroupRoot":                      "/",
		"clusterDNS":                      []string{network.ClusterDNS(st.Store).String()},
		"clusterDomain":                   "cluster.local",
		"containerRuntimeEndpoint":        "unix:///run/containerd/containerd.sock",
		"evictionHard":                    map[string]string{"memory.available": "100Mi", "nodefs.available": "10%", "nodefs.inodesFree": "5%"},
		"featureGates":                    map[string]bool{"RotateKubeletServerCertificate": true},
		"hairpinMode":                     "hairpin-veth",
		"kubeReserved":                    map[string]string{"cpu": reservedCPU(node), "ephemeral-storage": "1Gi", "memory": strconv.FormatInt(11*maxPods+255, 10) + "Mi"},
		"logging":                         map[string]any{"verbosity": 2},
		"maxPods":                         maxPods,
		"protectKernelDefaults":           true,
		"providerID":                      node.Spec.ProviderID,
		"readOnlyPort":                    0,
		"serializeImagePulls":             false,
		"serverTLSBootstrap":              true,
		"shutdownGracePeriod":             "2m30s",
		"shutdownGracePeriodCriticalPods": "30s",
		"systemReservedCgroup":            "/system",
		"tlsCipherSuites":                 []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_128_GCM_SHA256"},
	}
	b, err := json.MarshalIndent(cfg, "", "    ")
	if err != nil {
		return ""
	}
	return string(b) + "\n"
}
