package bench

import "testing"

func benchmark(b *testing.B, cfg Config) {
	for i := 0; i < b.N; i++ {
		res, err := Run(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.Wall.Seconds(), "wall-s")
		b.ReportMetric(float64(res.Events)/res.Wall.Seconds(), "events/s")
		b.ReportMetric(float64(res.PeakRSS>>20), "peakRSS-MiB")
		b.ReportMetric(res.VirtualTime.Seconds(), "virtual-s")
		b.Log(res)
	}
}

// BenchmarkCluster1000Nodes30000Pods: 300 Deployments x 100 replicas.
func BenchmarkCluster1000Nodes30000Pods(b *testing.B) {
	benchmark(b, Config{Nodes: 1000, Deployments: 300, Replicas: 100})
}

// BenchmarkCluster5000Nodes150000Pods: the upstream scalability envelope,
// 1,500 Deployments x 100 replicas on m5.4xlarge nodes.
func BenchmarkCluster5000Nodes150000Pods(b *testing.B) {
	benchmark(b, Config{Nodes: 5000, Deployments: 1500, Replicas: 100})
}
