package scenarios

import (
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/metrics"
)

const loadBase = base + `workloads:
  - file: web.yaml
load:
`

func loadFS(files map[string]string) fstest.MapFS {
	fs := fstest.MapFS{}
	for k, v := range testFS {
		fs[k] = v
	}
	for k, v := range files {
		fs[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return fs
}

func TestLoadParses(t *testing.T) {
	in := loadBase + `  - target: deployment/web
    curve: {diurnal: {min: 50, max: 800, period: 24h, peakAt: 14h}}
    cpuPerRequest: 2m
    noise: 0.1
`
	s, err := Parse("s.yaml", []byte(in), testFS)
	require.NoError(t, err)
	require.Len(t, s.Loads, 1)
	l := s.Loads[0]
	require.Equal(t, "Deployment/default/web", l.Key())
	require.Equal(t, metrics.Diurnal{Min: 50, Max: 800, Period: 24 * time.Hour, PeakAt: 14 * time.Hour}, l.Curve)
	require.InDelta(t, 2.0, l.CPUPerRequest, 1e-9)
	require.InDelta(t, 0.1, l.Noise, 1e-9)

	in = loadBase + "  - {target: deployment/web, curve: {csv: traffic.csv}, cpuPerRequest: 500u}\n"
	s, err = Parse("s.yaml", []byte(in), loadFS(map[string]string{"traffic.csv": "time,rps\n0s,10\n# a comment\n1h,110\n7200,10\n"}))
	require.NoError(t, err)
	c := s.Loads[0].Curve
	require.InDelta(t, 0.5, s.Loads[0].CPUPerRequest, 1e-9)
	require.InDelta(t, 60.0, c.RPS(30*time.Minute), 1e-9, "linear between rows")
	require.InDelta(t, 10.0, c.RPS(5*time.Hour), 1e-9, "the last row holds")
}

func TestLoadErrors(t *testing.T) {
	entry := func(s string) string { return loadBase + "  - " + s + "\n" }
	files := loadFS(map[string]string{"neg.csv": "0s,10\n1h,-5\n", "order.csv": "1h,10\n30m,5\n"})
	tests := []struct {
		name, in string
		want     []string
	}{
		{"negative traffic", entry("{target: deployment/web, curve: {constant: -3}, cpuPerRequest: 2m}"),
			[]string{"s.yaml:9:48: load[0].curve.constant: negative value -3\n  hint: traffic and its parameters cannot be negative"}},
		{"unknown curve", entry("{target: deployment/web, curve: {diurnl: {min: 1, max: 2}}, cpuPerRequest: 2m}"),
			[]string{"s.yaml:9:38: unknown field \"diurnl\" in load[0].curve\n  hint: did you mean \"diurnal\"?"}},
		{"two curves", entry("{target: deployment/web, curve: {constant: 3, spike: {base: 1, peak: 2, at: 1m, for: 1m}}, cpuPerRequest: 2m}"),
			[]string{"s.yaml:9:37: load[0].curve: give exactly one of constant, step, ramp, diurnal, spike, csv\n  hint: e.g. `curve: {diurnal: {min: 50, max: 800, period: 24h, peakAt: 14h}}`"}},
		{"unknown target", entry("{target: deployment/wbe, curve: {constant: 3}, cpuPerRequest: 2m}"),
			[]string{"s.yaml:9:14: load[0].target: no Deployment \"wbe\" in namespace \"default\" among the workloads\n  hint: did you mean \"deployment/web\"?"}},
		{"bad kind", entry("{target: deploymnet/web, curve: {constant: 3}, cpuPerRequest: 2m}"),
			[]string{"s.yaml:9:14: load[0].target: \"deploymnet\" cannot receive traffic\n  hint: did you mean \"deployment\"?"}},
		{"csv escapes", entry("{target: deployment/web, curve: {csv: ../traffic.csv}, cpuPerRequest: 2m}"),
			[]string{"s.yaml:9:43: load[0].curve.csv: path \"../traffic.csv\" leaves the scenario's directory\n  hint: keep manifests next to the scenario file or in a folder below it"}},
		{"csv negative", entry("{target: deployment/web, curve: {csv: neg.csv}, cpuPerRequest: 2m}"),
			[]string{"neg.csv:2:4: negative rate -5\n  hint: traffic cannot be negative"}},
		{"csv order", entry("{target: deployment/web, curve: {csv: order.csv}, cpuPerRequest: 2m}"),
			[]string{"order.csv:2:1: time 30m is not after the previous row's\n  hint: rows must be in increasing time order"}},
		{"ramp backwards", entry("{target: deployment/web, curve: {ramp: {from: 1, to: 5, start: 2h, end: 1h}}, cpuPerRequest: 2m}"),
			[]string{"s.yaml:9:77: load[0].curve.ramp: end 1h0m0s must be after start 2h0m0s"}},
		{"no cost", entry("{target: deployment/web, curve: {constant: 3}}"),
			[]string{"s.yaml:9:5: load[0]: missing required field \"cpuPerRequest\"\n  hint: e.g. `cpuPerRequest: 2m` (millicores per request per second)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireParseErrors(t, tc.in, files, tc.want)
		})
	}
}
