package scuttlebutt_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt"
)

// statusOf returns the status sb's Members give node id, and whether it is
// listed.
func statusOf(sb *scuttlebutt.Scuttlebutt, id string) (scuttlebutt.MemberStatus, bool) {
	for _, m := range sb.Members() {
		if m.Node.ID == id {
			return m.Status, true
		}
	}
	return 0, false
}

// Members shows everything a node knows, itself included, sorted by ID:
// live, pending (heard of, not confirmed), left and dead nodes.
func TestMembersShowsEveryNodeKnown(t *testing.T) {
	net := scuttlebutt.NewMemNetwork(41)
	start := func(id string) *scuttlebutt.Scuttlebutt {
		tr, err := net.NewTransport(id + ":7946")
		require.NoError(t, err)
		cfg := fastConfig(id)
		cfg.Transport = tr
		cfg.DisablePush = id == "a" // b learns p from a by anti-entropy alone: pending a while
		sb, err := scuttlebutt.NewScuttlebutt(cfg, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = sb.Shutdown() })
		return sb
	}
	a, b, l, d := start("a"), start("b"), start("l"), start("d")
	for _, sb := range []*scuttlebutt.Scuttlebutt{b, l, d} {
		require.NoError(t, sb.Join([]string{addrOf(a)}))
	}
	require.Eventually(t, allSeeAll([]*scuttlebutt.Scuttlebutt{a, b, l, d}), 10*time.Second, 5*time.Millisecond)

	require.NoError(t, l.Leave(t.Context()))
	require.Eventually(t, func() bool {
		s, _ := statusOf(b, "l")
		return s == scuttlebutt.MemberLeft
	}, 5*time.Second, 2*time.Millisecond, "%v", b.Members())
	require.NoError(t, d.Shutdown())
	require.Eventually(t, func() bool {
		s, _ := statusOf(b, "d")
		return s == scuttlebutt.MemberDead
	}, 15*time.Second, 5*time.Millisecond)
	// p can reach a but not b: b hears of it from a only, and holds it
	// pending for about the detection time.
	net.Cut("p:7946", "b:7946")
	net.Cut("b:7946", "p:7946")
	p := start("p")
	require.NoError(t, p.Join([]string{addrOf(a)}))
	var ms []scuttlebutt.Member
	require.Eventually(t, func() bool {
		ms = b.Members()
		i := slices.IndexFunc(ms, func(m scuttlebutt.Member) bool { return m.Node.ID == "p" })
		return i >= 0 && ms[i].Status == scuttlebutt.MemberPending
	}, 10*time.Second, 2*time.Millisecond)

	require.True(t, slices.IsSortedFunc(ms, func(x, y scuttlebutt.Member) int { return cmpString(x.Node.ID, y.Node.ID) }))
	byID := map[string]scuttlebutt.Member{}
	for _, m := range ms {
		byID[m.Node.ID] = m
	}
	require.Equal(t, scuttlebutt.Member{Node: b.LocalNode(), Status: scuttlebutt.MemberLive, Generation: generationOf(b), Self: true}, byID["b"])
	require.Equal(t, scuttlebutt.MemberLive, byID["a"].Status)
	require.Equal(t, scuttlebutt.MemberLeft, byID["l"].Status)
	require.Equal(t, scuttlebutt.MemberDead, byID["d"].Status)
	require.Equal(t, "p:7946", byID["p"].Node.GossipPublicAddress)
	require.Equal(t, generationOf(p), byID["p"].Generation)
	require.NotContains(t, ids(b.DeadNodes()), "p", "a pending node is not dead")
	for s, want := range map[scuttlebutt.MemberStatus]string{scuttlebutt.MemberLive: "live", scuttlebutt.MemberDead: "dead", scuttlebutt.MemberLeft: "left", scuttlebutt.MemberPending: "pending"} {
		require.Equal(t, want, s.String())
	}
}
