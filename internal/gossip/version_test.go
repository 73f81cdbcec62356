package gossip_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
	"github.com/scuttlego/scuttlebutt/internal/sim"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// deliverWithin runs held-datagram simulation s, delivering everything held
// every hundredth of an interval, until cond holds; it fails unless cond
// held within n intervals.
func deliverWithin(t *testing.T, s *sim.Sim, n int, cond func() bool) {
	t.Helper()
	ok, err := s.RunUntil(func() bool {
		s.Deliver(nil)
		return cond()
	}, interval/100, time.Duration(n)*interval)
	require.NoError(t, err)
	require.True(t, ok, "condition not reached in %d intervals", n)
}

func TestNodeVersionShowsBehindAndConfirmed(t *testing.T) {
	// Without pushes, so that the write reaches b only by anti-entropy.
	s := sim.New(sim.Options{Nodes: 3, Seed: 7, Config: configWith(func(c *gossip.Config) { c.DisablePush = true }), Hold: true})
	startCluster(t, s, 3)
	deliverWithin(t, s, 30, s.Converged)
	a, b := s.Node(0), s.Node(1)
	ae, be := a.Engine(), b.Engine()
	end := s.Elapsed() + interval // one more round, everything delivered
	deliverWithin(t, s, 2, func() bool { return s.Elapsed() >= end })
	maxVersion := func() uint64 { v, _, _ := ae.Versions(a.ID()); return v }
	v, ok := be.NodeVersion(a.ID(), s.Now())
	require.True(t, ok)
	require.Equal(t, maxVersion(), v.Held)
	require.Equal(t, v.Held, v.Seen)
	require.False(t, v.SeenAt.IsZero(), "a converged copy has been confirmed by some digest")
	require.Equal(t, ae.Generation(), v.Generation)

	// a writes; b hears of the new version in a's Syn digest, but the
	// delta that would carry it is held back.
	require.NoError(t, s.Set(0, "fresh", "1"))
	synToB := func(h sim.Held) bool {
		hd, _, err := wire.ParseHeader(h.Data)
		return err == nil && hd.Type == wire.MsgSyn && h.From == a.Index() && h.To == b.Addr()
	}
	ok, err := s.RunUntil(func() bool {
		for _, h := range s.Held() {
			if synToB(h) {
				return true
			}
		}
		return false
	}, interval/100, 2*interval)
	require.NoError(t, err)
	require.True(t, ok, "a sends b no Syn")
	require.Equal(t, 1, s.Deliver(synToB))
	v, _ = be.NodeVersion(a.ID(), s.Now())
	require.Equal(t, maxVersion(), v.Seen)
	require.Less(t, v.Held, v.Seen, "b knows it is behind")

	deliverWithin(t, s, 30, s.Converged)
	v, _ = be.NodeVersion(a.ID(), s.Now())
	require.Equal(t, v.Seen, v.Held)

	self, ok := ae.NodeVersion(a.ID(), s.Now())
	require.True(t, ok)
	require.Equal(t, maxVersion(), self.Held)
	require.Equal(t, s.Now(), self.SeenAt)
	_, ok = ae.NodeVersion("nobody", s.Now())
	require.False(t, ok)
}
