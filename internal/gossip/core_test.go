package gossip

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestThreeNodesJoinAndConverge(t *testing.T) {
	h := newHarness(t, 1, testConfig)
	ns := h.addMany(3)
	rounds := h.runUntil(20, h.converged)
	t.Logf("3 nodes converged in %d rounds", rounds)
	for _, a := range ns {
		for _, b := range ns {
			if a == b {
				continue
			}
			evs := h.eventsOf(a.id, b.id)
			require.NotEmpty(t, evs, "%s saw nothing of %s", a.id, b.id)
			require.Equal(t, NodeLive, evs[0], "%s: first event about %s", a.id, b.id)
			require.NotContains(t, evs, NodeDead)
		}
	}
	// A new key reaches everyone.
	ns[2].core.set("color", "blue", h.now, 0)
	h.runUntil(10, h.converged)
	v, ok := ns[0].core.nodes["n002"].get("color")
	require.True(t, ok)
	require.Equal(t, "blue", v)
	require.Equal(t, NodeUpdate, last(h.eventsOf("n000", "n002")))
}

func last[T any](s []T) T { return s[len(s)-1] }

func TestSetSameValueIsNoop(t *testing.T) {
	h := newHarness(t, 1, testConfig)
	n := h.add("a", nil)
	n.core.set("k", "v", h.now, 0)
	v := n.core.self.maxVersion
	n.core.set("k", "v", h.now, 0)
	require.Equal(t, v, n.core.self.maxVersion)
	n.core.set("k", "w", h.now, 0)
	require.Equal(t, v+1, n.core.self.maxVersion)
}

