// Package storetest holds test fixtures over the store's kind table: one
// valid object of every kind, so tests can go over every kind the
// simulator serves and a new kind cannot be forgotten by them.
package storetest

import (
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/kubesim/kubesim/sim/store"
)

// kindSamples is one valid object of every kind the store (and so the
// Kubernetes API server) holds, named "sample". A kind added to the store
// without a sample here fails the tests that go over every kind.
var kindSamples = map[string]string{
	"Namespace": `metadata: {name: sample}`,
	"Node":      `metadata: {name: sample}`,
	"Pod":       `{metadata: {name: sample, namespace: default, labels: {app: s}}, spec: {containers: [{name: c, image: nginx}]}}`,
	"Service":   `{metadata: {name: sample, namespace: default}, spec: {selector: {app: x}, ports: [{port: 80}]}}`,
	"ConfigMap": `{metadata: {name: sample, namespace: default}, data: {k: v}}`,
	"Secret":    `{metadata: {name: sample, namespace: default}}`,
	"Event": `{metadata: {name: sample, namespace: default}, involvedObject: {kind: Pod, name: x, namespace: default},
		reason: Test, message: m, type: Normal}`,
	"ServiceAccount": `{metadata: {name: sample, namespace: default}}`,
	"Deployment": `{metadata: {name: sample, namespace: default}, spec: {replicas: 1, selector: {matchLabels: {app: s}},
		template: {metadata: {labels: {app: s}}, spec: {containers: [{name: c, image: nginx}]}}}}`,
	"ReplicaSet": `{metadata: {name: sample, namespace: default}, spec: {replicas: 1, selector: {matchLabels: {app: s}},
		template: {metadata: {labels: {app: s}}, spec: {containers: [{name: c, image: nginx}]}}}}`,
	"DaemonSet": `{metadata: {name: sample, namespace: default}, spec: {selector: {matchLabels: {app: s}},
		template: {metadata: {labels: {app: s}}, spec: {containers: [{name: c, image: nginx}]}}}}`,
	"StatefulSet": `{metadata: {name: sample, namespace: default}, spec: {replicas: 1, serviceName: s, selector: {matchLabels: {app: s}},
		template: {metadata: {labels: {app: s}}, spec: {containers: [{name: c, image: nginx}]}}}}`,
	"ControllerRevision":  `{metadata: {name: sample, namespace: default}, revision: 1}`,
	"EndpointSlice":       `{metadata: {name: sample, namespace: default}, addressType: IPv4}`,
	"PodDisruptionBudget": `{metadata: {name: sample, namespace: default}, spec: {minAvailable: 1, selector: {matchLabels: {app: s}}}}`,
	"Lease":               `{metadata: {name: sample, namespace: default}}`,
	"Job": `{metadata: {name: sample, namespace: default}, spec: {template: {spec: {restartPolicy: Never,
		containers: [{name: c, image: perl}]}}}}`,
	"CronJob": `{metadata: {name: sample, namespace: default}, spec: {schedule: "*/5 * * * *", jobTemplate: {spec: {template: {spec: {
		restartPolicy: OnFailure, containers: [{name: c, image: busybox}]}}}}}}`,
	"HorizontalPodAutoscaler": `{metadata: {name: sample, namespace: default}, spec: {maxReplicas: 3,
		scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}}}`,
	"NodePool": `{metadata: {name: sample}, spec: {template: {spec: {
		requirements: [{key: karpenter.sh/capacity-type, operator: In, values: [spot, on-demand]}],
		nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}}}}}`,
	"NodeClaim": `{metadata: {name: sample}, spec: {requirements: [{key: node.kubernetes.io/instance-type, operator: In, values: [m5.large]}],
		nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}}}`,
	"EC2NodeClass": `{metadata: {name: sample}, spec: {role: KarpenterNodeRole-sample, amiSelectorTerms: [{alias: al2023@latest}],
		subnetSelectorTerms: [{tags: {karpenter.sh/discovery: sample}}], securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: sample}}]}}`,
	"StorageClass":     `{metadata: {name: sample}, provisioner: ebs.csi.aws.com}`,
	"PersistentVolume": `{metadata: {name: sample}, spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /data}}}`,
	"PersistentVolumeClaim": `{metadata: {name: sample, namespace: default}, spec: {accessModes: [ReadWriteOnce],
		resources: {requests: {storage: 1Gi}}}}`,
	"PriorityClass": `{metadata: {name: sample}, value: 1000}`,
	"ResourceQuota": `{metadata: {name: sample, namespace: default}, spec: {hard: {pods: "10"}}}`,
	"LimitRange":    `{metadata: {name: sample, namespace: default}, spec: {limits: [{type: Container, default: {cpu: 500m}}]}}`,
	"Endpoints":     `{metadata: {name: sample, namespace: default}, subsets: [{addresses: [{ip: 10.0.1.5}], ports: [{port: 80}]}]}`,
	"IngressClass":  `{metadata: {name: sample}, spec: {controller: ingress.k8s.aws/alb}}`,
	"Ingress": `{metadata: {name: sample, namespace: default}, spec: {ingressClassName: alb, rules: [{http: {paths: [{path: /, pathType: Prefix,
		backend: {service: {name: web, port: {number: 80}}}}]}}]}}`,
	"NetworkPolicy":      `{metadata: {name: sample, namespace: default}, spec: {podSelector: {matchLabels: {app: s}}}}`,
	"ClusterRole":        `{metadata: {name: sample}, rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]}`,
	"ClusterRoleBinding": `{metadata: {name: sample}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}, subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: jane}]}`,
	"Role":               `{metadata: {name: sample, namespace: default}, rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}]}`,
	"RoleBinding":        `{metadata: {name: sample, namespace: default}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: sample}, subjects: [{kind: ServiceAccount, name: default}]}`,
	// An Ed25519 certificate request for CN=sample.
	"CertificateSigningRequest": `{metadata: {name: sample}, spec: {signerName: kubernetes.io/kube-apiserver-client, usages: [client auth],
		request: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlHUU1FUUNBUUF3RVRFUE1BMEdBMVVFQXhNR2MyRnRjR3hsTUNvd0JRWURLMlZ3QXlFQU8yb252TTYycEMxaQpvNmpRS204TmMyVXlGWGNkNGtPbU9zQklvWXRaMmltZ0FEQUZCZ01yWlhBRFFRQzBuWjFISXpvbzJQck9ENzVECjZiRnpPVFZTaFp5N2dyMTV6Z2V5WUgvejlSNTVtOWVzMm1kNmpGcUh3ZXJmNTRvYlVQR0tQcXo2NExJOXRZcnoKaFc4RgotLS0tLUVORCBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K}}`,
	"ReplicationController": `{metadata: {name: sample, namespace: default}, spec: {replicas: 1, selector: {app: s},
		template: {metadata: {labels: {app: s}}, spec: {containers: [{name: c, image: nginx}]}}}}`,
}

// Sample returns a fresh valid object of kind, named "sample" (in
// namespace "default" when the kind is namespaced), as a person would
// write it (not defaulted). It fails for a kind without a sample.
func Sample(kind string) (store.Object, error) {
	info, ok := store.LookupKind(kind)
	if !ok {
		return nil, fmt.Errorf("storetest: unknown kind %q", kind)
	}
	src, ok := kindSamples[kind]
	if !ok {
		return nil, fmt.Errorf("storetest: kind %s has no sample: add one to kindSamples", kind)
	}
	obj := info.New()
	if err := yaml.UnmarshalStrict([]byte(src), obj); err != nil {
		return nil, fmt.Errorf("storetest: sample %s: %w", kind, err)
	}
	return obj, nil
}
