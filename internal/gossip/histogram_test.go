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
