package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
	"github.com/stretchr/testify/require"
)

func TestQueuePopsInTimeThenSchedulingOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var q eventQueue
	for i := range 5000 {
		q.push(event{at: rng.Int64N(50), act: int32(i)})
		if rng.IntN(3) == 0 {
			q.pop()
		}
	}
	prev := event{at: -1}
	for q.len() > 0 {
		e := q.pop()
		require.True(t, prev.less(&e), "popped %+v after %+v", e, prev)
		prev = e
	}
}

// cluster starts n nodes joining node 0 and runs until they converge.
func cluster(t *testing.T, n int, opts Options) *Sim {
	t.Helper()
	opts.Nodes = n
	s := New(opts)
	require.NoError(t, s.StartJoined(n, func(i int) map[string]string { return map[string]string{"k": fmt.Sprint(i)} }))
	ok, err := s.RunUntil(s.Converged, time.Second, time.Minute)
	require.NoError(t, err)
	require.True(t, ok, "%d nodes did not converge in a minute", n)
	return s
}

func checkLiveCounts(t *testing.T, s *Sim) {
	t.Helper()
	for _, n := range s.Running() {
		require.Len(t, n.Engine().LiveNodes(), n.LiveCount(), "%s: live count from events", n.ID())
	}
}

// The live counts derived from NodeLive/NodeDead events match the cores'
// own view through crashes, restarts, leaves and a partition.
func TestEventLiveCountsMatchCores(t *testing.T) {
	s := cluster(t, 12, Options{Seed: 5, Net: Network{Latency: time.Millisecond, Jitter: time.Millisecond, Loss: 0.05}})
	step := func(d time.Duration) {
		for range int(d / time.Second) {
			require.NoError(t, s.RunFor(time.Second))
			checkLiveCounts(t, s)
		}
	}
	s.Crash(3)
	step(15 * time.Second)
	require.NoError(t, s.Start(3, []string{s.Node(0).Addr()}, nil))
	s.Leave(4, time.Minute)
	step(2 * time.Second)
	require.False(t, s.Node(4).Up(), "a leaving node stops once acknowledged")
	step(8 * time.Second)
	s.Partition([]int{0, 1, 2}, []int{5, 6, 7, 8, 9, 10, 11})
	step(20 * time.Second)
	s.Heal()
	step(20 * time.Second)
	ok, err := s.RunUntil(s.Converged, time.Second, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
}

// A node left out of both sides of a partition is cut off alone: it
// removes everyone, learns it was removed, rejoins, and may remove again,
// alone, some node that nobody else removed (its edges with its observers
// were still broken). Such a node never learns of that removal (one made
// alone is not flagged to others), so the node cut off must take it back
// when members hold it live; on several seeds the cluster converges.
func TestLocalCutTakenBack(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		s := cluster(t, 12, Options{Seed: seed, Net: Network{Latency: time.Millisecond, Jitter: time.Millisecond, Loss: 0.05}})
		s.Crash(3)
		require.NoError(t, s.RunFor(15*time.Second))
		require.NoError(t, s.Start(3, []string{s.Node(0).Addr()}, nil))
		s.Leave(4, time.Minute)
		require.NoError(t, s.RunFor(10*time.Second))
		s.Partition([]int{0, 1, 2}, []int{5, 6, 7, 8, 9, 10, 11})
		require.NoError(t, s.RunFor(20*time.Second))
		s.Heal()
		ok, err := s.RunUntil(s.Converged, time.Second, 80*time.Second)
		require.NoError(t, err)
		require.True(t, ok, "seed %d: not converged 80 s after the heal", seed)
	}
}

func TestRestartRaisesGeneration(t *testing.T) {
	s := cluster(t, 3, Options{Seed: 1})
	g := s.Node(2).Generation()
	require.NoError(t, s.Start(2, []string{s.Node(0).Addr()}, nil)) // restart in place
	require.Greater(t, s.Node(2).Generation(), g)
	ok, err := s.RunUntil(s.Converged, time.Second, 30*time.Second)
	require.NoError(t, err)
	require.True(t, ok)
}

// A one-way cut between two nodes with nobody to relay: the node that no
// longer hears the other convicts it; the other still hears it, but its
// heartbeats say it hears nobody, and with nobody else to ask, which of
// the two is at fault cannot be told: each removes the other.
func TestOneWayCut(t *testing.T) {
	s := cluster(t, 2, Options{Seed: 2})
	require.NoError(t, s.RunFor(10*time.Second))
	s.Cut(0, 1)
	require.NoError(t, s.RunFor(20*time.Second))
	require.Equal(t, 0, s.Node(1).LiveCount(), "n0001 no longer hears n0000")
	require.Equal(t, 0, s.Node(0).LiveCount(), "n0000 hears n0001, which hears nobody")
	s.Restore(0, 1)
	// Each was removed alone: the one that rejoins first is on probation
	// for 60 rounds before the other takes it back.
	ok, err := s.RunUntil(s.Converged, time.Second, 90*time.Second)
	require.NoError(t, err)
	require.True(t, ok)
}

