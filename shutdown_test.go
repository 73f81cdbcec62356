package scuttlebutt_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt"
)

// Leave(nil) with a live peer is Leave(context.Background()): announced,
// acknowledged, no panic.
func TestLeaveNilContextWithLivePeer(t *testing.T) {
	net := scuttlebutt.NewMemNetwork(71)
	sbs := memCluster(t, net, 2, nil)
	require.Eventually(t, allSeeAll(sbs), 10*time.Second, 5*time.Millisecond)
	require.NotPanics(t, func() {
		//lint:ignore SA1012 a nil context is documented to mean Background
		require.NoError(t, sbs[1].Leave(nil))
	})
	require.Eventually(t, func() bool {
		s, _ := statusOf(sbs[0], "node-01")
		return s == scuttlebutt.MemberLeft
	}, 5*time.Second, 5*time.Millisecond)
	//lint:ignore SA1012 a nil context is documented to mean Background
	require.ErrorIs(t, sbs[1].Leave(nil), scuttlebutt.ErrShutdown)
	//lint:ignore SA1012 a nil context is documented to mean Background
	require.ErrorIs(t, sbs[1].JoinContext(nil, []string{"node-00:7946"}), scuttlebutt.ErrShutdown)
}

// After Shutdown the reads return the last view the node had, frozen.
func TestReadsAfterShutdownReturnTheLastView(t *testing.T) {
	net := scuttlebutt.NewMemNetwork(72)
	sbs := memCluster(t, net, 3, nil)
	require.Eventually(t, allSeeAll(sbs), 10*time.Second, 5*time.Millisecond)
	require.NoError(t, sbs[1].Set("color", "blue"))
	require.Eventually(t, func() bool { v, _ := sbs[0].Get("node-01", "color"); return v == "blue" }, 10*time.Second, 5*time.Millisecond)

	a := sbs[0]
	live, members, local := a.LiveNodes(), a.Members(), a.LocalNode()
	state, _ := a.NodeState("node-01")
	require.NoError(t, a.Shutdown())
	stats := a.Stats()
	// The others go on changing; a's view does not.
	require.NoError(t, sbs[1].Set("color", "red"))
	require.NoError(t, sbs[2].Shutdown())
	require.Eventually(t, func() bool { return len(sbs[1].LiveNodes()) == 0 }, 10*time.Second, 5*time.Millisecond)
	require.Equal(t, live, a.LiveNodes())
	require.Equal(t, members, a.Members())
	require.Equal(t, local, a.LocalNode())
	v, ok := a.Get("node-01", "color")
	require.True(t, ok)
	require.Equal(t, "blue", v)
	st, _ := a.NodeState("node-01")
	require.Equal(t, state, st)
	require.Empty(t, a.DeadNodes())
	require.Equal(t, stats, a.Stats())
}
