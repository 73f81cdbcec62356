package sim

import (
	"fmt"
	"testing"
)

// BenchmarkSimulatorUpdate runs the update scenario (warm-up included) and
// reports simulated node-rounds per second of wall time. The 1000-node case
// takes minutes per iteration and is skipped with -short.
func BenchmarkSimulatorUpdate(b *testing.B) {
	for _, n := range []int{100, 400, 1000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			if n > 400 && testing.Short() {
				b.Skip("large cluster skipped with -short")
			}
			var rounds uint64
			for b.Loop() {
				r, err := Update(UpdateParams{Common{Nodes: n, Rounds: 100}})
				if err != nil {
					b.Fatal(err)
				}
				rounds += r.NodeRounds
			}
			b.ReportMetric(float64(rounds)/b.Elapsed().Seconds(), "node-rounds/s")
		})
	}
}

// BenchmarkSimulatorSteady runs the steady scenario (warm-up included, then
// 100 rounds at rest) and reports node-rounds per second of wall time.
func BenchmarkSimulatorSteady(b *testing.B) {
	for _, n := range []int{100, 400} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			var rounds uint64
			for b.Loop() {
				r, err := Steady(SteadyParams{Common{Nodes: n, Rounds: 100}})
				if err != nil {
					b.Fatal(err)
				}
				rounds += r.NodeRounds
			}
			b.ReportMetric(float64(rounds)/b.Elapsed().Seconds(), "node-rounds/s")
		})
	}
}
