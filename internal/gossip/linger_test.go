package gossip

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// A dropped observer gets heartbeats for lingerFor, unless it is an
// observer again, leaves the membership, or K later ones displace it.
func TestDroppedObserversLinger(t *testing.T) {
	e := newNode(t, testConfig("a"), 1, nil)
	peer := func(i int) *nodeState {
		n := &nodeState{id: fmt.Sprintf("p%d", i), status: statusLive}
		e.nodes[n.id] = n
		return n
	}
	p := []*nodeState{peer(0), peer(1), peer(2), peer(3)}
	cur := []*nodeState{p[0], p[1]}
	e.noteObserversChanged([]*nodeState{p[0], p[1], p[2]}, cur)
	require.Equal(t, []*nodeState{p[2]}, e.lingerers(T0, cur), "p2 was dropped")
	require.Equal(t, []*nodeState{p[2]}, e.lingerers(T0.Add(e.lingerFor()-1), cur))
	require.Empty(t, e.lingerers(T0.Add(e.lingerFor()), cur), "its time is up")

	e.noteObserversChanged([]*nodeState{p[2], p[3]}, cur)
	p[3].status = statusDead
	require.Equal(t, []*nodeState{p[2]}, e.lingerers(T0, cur), "a dead one is forgotten")
	require.Empty(t, e.lingerers(T0, []*nodeState{p[2]}), "an observer again")

	// At most as many as the current observers, the latest dropped.
	p[3].status = statusLive
	e.noteObserversChanged([]*nodeState{p[2], p[3]}, nil)
	e.noteObserversChanged([]*nodeState{p[0]}, nil)
	require.Equal(t, []*nodeState{p[3], p[0]}, e.lingerers(T0, []*nodeState{p[1], p[1]}))
}
