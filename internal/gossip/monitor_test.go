package gossip

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// An edge this node does not judge (the subject's rings count it among its
// observers, its own do not) is kept while heartbeats arrive, and dropped
// once they stopped for longer than a subject lingers: a bootstrap, whose
// rings move all the time, would otherwise leave every node checking the
// edges of dozens of former subjects at every input.
func TestUnjudgedEdgesDropped(t *testing.T) {
	e := newNode(t, testConfig("a"), 1, nil)
	n := &nodeState{id: "p0", status: statusLive}
	e.nodes[n.id] = n
	ed := e.edgeOf(n)
	ed.window.Heartbeat(T0)
	ed.calmUntil = ed.window.CalmUntil()
	e.edges = append(e.edges, n)
	require.False(t, e.judges(n))

	e.checkEdges(T0.Add(e.cfg.GossipInterval))
	require.Equal(t, []*nodeState{n}, e.edges, "heard lately: kept")
	require.False(t, n.isAlerted(), "not ours to convict")

	e.checkEdges(T0.Add(e.lingerFor() + 3*e.cfg.GossipInterval))
	require.Empty(t, e.edges, "silent longer than a lingering subject: dropped")
	require.False(t, n.isAlerted())
}

// An alert about an incarnation that a new one replaced is deleted a
// freshHold later, not at once, so that the deletion cannot reach a node
// before the new incarnation and make the old one look unaccused there;
// an alert rewritten meanwhile about another incarnation stays.
func TestMootAlertRetiredAfterHold(t *testing.T) {
	e := newNode(t, testConfig("a"), 1, nil)
	e.write(alertPrefix+"p0", "7", wire.StatusSet, T0, time.Time{})
	e.write(alertPrefix+"p1", "7", wire.StatusSet, T0, time.Time{})
	e.retireAlert("p0", T0)
	e.retireAlert("p1", T0)
	e.retireAlert("p2", T0) // none: nothing to retire
	require.Len(t, e.retiring, 2)
	e.write(alertPrefix+"p1", "9", wire.StatusSet, T0, time.Time{}) // about the new incarnation

	e.deleteRetired(T0.Add(e.freshHold() - 1))
	_, ok := e.self.getRaw(alertPrefix + "p0")
	require.True(t, ok, "kept while the new incarnation spreads")

	e.deleteRetired(T0.Add(e.freshHold()))
	_, ok = e.self.getRaw(alertPrefix + "p0")
	require.False(t, ok, "then deleted")
	v, ok := e.self.getRaw(alertPrefix + "p1")
	require.True(t, ok)
	require.Equal(t, "9", v, "an alert about another incarnation stays")
	require.Empty(t, e.retiring)
}
