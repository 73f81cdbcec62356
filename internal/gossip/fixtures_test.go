package gossip

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Fixtures for the white-box tests, which never run a cluster: clusters
// run in the simulator (internal/sim).

// T0 is when single-engine tests start, the instant every simulation
// starts at (sim.Start).
var T0 = time.Unix(1_700_000_000, 0)

// newNode returns the engine of node cfg.ID at address ID:7946, started at
// T0 with metadata meta.
func newNode(tb testing.TB, cfg *Config, seed uint64, meta map[string]string) *Engine {
	tb.Helper()
	e := newTestEngine(tb, cfg, cfg.ID+":7946", uint64(T0.UnixNano()), seed, T0)
	require.NoError(tb, e.SetAll(T0, meta))
	return e
}
