package scuttlebutt_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt"
)

// Leave right after Join returned, on the seed and on the joiner, ten
// times each on loopback: the leave is acknowledged, not cut short, and
// the peer reports the node gone at once. The failure detector cannot
// convict anyone within the test (an acceptable pause of an hour), so only
// the leave can explain it.
func TestLeaveRightAfterJoinIsAnnounced(t *testing.T) {
	noConviction := func(c *scuttlebutt.Config) { c.FailureDetectorConfig.AcceptableHeartbeatPause = time.Hour }
	gone := func(sb *scuttlebutt.Scuttlebutt, id string) func() bool {
		return func() bool {
			s, ok := statusOf(sb, id)
			return ok && s == scuttlebutt.MemberLeft
		}
	}
	for _, leaver := range []string{"seed", "joiner"} {
		t.Run(leaver, func(t *testing.T) {
			for i := range 10 {
				seed, _ := startUDP(t, fmt.Sprintf("seed-%d", i), noConviction)
				j, _ := startUDP(t, fmt.Sprintf("joiner-%d", i), noConviction)
				require.NoError(t, j.Join([]string{addrOf(seed)}))
				leaving, staying := seed, j
				if leaver == "joiner" {
					leaving, staying = j, seed
				}
				id := leaving.LocalNode().ID
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				t0 := time.Now()
				require.NoError(t, leaving.Leave(ctx), "round %d: the leave was not acknowledged", i)
				cancel()
				require.Less(t, time.Since(t0), 2*time.Second)
				require.Eventually(t, gone(staying, id), 2*time.Second, time.Millisecond, "round %d: %v", i, staying.Members())
				require.NotContains(t, ids(staying.LiveNodes()), id)
				require.Contains(t, ids(staying.DeadNodes()), id)
			}
		})
	}
}
