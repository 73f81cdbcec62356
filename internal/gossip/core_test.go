package gossip_test

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

func TestThreeNodesJoinAndConverge(t *testing.T) {
	s := newSim(1, 3, nil)
	log := recordEvents(s)
	startCluster(t, s, 3)
	took := within(t, s, 20, s.Converged)
	t.Logf("3 nodes converged in %s", rounds(took))
	for _, a := range s.Nodes() {
		for _, b := range s.Nodes() {
			if a == b {
				continue
			}
			evs := log.of(a.ID(), b.ID())
			require.NotEmpty(t, evs, "%s saw nothing of %s", a.ID(), b.ID())
			require.Equal(t, gossip.NodeLive, evs[0], "%s: first event about %s", a.ID(), b.ID())
			require.NotContains(t, evs, gossip.NodeDead)
		}
	}
	// A new key reaches everyone.
	require.NoError(t, s.Set(2, "color", "blue"))
	within(t, s, 10, s.Converged)
	v, ok := s.Node(0).Engine().Get(s.Node(2).ID(), "color")
	require.True(t, ok)
	require.Equal(t, "blue", v)
	require.Equal(t, gossip.NodeUpdate, last(log.of(s.Node(0).ID(), s.Node(2).ID())))
}

func TestCheckEntry(t *testing.T) {
	s := newSim(1, 2, nil)
	require.NoError(t, s.Start(0, nil, nil))
	c := s.Node(0).Engine()
	require.ErrorIs(t, c.CheckEntry("", "v"), gossip.ErrInvalidKey)
	require.ErrorIs(t, c.CheckEntry(strings.Repeat("k", gossip.MaxKeyLength+1), "v"), gossip.ErrInvalidKey)
	require.NoError(t, c.CheckEntry("k", strings.Repeat("v", 1000)))
	require.ErrorIs(t, c.CheckEntry("k", strings.Repeat("v", 1400)), gossip.ErrTooLarge)
	// The largest accepted value still travels.
	lo, hi := 0, 1400
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if c.CheckEntry("k", strings.Repeat("v", mid)) == nil {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	require.NoError(t, s.Set(0, "k", strings.Repeat("v", lo)))
	require.NoError(t, s.Start(1, []string{s.Node(0).Addr()}, nil))
	within(t, s, 20, s.Converged)
	got, _ := s.Node(1).Engine().Get(s.Node(0).ID(), "k")
	require.Len(t, got, lo)
}

// Partial digests: with 512-byte datagrams only a dozen digest entries fit,
// yet 60 nodes converge.
func TestManyNodesSmallPacketsConverge(t *testing.T) {
	s := newSim(7, 60, func(c *gossip.Config) { c.MaxPacketSize = gossip.MinPacketSize })
	startCluster(t, s, 60)
	took := within(t, s, 200, s.Converged)
	t.Logf("60 nodes, 512-byte datagrams: converged in %s, largest datagram %d bytes", rounds(took), s.MaxDatagram())
	require.LessOrEqual(t, s.MaxDatagram(), gossip.MinPacketSize)
}

// Property: for random cluster sizes, states and packet limits between 512
// and 65,507 bytes, no datagram exceeds the limit and the cluster converges.
// The simulator checks every datagram against the limit.
func TestPropertyDatagramsFitAndConverge(t *testing.T) {
	limits := []int{512, 513, 700, 1400, 4096, 9000, 65507}
	for trial := range 14 {
		rng := rand.New(rand.NewPCG(uint64(trial), 99))
		limit := limits[trial%len(limits)]
		if trial >= len(limits) {
			limit = gossip.MinPacketSize + rng.IntN(gossip.MaxPacketSizeLimit-gossip.MinPacketSize+1)
		}
		nodes := 2 + rng.IntN(25)
		t.Run(fmt.Sprintf("limit=%d/nodes=%d", limit, nodes), func(t *testing.T) {
			s := newSim(uint64(trial), nodes, func(c *gossip.Config) { c.MaxPacketSize = limit })
			startCluster(t, s, nodes)
			for i := range nodes {
				e := s.Node(i).Engine()
				for k := range rng.IntN(20) {
					// Values up to the largest that fits (4 KiB at most:
					// larger ones add run time, not coverage).
					size := rng.IntN(min(limit, 4096))
					v := strings.Repeat("x", size)
					for e.CheckEntry(fmt.Sprint("key", k), v) != nil {
						v = v[:len(v)/2]
					}
					require.NoError(t, s.Set(i, fmt.Sprint("key", k), v))
				}
			}
			within(t, s, 400, s.Converged)
			require.LessOrEqual(t, s.MaxDatagram(), limit)
		})
	}
}

func TestCrashedNodeIsReportedDeadOnce(t *testing.T) {
	s := newSim(3, 5, nil)
	log := recordEvents(s)
	startCluster(t, s, 5)
	within(t, s, 30, s.Converged)
	run(t, s, 20) // a stable history for the detectors
	s.Crash(4)
	x := s.Node(4).ID()
	survivors := []int{0, 1, 2, 3}
	took := within(t, s, 30, func() bool { return statusAll(s, survivors, x, "dead") })
	t.Logf("crash detected by all after %v", took)
	// Default detector: about 4.5 s of silence plus up to a round to notice.
	require.LessOrEqual(t, took, 8*time.Second)
	run(t, s, 30)
	for _, i := range survivors {
		id := s.Node(i).ID()
		evs := log.of(id, x)
		require.Equal(t, gossip.NodeDead, last(evs))
		deaths := countOf(evs, gossip.NodeDead)
		require.Equal(t, 1, deaths, "%s reported %s dead %d times", id, x, deaths)
	}
	// The survivors see each other live throughout.
	for _, i := range survivors {
		require.Len(t, s.Node(i).Engine().LiveNodes(), 3)
	}
}

func TestRestartedNodeReplacesItsState(t *testing.T) {
	s := newSim(5, 4, nil)
	log := recordEvents(s)
	startCluster(t, s, 4)
	require.NoError(t, s.Set(3, "old", "1"))
	within(t, s, 30, s.Converged)
	s.Crash(3)
	run(t, s, 15) // long enough to be convicted
	x := s.Node(3).ID()
	require.Equal(t, "dead", s.Node(0).Engine().PeerStatus(x))
	// Same ID, same address, new generation and different keys.
	require.NoError(t, s.Start(3, []string{s.Node(0).Addr()}, map[string]string{"new": "2"}))
	within(t, s, 30, s.Converged)
	for i := range 3 {
		id := s.Node(i).ID()
		st, _ := s.Node(i).Engine().NodeState(x)
		require.Equal(t, map[string]string{"new": "2"}, st, "%s holds the old incarnation's keys", id)
		evs := log.of(id, x)
		k := slices.Index(evs, gossip.NodeDead)
		require.GreaterOrEqual(t, k, 0)
		require.Equal(t, []gossip.EventType{gossip.NodeLive, gossip.NodeUpdate}, evs[k+1:], "%s: events after the restart", id)
	}
}

func TestDeadNodeIsCollectedAndNotResurrected(t *testing.T) {
	s := newSim(11, 4, func(c *gossip.Config) { c.DeadNodeGracePeriod = 30 * time.Second })
	startCluster(t, s, 4)
	within(t, s, 30, s.Converged)
	// n0002 sleeps through the whole death and collection of n0003.
	x := s.Node(3).ID()
	s.Pause(2)
	s.Crash(3)
	held := func(i int) bool { _, ok := s.Node(i).Engine().NodeState(x); return ok }
	within(t, s, 100, func() bool { return !held(0) && !held(1) })
	require.Equal(t, "live", s.Node(2).Engine().PeerStatus(x))
	s.Resume(2) // it still holds n0003, and gossips it
	run(t, s, 40)
	require.False(t, held(0), "stale gossip resurrected a collected node")
	require.False(t, held(1))
	require.NotContains(t, ids(s.Node(0).Engine().LiveNodes()), x)
	// A genuine restart is still accepted (n0002, removed while it slept,
	// is back too once its probation of 60 rounds is over).
	require.NoError(t, s.Start(3, []string{s.Node(0).Addr()}, map[string]string{"back": "yes"}))
	within(t, s, 80, s.Converged)
}

func TestSameSeedSameTrace(t *testing.T) {
	trace := func() uint64 {
		f := fnv.New64a()
		s := newSim(42, 8, nil)
		startCluster(t, s, 8)
		for range 20 {
			run(t, s, 1)
			for _, n := range s.Nodes() {
				st := n.Engine().Stats(s.Now())
				fmt.Fprint(f, st.BytesSent, ids(n.Engine().LiveNodes()), st.Rounds)
			}
		}
		fmt.Fprint(f, s.TraceHash())
		return f.Sum64()
	}
	require.Equal(t, trace(), trace())
}

// A joiner never reports as live a node that died before it joined.
func TestJoinerDoesNotReviveDeadNode(t *testing.T) {
	s := newSim(13, 3, nil)
	log := recordEvents(s)
	startCluster(t, s, 3)
	within(t, s, 30, s.Converged)
	s.Crash(2)
	x := s.Node(2).ID()
	within(t, s, 30, func() bool { return statusAll(s, []int{0, 1}, x, "dead") })
	j := s.AddNode()
	require.NoError(t, s.Start(j.Index(), []string{s.Node(0).Addr()}, nil))
	run(t, s, 20)
	require.NotContains(t, ids(j.Engine().LiveNodes()), x)
	require.NotContains(t, log.of(j.ID(), x), gossip.NodeLive)
}

// With 512-byte uncompressed datagrams a digest lists a dozen of 80 nodes,
// so each heartbeat reaches a peer only every few rounds. Nobody may be
// convicted for that.
func TestNoFalseDeathsWithPartialDigests(t *testing.T) {
	s := newSim(8, 80, func(c *gossip.Config) {
		c.MaxPacketSize = gossip.MinPacketSize
		c.Compression = false
	})
	log := recordEvents(s)
	startCluster(t, s, 80)
	within(t, s, 200, s.Converged)
	run(t, s, 100)
	require.Zero(t, log.count(gossip.NodeDead), "false NodeDead events")
	require.True(t, s.Converged())
}