func TestCheckEntry(t *testing.T) {
	h := newHarness(t, 1, testConfig)
	c := h.add("a", nil).core
	require.ErrorIs(t, c.checkEntry("", "v"), ErrInvalidKey)
	require.ErrorIs(t, c.checkEntry(strings.Repeat("k", MaxKeyLength+1), "v"), ErrInvalidKey)
	require.NoError(t, c.checkEntry("k", strings.Repeat("v", 1000)))
	require.ErrorIs(t, c.checkEntry("k", strings.Repeat("v", 1400)), ErrTooLarge)
	// The largest accepted value still travels.
	lo, hi := 0, 1400
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if c.checkEntry("k", strings.Repeat("v", mid)) == nil {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	b := h.add("b", nil)
	c.set("k", strings.Repeat("v", lo), h.now, 0)
	b.core.joinNow(h.now, []string{"a:7946"})
	h.flushAll()
	h.runUntil(20, h.converged)
	got, _ := b.core.nodes["a"].get("k")
	require.Len(t, got, lo)
}

// Partial digests: with 512-byte datagrams only a dozen digest entries fit,
// yet 60 nodes converge.
func TestManyNodesSmallPacketsConverge(t *testing.T) {
	h := newHarness(t, 7, func(id string) *Config {
		c := testConfig(id)
		c.MaxPacketSize = MinPacketSize
		return c
	})
	h.addMany(60)
	rounds := h.runUntil(200, h.converged)
	t.Logf("60 nodes, 512-byte datagrams: converged in %d rounds, largest datagram %d bytes", rounds, h.largest)
	require.LessOrEqual(t, h.largest, MinPacketSize)
}

// Property: for random cluster sizes, states and packet limits between 512
// and 65,507 bytes, no datagram exceeds the limit and the cluster converges.
func TestPropertyDatagramsFitAndConverge(t *testing.T) {
	limits := []int{512, 513, 700, 1400, 4096, 9000, 65507}
	for trial := range 14 {
		rng := rand.New(rand.NewPCG(uint64(trial), 99))
		limit := limits[trial%len(limits)]
		if trial >= len(limits) {
			limit = MinPacketSize + rng.IntN(MaxPacketSizeLimit-MinPacketSize+1)
		}
		nodes := 2 + rng.IntN(25)
		t.Run(fmt.Sprintf("limit=%d/nodes=%d", limit, nodes), func(t *testing.T) {
			h := newHarness(t, uint64(trial), func(id string) *Config {
				c := testConfig(id)
				c.MaxPacketSize = limit
				return c
			})
			ns := h.addMany(nodes)
			for _, n := range ns {
				for k := range rng.IntN(20) {
					// Values up to the largest that fits (4 KiB at most:
					// larger ones add run time, not coverage).
					size := rng.IntN(min(limit, 4096))
					v := strings.Repeat("x", size)
					for n.core.checkEntry(fmt.Sprint("key", k), v) != nil {
						v = v[:len(v)/2]
					}
					n.core.set(fmt.Sprint("key", k), v, h.now, 0)
				}
			}
			h.runUntil(400, h.converged)
			require.LessOrEqual(t, h.largest, limit)
		})
	}
}

func TestCrashedNodeIsReportedDeadOnce(t *testing.T) {
	h := newHarness(t, 3, testConfig)
	ns := h.addMany(5)
	h.runUntil(30, h.converged)
	for range 20 { // a stable history for the detectors
		h.round()
	}
	ns[4].down = true
	start := h.now
	h.runUntil(30, func() bool {
		for _, n := range ns[:4] {
			if s := n.core.nodes["n004"].status; s != statusDead {
				return false
			}
		}
		return true
	})
	t.Logf("crash detected by all after %v", h.now.Sub(start))
	// Default detector: about 4.5 s of silence plus up to a round to notice.
	require.LessOrEqual(t, h.now.Sub(start), 8*time.Second)
	for range 30 {
		h.round()
	}
	for _, n := range ns[:4] {
		evs := h.eventsOf(n.id, "n004")
		require.Equal(t, NodeDead, last(evs))
		deaths := 0
		for _, e := range evs {
			if e == NodeDead {
				deaths++
			}
		}
		require.Equal(t, 1, deaths, "%s reported n004 dead %d times", n.id, deaths)
	}
	// The survivors see each other live throughout.
	for _, a := range ns[:4] {
		require.Len(t, a.core.peerIDs(statusLive), 3)
	}
}

func TestRestartedNodeReplacesItsState(t *testing.T) {
	h := newHarness(t, 5, testConfig)
	ns := h.addMany(4)
	ns[3].core.set("old", "1", h.now, 0)
	h.runUntil(30, h.converged)
	ns[3].down = true
	for range 15 { // long enough to be convicted
		h.round()
	}
	require.Equal(t, statusDead, ns[0].core.nodes["n003"].status)
	// Same ID, same address, new generation and different keys.
	re := h.add("n003", map[string]string{"new": "2"})
	re.core.joinNow(h.now, []string{ns[0].addr})
	h.flushAll()
	h.runUntil(30, h.converged)
	for _, n := range ns[:3] {
		st := n.core.nodes["n003"].userKeys()
		require.Equal(t, map[string]string{"new": "2"}, st, "%s holds the old incarnation's keys", n.id)
		evs := h.eventsOf(n.id, "n003")
		i := slices.Index(evs, NodeDead)
		require.GreaterOrEqual(t, i, 0)
		require.Equal(t, []EventType{NodeLive, NodeUpdate}, evs[i+1:], "%s: events after the restart", n.id)
	}
}

func TestDeadNodeIsCollectedAndNotResurrected(t *testing.T) {
	h := newHarness(t, 11, func(id string) *Config {
		c := testConfig(id)
		c.DeadNodeGracePeriod = 30 * time.Second
		return c
	})
	ns := h.addMany(4)
	h.runUntil(30, h.converged)
	// n002 sleeps through the whole death and collection of n003.
	ns[2].down = true
	ns[3].down = true
	h.runUntil(100, func() bool { return ns[0].core.nodes["n003"] == nil && ns[1].core.nodes["n003"] == nil })
	ns[2].down = false // it still holds n003, and gossips it
	for range 40 {
		h.round()
	}
	require.Nil(t, ns[0].core.nodes["n003"], "stale gossip resurrected a collected node")
	require.Nil(t, ns[1].core.nodes["n003"])
	require.NotContains(t, ns[0].core.peerIDs(statusLive), "n003")
	// A genuine restart is still accepted.
	re := h.add("n003", map[string]string{"back": "yes"})
	re.core.joinNow(h.now, []string{ns[0].addr})
	h.flushAll()
	h.runUntil(40, h.converged)
}

func TestSameSeedSameTrace(t *testing.T) {
	trace := func() uint64 {
		f := fnv.New64a()
		h := newHarness(t, 42, testConfig)
		h.addMany(8)
		for range 20 {
			h.round()
			for _, a := range h.addrs {
				n := h.nodes[a]
				fmt.Fprint(f, n.core.stats.BytesSent, n.core.peerIDs(statusLive), n.core.self.heartbeat)
			}
		}
		return f.Sum64()
	}
	require.Equal(t, trace(), trace())
}

// A joiner never reports as live a node that died before it joined.
func TestJoinerDoesNotReviveDeadNode(t *testing.T) {
	h := newHarness(t, 13, testConfig)
	ns := h.addMany(3)
	h.runUntil(30, h.converged)
	ns[2].down = true
	h.runUntil(30, func() bool {
		return ns[0].core.nodes["n002"].status == statusDead && ns[1].core.nodes["n002"].status == statusDead
	})
	j := h.add("joiner", nil)
	j.core.joinNow(h.now, []string{ns[0].addr})
	h.flushAll()
	for range 20 {
		h.round()
	}
	require.NotContains(t, j.core.peerIDs(statusLive), "n002")
	require.NotContains(t, h.eventsOf("joiner", "n002"), NodeLive)
}

// With 512-byte uncompressed datagrams a digest lists a dozen of 80 nodes,
// so each heartbeat reaches a peer only every few rounds. Nobody may be
// convicted for that.
func TestNoFalseDeathsWithPartialDigests(t *testing.T) {
	h := newHarness(t, 8, func(id string) *Config {
		c := testConfig(id)
		c.MaxPacketSize = MinPacketSize
		c.Compression = false
		return c
	})
	h.addMany(80)
	h.runUntil(200, h.converged)
	for range 100 {
		h.round()
	}
	deaths := 0
	for _, evs := range h.events {
		for _, e := range evs {
			if e.Type == NodeDead {
				deaths++
			}
		}
	}
	require.Zero(t, deaths, "false NodeDead events")
	require.True(t, h.converged())
}
