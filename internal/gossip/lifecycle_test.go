package gossip_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

func TestDeletePropagates(t *testing.T) {
	s := newSim(21, 4, nil)
	startCluster(t, s, 4)
	require.NoError(t, s.Set(1, "gone", "soon"))
	within(t, s, 20, s.Converged)
	s.Delete(1, "gone")
	within(t, s, 20, s.Converged)
	for _, n := range s.Nodes() {
		_, ok := n.Engine().Get(s.Node(1).ID(), "gone")
		require.False(t, ok, "%s still has a deleted key", n.ID())
	}
}

func TestTTLExpiresByOwnerClock(t *testing.T) {
	s := newSim(22, 3, nil)
	startCluster(t, s, 3)
	owner := s.Node(0).ID()
	written := s.Elapsed()
	require.NoError(t, s.Do(0, func(e *gossip.Engine, now time.Time) {
		require.NoError(t, e.SetWithTTL(now, "lease", "held", 5*time.Second))
	}))
	within(t, s, 20, s.Converged)
	_, ok := s.Node(2).Engine().Get(owner, "lease")
	require.True(t, ok)
	start := s.Elapsed()
	within(t, s, 20, func() bool {
		_, ok := s.Node(2).Engine().Get(owner, "lease")
		return !ok
	})
	t.Logf("converged %v after the write; the lease expired at a peer %v after the write", start-written, s.Elapsed()-written)
	require.GreaterOrEqual(t, s.Elapsed()-start, 4*time.Second, "expired before its TTL")
	require.Zero(t, s.Node(0).Engine().LocalTTLs())
}

// The chitchat failure modes: a replica partitioned for longer than the
// tombstone grace period must not bring deleted keys back, and must end with
// the current values, even when the reset it needs spans many datagrams and
// arrives through different peers.
func TestNoResurrectionAfterTombstoneGC(t *testing.T) {
	s := newSim(23, 5, func(c *gossip.Config) {
		c.MaxPacketSize = gossip.MinPacketSize
		c.TombstoneGracePeriod = 20 * time.Second
	})
	startCluster(t, s, 5)
	const isolated = 4
	owner := s.Node(0).ID()
	others := []int{0, 1, 2, 3}
	require.NoError(t, s.Do(0, func(e *gossip.Engine, now time.Time) {
		for i := range 120 {
			require.NoError(t, e.Set(now, fmt.Sprintf("key-%03d", i), fmt.Sprintf("value-%03d-xxxxxxxx", i)))
		}
	}))
	within(t, s, 100, s.Converged)
	s.Partition([]int{isolated})
	// While isolated: delete most keys, change some, add some; then wait
	// past the grace period so the tombstones are collected everywhere.
	require.NoError(t, s.Do(0, func(e *gossip.Engine, now time.Time) {
		for i := range 120 {
			switch {
			case i%3 != 0:
				require.NoError(t, e.Delete(now, fmt.Sprintf("key-%03d", i)))
			case i%2 == 0:
				require.NoError(t, e.Set(now, fmt.Sprintf("key-%03d", i), "changed"))
			}
		}
		for i := range 40 {
			require.NoError(t, e.Set(now, fmt.Sprintf("new-%03d", i), "fresh-value-xxxxxxxx"))
		}
	}))
	within(t, s, 200, func() bool {
		for _, i := range others {
			e := s.Node(i).Engine()
			_, gc, ok := e.Versions(owner)
			if !ok || e.Tombstones(owner) != 0 || gc == 0 {
				return false
			}
		}
		return true
	})
	// The owner goes away too, so the reset must come from the others.
	want, _ := s.Node(0).Engine().NodeState(owner)
	s.Crash(0)
	s.Heal()
	keysAt := func(i int) map[string]string {
		st, ok := s.Node(i).Engine().NodeState(owner)
		require.True(t, ok)
		return st
	}
	within(t, s, 300, func() bool {
		st, ok := s.Node(isolated).Engine().NodeState(owner)
		return ok && maps.Equal(st, want)
	})
	for i := range 120 {
		if i%3 != 0 {
			_, ok := s.Node(isolated).Engine().Get(owner, fmt.Sprintf("key-%03d", i))
			require.False(t, ok, "deleted key-%03d came back", i)
		}
	}
	// It stays right: more rounds never resurrect anything.
	run(t, s, 30)
	require.Equal(t, want, keysAt(isolated))
	require.Positive(t, s.Node(isolated).Engine().Resets(), "the isolated replica was never reset")
	for _, i := range others[1:] {
		require.Equal(t, want, keysAt(i))
	}
}

