package scenarios

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Pathological inputs end in errors, not crashes or hangs.
func TestPathologicalInputs(t *testing.T) {
	deepFlow := "name: t\nworkloads:\n  - manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "}\n"
	var deepBlock strings.Builder
	deepBlock.WriteString(base + "workloads:\n  - manifest:\n      apiVersion: v1\n      kind: ConfigMap\n      metadata: {name: c}\n      x:\n")
	for i := 0; i < 300; i++ {
		deepBlock.WriteString(strings.Repeat(" ", 8+i) + "a:\n")
	}
	laughs := base + "x: &a [1,1,1,1,1,1,1,1,1,1]\n"
	prev := "a"
	for i := 0; i < 8; i++ {
		name := string(rune('b' + i))
		laughs += name + ": &" + name + " [" + strings.Repeat("*"+prev+",", 9) + "*" + prev + "]\n"
		prev = name
	}
	laughs = strings.Replace(laughs, "x: &a", "x: &a", 1) + "workloads:\n  - manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, extra: *" + prev + "}\n"
	for name, tc := range map[string]struct{ in, want string }{
		"deep flow":  {deepFlow, "manifest nested more than 100 levels deep"},
		"deep block": {deepBlock.String(), "manifest nested more than 100 levels deep"},
		"laughs":     {laughs, "manifest too large: aliases expand it beyond 262144 values or 16 MiB"},
		"self alias": {base + "workloads:\n  - manifest: &m {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: *m}\n", "s.yaml:7:79: data: alias *m refers to itself"},
		"merge loop": {base + "workloads:\n  - manifest: &m {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, <<: *m}\n", "a merge key (<<) needs a mapping"},
		"huge count": {strings.Replace(base, "count: 3", "count: 99999999999", 1), "count: 99999999999 is out of range (0 to 20000)"},
		"nul bytes":  {"name: t\x00\x01\n", "s.yaml:1:1: invalid YAML: control characters are not allowed"},
		"bad utf8":   {"name: \xff\xfe\n", "s.yaml:1:1: invalid YAML: invalid leading UTF-8 octet"},
		"binary tag": {base + "workloads:\n  - manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: !!binary aGk=}}\n", `ConfigMap "aGk=" is invalid: metadata.name`},
		"infinity":   {base + "workloads:\n  - manifest: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {priority: .inf}}\n", "spec.priority: unsupported value .inf"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(tc.in), nil)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
