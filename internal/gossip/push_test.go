package gossip

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// A push goes to the pusher's successor on the first ring and to
// pushFanout random members besides, so that a node no random copy
// reached still gets the change from its predecessor; a member the push
// must not go to (it sent what the push carries) is skipped, successor or
// not.
func TestPushTargetsIncludeRingSuccessor(t *testing.T) {
	e := newNode(t, testConfig("a"), 1, nil)
	var peers []Introduction
	for i := range 40 {
		peers = append(peers, Introduction{ID: fmt.Sprintf("p%02d", i), Addr: fmt.Sprintf("p%02d:1", i), Generation: 1})
	}
	e.IntroduceAll(T0, peers)
	for _, p := range peers {
		e.admit(e.nodes[p.ID], T0)
	}
	require.Equal(t, 40, e.liveCount())

	succ := e.ringSuccessor()
	require.NotNil(t, succ)
	i, _ := e.rings.position(0, e.self.id)
	require.Same(t, e.rings.members()[(i+1)%len(e.rings.members())], succ)

	for range 20 {
		targets := e.pushTargets()
		require.Len(t, targets, e.pushFanout()+1)
		require.Equal(t, succ.addr, targets[0])
		require.Len(t, slices.Compact(slices.Sorted(slices.Values(targets))), len(targets), "distinct")
		require.NotContains(t, targets, e.self.addr)
	}

	e.noPushTo(succ.id)
	targets := e.pushTargets()
	require.NotContains(t, targets, succ.addr)
	require.Len(t, targets, e.pushFanout())
}
