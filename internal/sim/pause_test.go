package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// A paused node keeps its state: its peers convict it, it neither ticks nor
// hears anything while paused, and once resumed it is live again with the
// heartbeat it had, carried on.
func TestPausedNodeKeepsItsStateAndResumes(t *testing.T) {
	s := cluster(t, 3, Options{Seed: 6})
	require.NoError(t, s.RunFor(10*time.Second))
	kinds := map[DeathKind]int{}
	s.OnEvent(func(o *Node, ev gossip.Event) {
		if ev.Type == gossip.NodeDead {
			x, _ := s.NodeByAddr(ev.Node.Addr)
			kinds[s.ClassifyDeath(o, x)]++
		}
	})
	p := s.Node(2)
	e := p.Engine()
	rounds := e.Stats(s.Now()).Rounds
	received := e.Stats(s.Now()).PacketsReceived
	s.Pause(2)
	require.True(t, p.Up())
	require.True(t, p.Paused())
	require.Error(t, s.Do(2, func(*gossip.Engine, time.Time) {}))
	require.Error(t, s.Set(2, "k", "v"))
	require.NoError(t, s.RunFor(20*time.Second))
	require.Equal(t, rounds, e.Stats(s.Now()).Rounds, "a paused node does not tick")
	require.Equal(t, received, e.Stats(s.Now()).PacketsReceived, "nor receive")
	require.Equal(t, 1, s.Node(0).LiveCount())
	require.Equal(t, 1, s.Node(1).LiveCount())
	require.Equal(t, 2, p.LiveCount(), "its own view is frozen")
	require.Equal(t, map[DeathKind]int{DeathTrue: 2}, kinds, "its peers convict it")

	s.Resume(2)
	require.False(t, p.Paused())
	require.Same(t, e, p.Engine(), "the same incarnation runs on")
	require.Equal(t, rounds+1, e.Stats(s.Now()).Rounds, "it ticks at once on resuming")
	// Removed while it slept, it rejoins on probation: 60 rounds.
	ok, err := s.RunUntil(s.Converged, time.Second, 90*time.Second)
	require.NoError(t, err)
	require.True(t, ok)
	require.Zero(t, kinds[DeathFalse], "deaths around the pause are blamed on it: %v", kinds)
}
