package gossip

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// partition cuts every link between the groups, both ways.
func (h *harness) partition(a, b []*hnode) {
	for _, x := range a {
		for _, y := range b {
			h.cut[[2]string{x.addr, y.addr}] = true
			h.cut[[2]string{y.addr, x.addr}] = true
		}
	}
}

func (h *harness) heal() { clear(h.cut) }

func TestDeletePropagates(t *testing.T) {
	h := newHarness(t, 21, testConfig)
	ns := h.addMany(4)
	ns[1].core.set("gone", "soon", h.now, 0)
	h.runUntil(20, h.converged)
	ns[1].core.del("gone", h.now)
	h.runUntil(20, h.converged)
	for _, n := range ns {
		_, ok := n.core.nodes["n001"].get("gone")
		require.False(t, ok, "%s still has a deleted key", n.id)
	}
}

func TestTTLExpiresByOwnerClock(t *testing.T) {
	h := newHarness(t, 22, testConfig)
	ns := h.addMany(3)
	ns[0].core.set("lease", "held", h.now, 5*time.Second)
	h.runUntil(20, h.converged)
	_, ok := ns[2].core.nodes["n000"].get("lease")
	require.True(t, ok)
	start := h.now
	h.runUntil(20, func() bool {
		_, ok := ns[2].core.nodes["n000"].get("lease")
		return !ok
	})
	require.GreaterOrEqual(t, h.now.Sub(start), 4*time.Second, "expired before its TTL")
	require.Zero(t, ns[0].core.self.ttls)
}

// The chitchat failure modes: a replica partitioned for longer than the
// tombstone grace period must not bring deleted keys back, and must end with
// the current values, even when the reset it needs spans many datagrams and
// arrives through different peers.
func TestNoResurrectionAfterTombstoneGC(t *testing.T) {
	h := newHarness(t, 23, func(id string) *Config {
		c := testConfig(id)
		c.MaxPacketSize = MinPacketSize
		c.TombstoneGracePeriod = 20 * time.Second
		return c
	})
	ns := h.addMany(5)
	owner, isolated := ns[0], ns[4]
	for i := range 120 {
		owner.core.set(fmt.Sprintf("key-%03d", i), fmt.Sprintf("value-%03d-xxxxxxxx", i), h.now, 0)
	}
	h.runUntil(100, h.converged)
	h.partition([]*hnode{isolated}, ns[:4])
	// While isolated: delete most keys, change some, add some; then wait
	// past the grace period so the tombstones are collected everywhere.
	for i := range 120 {
		switch {
		case i%3 != 0:
			owner.core.del(fmt.Sprintf("key-%03d", i), h.now)
		case i%2 == 0:
			owner.core.set(fmt.Sprintf("key-%03d", i), "changed", h.now, 0)
		}
	}
	for i := range 40 {
		owner.core.set(fmt.Sprintf("new-%03d", i), "fresh-value-xxxxxxxx", h.now, 0)
	}
	h.runUntil(200, func() bool {
		for _, n := range ns[:4] {
			o := n.core.nodes["n000"]
			if o == nil || o.tombstones != 0 || o.gcVersion == 0 {
				return false
			}
		}
		return true
	})
	// The owner goes away too, so the reset must come from the others.
	owner.down = true
	h.heal()
	want := owner.core.self.userKeys()
	h.runUntil(300, func() bool {
		o := isolated.core.nodes["n000"]
		return o != nil && mapsEqual(o.userKeys(), want)
	})
	o := isolated.core.nodes["n000"]
	for i := range 120 {
		if i%3 != 0 {
			_, ok := o.get(fmt.Sprintf("key-%03d", i))
			require.False(t, ok, "deleted key-%03d came back", i)
		}
	}
	// It stays right: more rounds never resurrect anything.
	for range 30 {
		h.round()
	}
	require.Equal(t, want, isolated.core.nodes["n000"].userKeys())
	require.Positive(t, isolated.core.resets, "the isolated replica was never reset")
	for _, n := range ns[1:4] {
		require.Equal(t, want, n.core.nodes["n000"].userKeys())
	}
}

