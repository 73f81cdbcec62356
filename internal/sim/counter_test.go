package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The visibility tracker records when every other node holds a write, and
// counts the writes some node never got.
func TestVisibilityTracksWritesToEveryNode(t *testing.T) {
	s := cluster(t, 6, Options{Seed: 2, Net: Network{Latency: time.Millisecond}})
	v := newVisibility(s)
	require.NoError(t, s.Set(0, "k", "1"))
	v.wrote(s.Node(0))
	require.NoError(t, s.Set(0, "k", "2"))
	v.wrote(s.Node(0))
	require.Equal(t, 2, v.missing())
	require.NoError(t, s.RunFor(5*time.Second))
	require.Zero(t, v.missing())
	require.Len(t, v.times, 2)
	for _, d := range v.times {
		require.Positive(t, d)
		require.Less(t, time.Duration(d), 5*time.Second)
	}

	// A node cut off from the writer never holds its next write.
	s.Partition([]int{5})
	require.NoError(t, s.Set(1, "k", "3"))
	v.wrote(s.Node(1))
	require.NoError(t, s.RunFor(5*time.Second))
	require.Equal(t, 1, v.missing())
}

// The counter scenario reports its load and, with a slow rate, settles.
func TestCounterSmall(t *testing.T) {
	t.Parallel()
	r, err := Counter(CounterParams{Common: Common{Nodes: 20, Rounds: 4}, IncEvery: 10 * time.Millisecond, Keys: 3, Queries: 5})
	require.NoError(t, err)
	healthy(t, r)
	c := r.CounterResult
	require.Equal(t, 400, c.Increments)
	require.Equal(t, 3, c.Keys)
	require.Equal(t, 0.01, c.IncEverySeconds)
	require.Equal(t, 20, c.Queries, "5 a round for 4 rounds")
	require.True(t, c.TotalsExact)
	require.Zero(t, c.CompleteWhileWrongAfterQuiescence)
	require.GreaterOrEqual(t, c.SettledSeconds, 0.0)
	require.Positive(t, r.BytesPerNodePerSecMean)
}

// The run is the same for the same seed.
func TestCounterDeterministic(t *testing.T) {
	t.Parallel()
	p := CounterParams{Common: Common{Nodes: 12, Rounds: 2}}
	a, err := Counter(p)
	require.NoError(t, err)
	b, err := Counter(p)
	require.NoError(t, err)
	require.Equal(t, a.TraceHash, b.TraceHash)
	require.Equal(t, *a.CounterResult, *b.CounterResult)
}