func TestLeaveIsReportedDeadAtOnceAndNotRevived(t *testing.T) {
	s := newSim(24, 5, nil)
	log := recordEvents(s)
	startCluster(t, s, 5)
	within(t, s, 20, s.Converged)
	run(t, s, 10)
	leaver := s.Node(3)
	x := leaver.ID()
	others := []int{0, 1, 2, 4}
	// The node stops once a peer acknowledged the leave: within three
	// re-pushes (a quarter interval apart) of the first push.
	s.Leave(3, time.Minute)
	ok, err := s.RunUntil(func() bool { return !leaver.Up() }, interval/100, 3*interval/4)
	require.NoError(t, err)
	require.True(t, ok, "leave not acknowledged")
	took := within(t, s, 5, func() bool { return statusAll(s, others, x, "left") })
	require.Less(t, took, 4*time.Second, "left node reported dead only after the phi timeout")
	run(t, s, 20)
	for _, i := range others {
		id := s.Node(i).ID()
		evs := log.of(id, x)
		require.Equal(t, gossip.NodeDead, last(evs))
		require.Equal(t, 1, countOf(evs, gossip.NodeDead))
		require.NotContains(t, ids(s.Node(i).Engine().LiveNodes()), x)
	}
	// It starts again with the same ID: live again, a new generation.
	require.NoError(t, s.Start(3, []string{s.Node(0).Addr()}, map[string]string{"again": "1"}))
	within(t, s, 30, s.Converged)
	for _, i := range others {
		id := s.Node(i).ID()
		evs := log.of(id, x)
		k := slices.Index(evs, gossip.NodeDead)
		require.Contains(t, evs[k:], gossip.NodeLive, "%s: %v", id, evs)
	}
}

func TestPartitionHealsWithoutRestart(t *testing.T) {
	s := newSim(25, 10, nil)
	startCluster(t, s, 10)
	within(t, s, 30, s.Converged)
	run(t, s, 10)
	s.Partition([]int{5, 6, 7, 8, 9}) // from 0 to 4
	within(t, s, 40, func() bool {
		return s.Node(0).Engine().LiveCount() == 4 && s.Node(9).Engine().LiveCount() == 4
	})
	// Both sides keep writing while apart.
	require.NoError(t, s.Set(1, "side", "a"))
	require.NoError(t, s.Set(8, "side", "b"))
	run(t, s, 20)
	s.Heal()
	took := within(t, s, 60, s.Converged)
	t.Logf("10 nodes re-merged %s after the partition healed", rounds(took))
}

func TestIsolatedNodeRejoinsOnItsOwn(t *testing.T) {
	s := newSim(26, 4, nil)
	startCluster(t, s, 4)
	within(t, s, 20, s.Converged)
	s.Partition([]int{3})
	within(t, s, 30, func() bool { return s.Node(3).Engine().LiveCount() == 0 })
	s.Heal()
	// Removed alone, it rejoins on probation (60 rounds): a node cut off
	// alone cannot be told from one that fails on and off.
	within(t, s, 80, s.Converged)
}

func TestMassRestartConverges(t *testing.T) {
	s := newSim(27, 20, nil)
	startCluster(t, s, 20)
	within(t, s, 40, s.Converged)
	run(t, s, 10)
	for i := 1; i < 20; i++ {
		s.Crash(i)
	}
	run(t, s, 1)
	for i := 1; i < 20; i++ {
		require.NoError(t, s.Start(i, []string{s.Node(0).Addr()}, map[string]string{"gen": "2", "i": fmt.Sprint(i - 1)}))
	}
	took := within(t, s, 80, s.Converged)
	t.Logf("19 of 20 nodes restarted at once: converged in %s", rounds(took))
	run(t, s, 20)
	require.True(t, s.Converged())
	for _, n := range s.Running() {
		require.Empty(t, n.Engine().DeadNodes(), "%s sees dead nodes", n.ID())
	}
}

func TestKeyChangesInVersionOrder(t *testing.T) {
	// Pushed: the first write of the burst leaves at once, and the rest,
	// paced, together a moment later; the peer sees a set and deleted.
	testKeyChangesInVersionOrder(t, nil, []string{"a=1/false", "b=2/false", "a=/true", "c=3/false", "c=/true"})
	// By anti-entropy alone, "a" was set and deleted before the exchange:
	// only its latest version travels, so the peer sees b, then a's
	// deletion, then c and its expiry.
	testKeyChangesInVersionOrder(t, func(c *gossip.Config) { c.DisablePush = true }, []string{"b=2/false", "a=/true", "c=3/false", "c=/true"})
}

func testKeyChangesInVersionOrder(t *testing.T, edit func(*gossip.Config), want []string) {
	s := newSim(28, 2, edit)
	log := recordEvents(s)
	startCluster(t, s, 2)
	within(t, s, 20, s.Converged)
	require.NoError(t, s.Do(1, func(e *gossip.Engine, _ time.Time) { e.WatchKeys(true) }))
	require.NoError(t, s.Do(0, func(e *gossip.Engine, now time.Time) {
		require.NoError(t, e.Set(now, "a", "1"))
		require.NoError(t, e.Set(now, "b", "2"))
		require.NoError(t, e.Delete(now, "a"))
		require.NoError(t, e.SetWithTTL(now, "c", "3", 5*time.Second))
	}))
	within(t, s, 20, s.Converged)
	within(t, s, 10, func() bool {
		_, ok := s.Node(1).Engine().Get(s.Node(0).ID(), "c")
		return !ok
	})
	var got []string
	for _, ch := range log[s.Node(1).ID()] {
		if ch.Type == gossip.KeyChanged {
			got = append(got, fmt.Sprintf("%s=%s/%v", ch.Key, ch.Value, ch.Deleted))
		}
	}
	require.Equal(t, want, got)
	require.True(t, slices.Contains(got, "c=/true"))
}
