package gossip

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEdgeLoss(t *testing.T) {
	var l edgeLoss
	last := uint64(0)
	arrive := func(seq uint64) { l.arrived(seq, 1, last); last = seq }
	for seq := uint64(1); seq <= lossWindow; seq++ {
		arrive(seq)
		require.False(t, l.lossy(), "every heartbeat arrived")
	}
	// One in five arrives from now on: lossy once the window has no more
	// than lossMinHeard-1 arrivals.
	seq := last
	for range 4 {
		seq += 5
		arrive(seq)
	}
	require.True(t, l.lossy(), "4 of the last 20 arrived")
	// Back to every heartbeat: still lossy until lossRecovered of the
	// window arrived (more than lossMinHeard: no flapping at the bound).
	k := 0
	for l.lossy() {
		seq++
		arrive(seq)
		k++
	}
	require.Greater(t, k, lossMinHeard-4, "the bound to leave is above the one to enter")
	require.LessOrEqual(t, k, lossRecovered)
	// A gap longer than the window: lossy until enough arrived again.
	seq += 100
	arrive(seq)
	require.True(t, l.lossy())
	for range lossRecovered - 1 {
		seq++
		arrive(seq)
	}
	require.False(t, l.lossy())
	// A restart of the sequence starts over.
	arrive(1)
	require.Equal(t, uint64(1), l.span)
	// A new run of the subject's heartbeats to this observer: what came
	// before is no loss; what it sent since is.
	l.arrived(50, 50, 30)
	require.Equal(t, uint64(1), l.span)
	require.False(t, l.lossy())
	l.arrived(80, 60, 50)
	require.Equal(t, uint64(lossWindow), l.span, "20 sent since 60, one arrived")
	require.True(t, l.lossy())
}
