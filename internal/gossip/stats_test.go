package gossip_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStatsHistogramsFillDuringGossip(t *testing.T) {
	s := newSim(3, 4, nil)
	startCluster(t, s, 4)
	within(t, s, 30, s.Converged)
	run(t, s, 5)
	e := s.Node(0).Engine()
	st := e.Stats(s.Now())
	require.Equal(t, st.PacketsSent, st.DatagramSizes.Count, "every datagram sent is in the size histogram")
	require.Equal(t, float64(st.BytesSent), st.DatagramSizes.Sum)
	require.Equal(t, st.DatagramSizes.Count, st.DatagramSizes.Counts[len(st.DatagramSizes.Counts)-1], "no datagram exceeds the last bound")
	require.NotZero(t, st.RoundTrips.Count, "answered Syns are timed")
	require.Zero(t, st.ConvictionPhi.Count)

	s.Crash(3)
	within(t, s, 30, func() bool { return len(e.DeadNodes()) == 1 })
	st = e.Stats(s.Now())
	require.Equal(t, uint64(1), st.ConvictionPhi.Count)
	require.Greater(t, st.ConvictionPhi.Sum, 8.0, "convicted above the threshold")
}