func TestLeaveIsReportedDeadAtOnceAndNotRevived(t *testing.T) {
	h := newHarness(t, 24, testConfig)
	ns := h.addMany(5)
	h.runUntil(20, h.converged)
	for range 10 {
		h.round()
	}
	leaver := ns[3]
	leaver.core.Leave(h.now)
	h.flush(leaver)
	for r := 0; !leaver.core.leave.acked; r++ {
		require.Less(t, r, 3, "leave not acknowledged")
		leaver.core.pushLeave()
		h.flush(leaver)
	}
	leaver.down = true
	start := h.now
	h.runUntil(5, func() bool {
		for _, n := range ns {
			if n != leaver && n.core.nodes["n003"].status != statusLeft {
				return false
			}
		}
		return true
	})
	require.Less(t, h.now.Sub(start), 4*time.Second, "left node reported dead only after the phi timeout")
	for range 20 {
		h.round()
	}
	for _, n := range ns {
		if n == leaver {
			continue
		}
		evs := h.eventsOf(n.id, "n003")
		require.Equal(t, NodeDead, last(evs))
		require.Equal(t, 1, countOf(evs, NodeDead))
		require.NotContains(t, n.core.peerIDs(statusLive), "n003")
	}
	// It starts again with the same ID: live again, a new generation.
	re := h.add("n003", map[string]string{"again": "1"})
	re.core.joinNow(h.now, []string{ns[0].addr})
	h.flushAll()
	h.runUntil(30, h.converged)
	for _, n := range ns {
		if n != leaver {
			evs := h.eventsOf(n.id, "n003")
			i := slices.Index(evs, NodeDead)
			require.Contains(t, evs[i:], NodeLive, "%s: %v", n.id, evs)
		}
	}
}

func countOf[T comparable](s []T, v T) int {
	k := 0
	for _, x := range s {
		if x == v {
			k++
		}
	}
	return k
}

func TestPartitionHealsWithoutRestart(t *testing.T) {
	h := newHarness(t, 25, testConfig)
	ns := h.addMany(10)
	h.runUntil(30, h.converged)
	for range 10 {
		h.round()
	}
	a, b := ns[:5], ns[5:]
	h.partition(a, b)
	h.runUntil(40, func() bool {
		return len(ns[0].core.peerIDs(statusLive)) == 4 && len(ns[9].core.peerIDs(statusLive)) == 4
	})
	// Both sides keep writing while apart.
	ns[1].core.set("side", "a", h.now, 0)
	ns[8].core.set("side", "b", h.now, 0)
	for range 20 {
		h.round()
	}
	h.heal()
	rounds := h.runUntil(60, h.converged)
	t.Logf("10 nodes re-merged %d rounds after the partition healed", rounds)
}

func TestIsolatedNodeRejoinsOnItsOwn(t *testing.T) {
	h := newHarness(t, 26, testConfig)
	ns := h.addMany(4)
	h.runUntil(20, h.converged)
	lone := ns[3]
	h.partition([]*hnode{lone}, ns[:3])
	h.runUntil(30, func() bool { return len(lone.core.peerIDs(statusLive)) == 0 })
	h.heal()
	h.runUntil(40, h.converged)
}

func TestMassRestartConverges(t *testing.T) {
	h := newHarness(t, 27, testConfig)
	ns := h.addMany(20)
	h.runUntil(40, h.converged)
	for range 10 {
		h.round()
	}
	for _, n := range ns[1:] {
		n.down = true
	}
	h.round()
	for i, n := range ns[1:] {
		re := h.add(n.id, map[string]string{"gen": "2", "i": fmt.Sprint(i)})
		re.core.joinNow(h.now, []string{ns[0].addr})
	}
	h.flushAll()
	rounds := h.runUntil(80, h.converged)
	t.Logf("19 of 20 nodes restarted at once: converged in %d rounds", rounds)
	for range 20 {
		h.round()
	}
	require.True(t, h.converged())
	for _, n := range h.running() {
		require.Empty(t, n.core.peerIDs(statusDead), "%s sees dead nodes", n.id)
	}
}

func TestKeyChangesInVersionOrder(t *testing.T) {
	h := newHarness(t, 28, testConfig)
	ns := h.addMany(2)
	h.runUntil(20, h.converged)
	ns[1].core.watchKeys = true
	ns[0].core.set("a", "1", h.now, 0)
	ns[0].core.set("b", "2", h.now, 0)
	ns[0].core.del("a", h.now)
	ns[0].core.set("c", "3", h.now, 5*time.Second)
	h.runUntil(20, h.converged)
	h.runUntil(10, func() bool {
		_, ok := ns[1].core.nodes["n000"].get("c")
		return !ok
	})
	var got []string
	for _, ch := range h.events[ns[1].id] {
		if ch.Type == KeyChanged {
			got = append(got, fmt.Sprintf("%s=%s/%v", ch.Key, ch.Value, ch.Deleted))
		}
	}
	// "a" was set and deleted before the exchange: only its latest version
	// travels, so the peer sees b, then a's deletion, then c and its expiry.
	require.Equal(t, []string{"b=2/false", "a=/true", "c=3/false", "c=/true"}, got)
	require.True(t, slices.Contains(got, "c=/true"))
}
