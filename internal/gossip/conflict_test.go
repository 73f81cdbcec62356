package gossip_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
	"github.com/scuttlego/scuttlebutt/internal/sim"
)

// conflicts returns the NodeConflict events observer emitted about id.
func (l eventLog) conflicts(observer, id string) []gossip.Event {
	var out []gossip.Event
	for _, e := range l[observer] {
		if e.Type == gossip.NodeConflict && e.Node.ID == id {
			out = append(out, e)
		}
	}
	return out
}

// Two processes started with the same ID, "x", on two addresses: the newer
// incarnation wins everywhere, and the older one, which keeps running,
// learns that it lost, while every node that hears from both reports the
// older one, once.
func TestIDConflictNewerWinsAndIsReported(t *testing.T) {
	names := func(i int) (string, string) {
		switch i {
		case 1:
			return "x", "x-old:7946"
		case 3:
			return "x", "x-new:7946"
		}
		return fmt.Sprintf("n%d", i), fmt.Sprintf("n%d:7946", i)
	}
	s := sim.New(sim.Options{Nodes: 4, Seed: 7, Config: configWith(nil), Names: names})
	log := recordEvents(s)
	for i := range 3 {
		var seeds []string
		if i > 0 {
			seeds = []string{"n0:7946"}
		}
		require.NoError(t, s.Start(i, seeds, map[string]string{"k": fmt.Sprint(i)}))
	}
	within(t, s, 30, func() bool { return statusAll(s, []int{0, 2}, "x", "live") })
	run(t, s, 5)
	require.Zero(t, log.count(gossip.NodeConflict))

	run(t, s, 3)
	require.NoError(t, s.Start(3, []string{"n0:7946"}, map[string]string{"k": "new"}))
	older, newer := s.Node(1).Generation(), s.Node(3).Generation()
	require.Greater(t, newer, older)
	within(t, s, 20, func() bool {
		return len(log.conflicts("x", "x")) >= 2 && len(log.conflicts("n0", "x")) > 0 && len(log.conflicts("n2", "x")) > 0
	})
	run(t, s, 10)

	// Everyone holds the newer incarnation.
	for _, i := range []int{0, 2} {
		require.Equal(t, "live", s.Node(i).Engine().PeerStatus("x"))
		v, _ := s.Node(i).Engine().Get("x", "k")
		require.Equal(t, "new", v)
	}
	// Both processes learnt of the other: the older one that it lost, the
	// newer one, told by the older, that another process has its ID. (The
	// log holds the events of both processes of ID "x".)
	var lost, won []gossip.Event
	for _, c := range log.conflicts("x", "x") {
		switch c.Generation {
		case newer:
			lost = append(lost, c)
		case older:
			won = append(won, c)
		}
	}
	require.Len(t, lost, 1)
	require.Equal(t, "x-new:7946", lost[0].Node.Addr)
	require.Len(t, won, 1)
	require.Equal(t, "x-old:7946", won[0].Node.Addr)
	// The peers report the older incarnation, once each.
	for _, id := range []string{"n0", "n2"} {
		cs := log.conflicts(id, "x")
		require.Len(t, cs, 1, "%s: %v", id, cs)
		require.Equal(t, older, cs[0].Generation)
		require.Equal(t, "x-old:7946", cs[0].Node.Addr)
	}
}

// A restart, a leave and a crash are no conflicts.
func TestRestartIsNoConflict(t *testing.T) {
	s := newSim(8, 4, nil)
	log := recordEvents(s)
	startCluster(t, s, 4)
	within(t, s, 30, s.Converged)
	require.NoError(t, s.Start(1, []string{s.Node(0).Addr()}, nil)) // restart at once
	s.Crash(2)
	s.Leave(3, 5*interval)
	run(t, s, 30)
	require.NoError(t, s.Start(2, []string{s.Node(0).Addr()}, nil))
	run(t, s, 30)
	require.Zero(t, log.count(gossip.NodeConflict))
}
