package gossip

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNodeVersionShowsBehindAndConfirmed(t *testing.T) {
	h := newHarness(t, 7, testConfig)
	ns := h.addMany(3)
	h.runUntil(30, h.converged)
	a, b := ns[0], ns[1]
	h.round()
	v, ok := b.core.NodeVersion(a.id, h.now)
	require.True(t, ok)
	require.Equal(t, a.core.self.maxVersion, v.Held)
	require.Equal(t, v.Held, v.Seen)
	require.False(t, v.SeenAt.IsZero(), "a converged copy has been confirmed by some digest")
	require.Equal(t, a.core.self.generation, v.Generation)

	// a writes; b hears of the new version in a's Syn digest, but the
	// delta that would carry it is cut.
	a.core.set("fresh", "1", h.now, 0)
	h.cut[[2]string{a.addr, b.addr}] = true
	h.now = h.now.Add(h.interval)
	b.core.Receive(h.now, a.addr, synFrom(t, a, b))
	v, _ = b.core.NodeVersion(a.id, h.now)
	require.Equal(t, a.core.self.maxVersion, v.Seen)
	require.Less(t, v.Held, v.Seen, "b knows it is behind")

	delete(h.cut, [2]string{a.addr, b.addr})
	h.runUntil(30, h.converged)
	v, _ = b.core.NodeVersion(a.id, h.now)
	require.Equal(t, v.Seen, v.Held)

	self, ok := a.core.NodeVersion(a.id, h.now)
	require.True(t, ok)
	require.Equal(t, a.core.self.maxVersion, self.Held)
	require.Equal(t, h.now, self.SeenAt)
	_, ok = a.core.NodeVersion("nobody", h.now)
	require.False(t, ok)
}

// synFrom returns a Syn datagram from a to b, taken from a's output.
func synFrom(t *testing.T, a, b *hnode) []byte {
	t.Helper()
	a.core.sendSyn(b.addr)
	out := a.core.Ready().Datagrams
	for _, m := range out {
		if m.To == b.addr {
			return m.Data
		}
	}
	t.Fatal("no Syn to b")
	return nil
}
