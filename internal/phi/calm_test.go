package phi

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// thresholdY is the y at which phi reaches the threshold, a hair below.
func TestThresholdY(t *testing.T) {
	for _, th := range []float64{0.01, 0.3, 0.30103, 1, 5, 8, 12, 16, 50, 300} {
		y := thresholdY(th)
		require.LessOrEqual(t, phiFromY(y), th, "threshold %v", th)
		require.Greater(t, phiFromY(y+1e-4), th, "threshold %v: y %v is not tight", th, y)
	}
	require.Equal(t, -1.0, max(thresholdY(0), -1))
}

// Property: before calmUntil, phi never exceeds the threshold, and a little
// after it, it does; checkPeers may skip phi until then without changing any
// conviction.
func TestCalmUntilNeverHidesSuspicion(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Unix(1_700_000_000, 0)
	for trial := range 300 {
		cfg := DefaultConfig()
		cfg.PhiThreshold = []float64{0.5, 1, 3, 8, 12, 20}[trial%6]
		cfg.MinStdDeviation = time.Duration(1+rng.IntN(500)) * time.Millisecond
		cfg.AcceptableHeartbeatPause = time.Duration(rng.IntN(5000)) * time.Millisecond
		cfg.SamplingWindowSize = uint(1 + rng.IntN(50))
		w := newArrivalWindow(cfg)
		now := start
		for range 1 + rng.IntN(80) {
			now = now.Add(time.Duration(1+rng.IntN(3000)) * time.Millisecond)
			w.Heartbeat(now)
		}
		require.NotEqual(t, int64(NoTime), w.CalmUntil())
		calm := w.p.At(w.CalmUntil())
		for _, d := range []time.Duration{0, time.Millisecond, 100 * time.Millisecond, time.Second} {
			if at := calm.Add(-d - time.Nanosecond); at.After(now) {
				require.LessOrEqual(t, w.Phi(at), cfg.PhiThreshold, "trial %d: phi above threshold %v before calmUntil", trial, d)
			}
		}
		require.Greater(t, w.Phi(calm.Add(5*time.Millisecond)), cfg.PhiThreshold, "trial %d: calmUntil is not tight", trial)
	}
	require.Equal(t, int64(NoTime), newArrivalWindow(DefaultConfig()).CalmUntil(), "no arrival yet")
}
