package gossip_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A member that restarts and stops again within its first round (having
// greeted the observers it knew then at most) is convicted all the same:
// its observers expect the new incarnation's heartbeats as they would a
// joiner's.
func TestRestartedNodeSilentAtOnceIsConvicted(t *testing.T) {
	s := newSim(61, 4, nil)
	startCluster(t, s, 4)
	within(t, s, 30, s.Converged)
	id := s.Node(1).ID()
	require.NoError(t, s.Start(1, []string{s.Node(0).Addr()}, nil))
	require.NoError(t, s.RunFor(time.Microsecond)) // the join's exchange, not a round
	require.LessOrEqual(t, s.Node(1).Engine().Stats(s.Now()).HeartbeatsSent, uint64(3), "a greeting at most")
	s.Pause(1) // nothing more from it: no heartbeat ever
	gen := s.Node(1).Generation()
	for _, m := range s.Node(0).Engine().Members() {
		if m.Node.ID == id {
			require.Equal(t, gen, m.Generation, "the seed holds the new incarnation")
			require.Equal(t, "live", s.Node(0).Engine().PeerStatus(id))
		}
	}
	within(t, s, 60, func() bool { return statusAll(s, []int{0, 2, 3}, id, "dead") })
}