func TestPartitionSeparatesGroupsAndBlamesTheFault(t *testing.T) {
	s := cluster(t, 6, Options{Seed: 3})
	require.NoError(t, s.RunFor(10*time.Second))
	kinds := map[DeathKind]int{}
	s.OnEvent(func(o *Node, ev gossip.Event) {
		if ev.Type == gossip.NodeDead {
			kinds[s.ClassifyDeath(o, s.Node(int(s.byAddr[ev.Node.Addr])))]++
		}
	})
	s.Partition([]int{0, 1, 2}, []int{3, 4, 5})
	require.NoError(t, s.RunFor(30*time.Second))
	for _, n := range s.Nodes() {
		require.Equal(t, 2, n.LiveCount(), "%s sees only its side", n.ID())
	}
	require.Equal(t, map[DeathKind]int{DeathFault: 18}, kinds, "each of 6 nodes convicts the 3 across")
	s.Heal()
	ok, err := s.RunUntil(s.Converged, time.Second, 30*time.Second)
	require.NoError(t, err)
	require.True(t, ok)
}

func TestNodeIngressLoss(t *testing.T) {
	s := cluster(t, 5, Options{Seed: 4})
	require.NoError(t, s.RunFor(10*time.Second))
	s.SetNodeLoss(0, 1, 0)
	require.NoError(t, s.RunFor(30*time.Second))
	require.Equal(t, 0, s.Node(0).LiveCount(), "deaf node hears nobody")
	for _, n := range s.Nodes()[1:] {
		// Its heartbeats still arrive, but say it hears nobody: the
		// others remove it.
		require.Equal(t, 3, n.LiveCount(), "%s removed the deaf node", n.ID())
	}
	s.SetNodeLoss(0, 0, 0)
	// It rejoins on probation: 60 rounds before the others take it back.
	ok, err := s.RunUntil(s.Converged, time.Second, 90*time.Second)
	require.NoError(t, err)
	require.True(t, ok)
}

// Duplicated and reordered datagrams are delivered as such, and harmless.
func TestDuplicationAndReordering(t *testing.T) {
	s := cluster(t, 8, Options{Seed: 6, Net: Network{Latency: 5 * time.Millisecond, Duplicate: 1, Reorder: 0.5}})
	sent := uint64(0)
	for _, n := range s.Nodes() {
		sent += n.DatagramsSent()
	}
	require.Equal(t, 2*sent, s.Delivered()+s.Dropped(), "every datagram delivered twice")
	require.NoError(t, s.Set(3, "k", "new"))
	ok, err := s.RunUntil(s.Converged, time.Second, 30*time.Second)
	require.NoError(t, err)
	require.True(t, ok)
}

func TestOversizeDatagramFailsTheRun(t *testing.T) {
	s := New(Options{Nodes: 2, Seed: 1})
	require.NoError(t, s.Start(0, nil, nil))
	require.NoError(t, s.Start(1, []string{s.Node(0).Addr()}, nil))
	require.NoError(t, s.RunFor(5*time.Second))
	n := s.Node(1)
	s.send(n, gossip.Datagram{To: s.Node(0).Addr(), Data: make([]byte, gossip.DefaultMaxPacketSize+1)})
	err := s.RunFor(time.Second)
	require.ErrorContains(t, err, "over MaxPacketSize")
	require.LessOrEqual(t, s.MaxDatagram(), gossip.DefaultMaxPacketSize, "the oversize datagram was not sent")
}

// trace runs a small, eventful simulation and returns its trace hash.
func trace(t *testing.T, seed uint64) uint64 {
	s := cluster(t, 10, Options{Seed: seed, Net: Network{Latency: 2 * time.Millisecond, Jitter: 3 * time.Millisecond, Loss: 0.1, Duplicate: 0.05, Reorder: 0.1}})
	s.Crash(2)
	require.NoError(t, s.Set(5, "k", "v"))
	s.Partition([]int{0, 1})
	require.NoError(t, s.RunFor(10*time.Second))
	s.Heal()
	require.NoError(t, s.Start(2, []string{s.Node(0).Addr()}, nil))
	s.Leave(7, 3*time.Second)
	require.NoError(t, s.RunFor(20*time.Second))
	return s.TraceHash()
}

func TestSameSeedSameTrace(t *testing.T) {
	a := trace(t, 42)
	require.Equal(t, a, trace(t, 42))
	require.NotEqual(t, a, trace(t, 43))
}

// Scenarios are deterministic too, and the seed matters.
func TestScenarioDeterminism(t *testing.T) {
	run := func(seed uint64) string {
		r, err := Churn(ChurnParams{Common: Common{Nodes: 12, Seed: seed, Loss: 0.05, Rounds: 20, Duplicate: 0.02, Reorder: 0.05}, QuietRounds: 60})
		require.NoError(t, err)
		return r.TraceHash
	}
	a := run(7)
	require.Equal(t, a, run(7))
	require.NotEqual(t, a, run(8))
}

// The update tracker sees network latency: nobody holds a write before one
// one-way delay has passed.
func TestUpdateTimesIncludeLatency(t *testing.T) {
	r, err := Update(UpdateParams{Common{Nodes: 10, Latency: 80 * time.Millisecond, Jitter: time.Microsecond, Rounds: 10}})
	require.NoError(t, err)
	require.Zero(t, r.UpdateMissing)
	require.GreaterOrEqual(t, r.UpdateTimes[0], 40*time.Millisecond, "per-link latency is at least Latency/2")
	require.Len(t, r.UpdateTimes, 9)
}

func TestSummarize(t *testing.T) {
	xs := []float64{10, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	s := summarize(xs)
	require.InDelta(t, 5.5, s.p50, 1e-9, "interpolated between the 5th and 6th")
	require.InDelta(t, 9.91, s.p99, 1e-9)
	require.Equal(t, 10.0, s.max)
	require.InDelta(t, 5.5, s.mean, 1e-9)
	require.Equal(t, 10.0, xs[0], "the samples are not reordered")
	require.Equal(t, summary{}, summarize(nil))
}
