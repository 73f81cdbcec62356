package sim

import (
	"testing"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
	"github.com/stretchr/testify/require"
)

// The tracker counts per (healthy observer, faulty node), from the start
// of the fault to its end, and takes the removed share when it ends.
func TestFaultTrackerCounts(t *testing.T) {
	s := cluster(t, 5, Options{Seed: 3})
	memb := sampleMembers(s, time.Second, func() bool { return false })
	f := trackFaults(s, []*Node{s.Node(4)}, memb)
	ev := func(o int, typ gossip.EventType, subject int) {
		x := s.Node(subject)
		f.event(s.Node(o), gossip.Event{Type: typ, Node: gossip.Node{ID: x.ID(), Addr: x.Addr()}})
	}
	require.NoError(t, s.RunFor(2*time.Second))
	ev(0, gossip.NodeDead, 4)
	ev(0, gossip.NodeLive, 4)
	ev(0, gossip.NodeDead, 4)
	ev(1, gossip.NodeDead, 4)
	ev(2, gossip.NodeDead, 4)
	ev(3, gossip.NodeLive, 4)
	ev(4, gossip.NodeDead, 0) // the faulty node's own view: not counted
	ev(1, gossip.NodeDead, 2) // about a healthy node
	f.stop()
	ev(3, gossip.NodeDead, 4) // after the end: not counted
	res := f.result()
	require.Equal(t, 1, res.FaultNodes)
	require.Equal(t, 2, res.FaultNodeDeadPerObserverMax)
	require.Zero(t, res.FaultNodeDeadPerObserverMin, "node 3 never reported it dead")
	require.Equal(t, 1, res.FaultNodeLivePerObserverMax)
	require.Equal(t, -1.0, res.FaultNodeDeadSecondsMax, "one healthy node never reported it dead")
	require.Equal(t, 1, res.HealthyNodeDeadEvents)
	require.Zero(t, res.FaultNodeRemovedShareMin, "every healthy node holds it live")
	require.Equal(t, 0, res.DistinctMemberCountsHealthyLate, "no sample 60 s into the fault")

	// Once every healthy node reported it dead, the time is the latest
	// first report.
	f2 := trackFaults(s, []*Node{s.Node(4)}, nil)
	require.NoError(t, s.RunFor(time.Second))
	for o := range 4 {
		f2.event(s.Node(o), gossip.Event{Type: gossip.NodeDead, Node: gossip.Node{ID: "n0004", Addr: s.Node(4).Addr()}})
		require.NoError(t, s.RunFor(time.Second))
	}
	res = f2.result()
	require.Equal(t, 1, res.FaultNodeDeadPerObserverMin)
	require.InDelta(t, 4.0, res.FaultNodeDeadSecondsMax, 1e-9)
}

// A node that loses everything both ways is removed by every healthy node:
// the removed share is 1 once they did.
func TestFaultTrackerRemovedShare(t *testing.T) {
	s := cluster(t, 8, Options{Seed: 4})
	x := s.Node(5)
	f := trackFaults(s, []*Node{x}, nil)
	s.SetNodeLoss(x.Index(), 1, 1)
	require.NoError(t, s.RunFor(20*time.Second))
	res := f.result()
	require.Equal(t, 1.0, res.FaultNodeRemovedShareMin)
	require.Equal(t, 1, res.FaultNodeDeadPerObserverMin)
	require.Positive(t, res.FaultNodeDeadSecondsMax)
	require.Zero(t, res.HealthyNodeDeadEvents)
}
