package framework

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHasImage(t *testing.T) {
	var many []int32 // 20 ids: the binary-search path
	for i := int32(0); i < 20; i++ {
		many = append(many, 3*i+1)
	}
	tests := []struct {
		name string
		ids  []int32
		id   int32
		want bool
	}{
		{"none", nil, 0, false},
		{"first", []int32{0, 4, 9}, 0, true},
		{"last", []int32{0, 4, 9}, 9, true},
		{"gap", []int32{0, 4, 9}, 5, false},
		{"past end", []int32{0, 4, 9}, 10, false},
		{"many first", many, 1, true},
		{"many last", many, 58, true},
		{"many middle", many, 31, true},
		{"many gap", many, 30, false},
		{"many below", many, 0, false},
		{"many past end", many, 59, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ni := &NodeInfo{ImageIDs: tc.ids}
			require.Equal(t, tc.want, ni.HasImage(tc.id))
		})
	}
}
