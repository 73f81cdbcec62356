package gossip

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHistogramIsCumulative(t *testing.T) {
	h := newHistogram([]float64{1, 10, 100})
	for _, v := range []float64{0.5, 1, 5, 10, 50, 1000} {
		h.observe(v)
	}
	s := h.snapshot()
	require.Equal(t, []float64{1, 10, 100}, s.Bounds)
	require.Equal(t, []uint64{2, 4, 5}, s.Counts, "a value equal to a bound counts in that bucket")
	require.Equal(t, uint64(6), s.Count)
	require.InDelta(t, 1066.5, s.Sum, 1e-9)
	s.Bounds[0] = 7
	require.Equal(t, 1.0, h.bounds[0], "snapshots do not alias the shared bounds")
}

func TestStatsHistogramsFillDuringGossip(t *testing.T) {
	h := newHarness(t, 3, testConfig)
	ns := h.addMany(4)
	h.runUntil(30, h.converged)
	for range 5 {
		h.round()
	}
	s := ns[0].core.Stats(h.now)
	require.Equal(t, s.PacketsSent, s.DatagramSizes.Count, "every datagram sent is in the size histogram")
	require.Equal(t, float64(s.BytesSent), s.DatagramSizes.Sum)
	require.Equal(t, s.DatagramSizes.Count, s.DatagramSizes.Counts[len(s.DatagramSizes.Counts)-1], "no datagram exceeds the last bound")
	require.NotZero(t, s.RoundTrips.Count, "answered Syns are timed")
	require.Zero(t, s.ConvictionPhi.Count)

	h.nodes[ns[3].addr].down = true
	h.runUntil(30, func() bool { return len(ns[0].core.peerIDs(statusDead)) == 1 })
	s = ns[0].core.Stats(h.now)
	require.Equal(t, uint64(1), s.ConvictionPhi.Count)
	require.Greater(t, s.ConvictionPhi.Sum, 8.0, "convicted above the threshold")
}
