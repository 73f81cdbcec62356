package sim

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// synsTo counts the Syns sent to addr, by virtual time since the start.
func synsTo(s *Sim, addr string) *[]time.Duration {
	var at []time.Duration
	s.OnSend(func(_ *Node, d gossip.Datagram) {
		if h, _, err := wire.ParseHeader(d.Data); err == nil && h.Type == wire.MsgSyn && d.To == addr {
			at = append(at, s.Elapsed())
		}
	})
	return &at
}

// The engine's join timing runs in the simulator: a joiner whose seed is
// down contacts it again every half interval until the join times out
// (five intervals), then only in its rounds while it has no live peer, and
// joins once the seed starts.
func TestJoinRetriesRunInTheSimulator(t *testing.T) {
	s := New(Options{Nodes: 2, Seed: 3, AlignedRounds: true})
	seed := s.Node(0).Addr()
	syns := synsTo(s, seed)
	require.NoError(t, s.Start(1, []string{seed}, nil))
	require.NoError(t, s.RunFor(8500*time.Millisecond))
	var want []time.Duration
	for k := range 10 { // the join and its retries, every 500 ms
		want = append(want, time.Duration(k)*500*time.Millisecond)
	}
	for k := 1; k <= 8; k++ { // the rounds, every second from the first
		want = append(want, time.Duration(k)*time.Second)
	}
	slices.Sort(want)
	require.Equal(t, want, *syns)

	require.NoError(t, s.Start(0, nil, nil))
	ok, err := s.RunUntil(func() bool {
		return s.Node(1).Engine().IsLive(s.Node(0).ID()) && s.Node(0).Engine().IsLive(s.Node(1).ID())
	}, 100*time.Millisecond, 10*time.Second)
	require.NoError(t, err)
	require.True(t, ok, "the joiner joins the seed once it starts")
}

// The engine's leave timing runs in the simulator: a leave whose pushes are
// lost is pushed again every quarter interval, and the node stops once a
// peer acknowledged it.
func TestLeaveRepushRunsInTheSimulator(t *testing.T) {
	s := New(Options{Nodes: 3, Seed: 4, AlignedRounds: true, Hold: true})
	for i := range 3 {
		var seeds []string
		if i > 0 {
			seeds = []string{s.Node(0).Addr()}
		}
		require.NoError(t, s.Start(i, seeds, nil))
	}
	// Deliver everything until the cluster is live.
	ok, err := s.RunUntil(func() bool {
		s.Deliver(nil)
		return s.Converged()
	}, 10*time.Millisecond, 30*time.Second)
	require.NoError(t, err)
	require.True(t, ok)
	s.Deliver(nil)

	leaver := s.Node(2)
	s.Leave(2, time.Minute)
	require.True(t, leaver.Up())
	pushes := func() int {
		k := 0
		for _, h := range s.Held() {
			if h.From == 2 {
				k++
			}
		}
		return k
	}
	require.Equal(t, 2, pushes(), "a Syn to each live peer")
	s.Drop(nil)
	require.NoError(t, s.RunFor(260*time.Millisecond))
	require.Equal(t, 2, pushes(), "pushed again a quarter interval later")
	for range 10 {
		s.Deliver(nil)
		if !leaver.Up() {
			break
		}
		require.NoError(t, s.RunFor(260*time.Millisecond))
	}
	require.False(t, leaver.Up(), "the leaver stops once a peer acknowledged")
	ok = false
	for _, n := range s.Node(0).Engine().DeadNodes() {
		ok = ok || n.ID == leaver.ID()
	}
	require.True(t, ok, "the peer that acknowledged reports the leaver dead")
}
