package apiserver

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// The LimitRange bounds word their refusals as upstream's limitranger.
func TestLimitRangeBoundMessages(t *testing.T) {
	rl := func(cpu string) corev1.ResourceList {
		if cpu == "" {
			return nil
		}
		return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}
	}
	for _, tc := range []struct {
		bound, bnd, req, lim, want string
	}{
		{"minimum", "500m", "", "1", "minimum cpu usage per Container is 500m.  No request is specified"},
		{"minimum", "500m", "100m", "1", "minimum cpu usage per Container is 500m, but request is 100m"},
		{"minimum", "500m", "600m", "200m", "minimum cpu usage per Container is 500m, but limit is 200m"},
		{"minimum", "500m", "600m", "", ""},
		{"maximum", "1", "100m", "", "maximum cpu usage per Container is 1.  No limit is specified"},
		{"maximum", "1", "100m", "2", "maximum cpu usage per Container is 1, but limit is 2"},
		{"maximum", "1", "1500m", "1", "maximum cpu usage per Container is 1, but request is 1500m"},
		{"maximum", "1", "", "1", ""},
	} {
		err := boundConstraint(tc.bound, "Container", "cpu", resource.MustParse(tc.bnd), rl(tc.req), rl(tc.lim))
		if tc.want == "" {
			require.NoError(t, err, "%+v", tc)
			continue
		}
		require.EqualError(t, err, tc.want, "%+v", tc)
	}
}
