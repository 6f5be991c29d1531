package kubeapi

import (
	"strings"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kubesim/kubesim/sim/store"
)

// kubectl's RBAC and CertificateSigningRequest columns (kube-apiserver's
// table printers).
func init() {
	created := func(o store.Object, _ time.Time) []any {
		return []any{o.GetName(), o.GetCreationTimestamp().UTC().Format(time.RFC3339)}
	}
	printers["Role"] = &printer{cols("Name", "Created At"), created}
	printers["ClusterRole"] = &printer{cols("Name", "Created At"), created}
	printers["RoleBinding"] = &printer{cols("Name", "Role", "Age", "+Users", "+Groups", "+ServiceAccounts"), func(o store.Object, now time.Time) []any {
		b := o.(*rbacv1.RoleBinding)
		u, g, sa := subjectColumns(b.Subjects)
		return []any{b.Name, b.RoleRef.Kind + "/" + b.RoleRef.Name, age(b.CreationTimestamp, now), u, g, sa}
	}}
	printers["ClusterRoleBinding"] = &printer{cols("Name", "Role", "Age", "+Users", "+Groups", "+ServiceAccounts"), func(o store.Object, now time.Time) []any {
		b := o.(*rbacv1.ClusterRoleBinding)
		u, g, sa := subjectColumns(b.Subjects)
		return []any{b.Name, b.RoleRef.Kind + "/" + b.RoleRef.Name, age(b.CreationTimestamp, now), u, g, sa}
	}}
	printers["CertificateSigningRequest"] = &printer{cols("Name", "Age", "SignerName", "Requestor", "RequestedDuration", "Condition"), csrCells}
}

func subjectColumns(subjects []rbacv1.Subject) (users, groups, sas string) {
	var u, g, s []string
	for _, x := range subjects {
		switch x.Kind {
		case rbacv1.UserKind:
			u = append(u, x.Name)
		case rbacv1.GroupKind:
			g = append(g, x.Name)
		case rbacv1.ServiceAccountKind:
			s = append(s, x.Namespace+"/"+x.Name)
		}
	}
	return strings.Join(u, ", "), strings.Join(g, ", "), strings.Join(s, ", ")
}

func csrCells(o store.Object, now time.Time) []any {
	csr := o.(*certificatesv1.CertificateSigningRequest)
	dur := "<none>"
	if e := csr.Spec.ExpirationSeconds; e != nil {
		dur = duration.HumanDuration(time.Duration(*e) * time.Second)
	}
	return []any{csr.Name, age(csr.CreationTimestamp, now), csr.Spec.SignerName, csr.Spec.Username, dur, csrCondition(csr)}
}

// csrCondition is kubectl's CONDITION: the True conditions joined, then
// Issued once a certificate is there, or Pending.
func csrCondition(csr *certificatesv1.CertificateSigningRequest) string {
	var out []string
	for _, c := range csr.Status.Conditions {
		if c.Status == "" || c.Status == corev1.ConditionTrue {
			out = append(out, string(c.Type))
		}
	}
	if len(csr.Status.Certificate) > 0 {
		out = append(out, "Issued")
	}
	if len(out) == 0 {
		return "Pending"
	}
	return strings.Join(out, ",")
}
