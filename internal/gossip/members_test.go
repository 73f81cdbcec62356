package gossip

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Members lists every node held, this one included, by ID.
func TestMembersListsEveryNodeHeld(t *testing.T) {
	seed, j := joinedOnce(t)
	seed.Introduce(T0, "p", "p:7946", 1)
	_, _, _, _ = exchangeAll(t, seed, j, T0)
	j.sendSyn(seed.self.addr)
	_, _, _, _ = exchangeAll(t, seed, j, T0)
	require.Equal(t, []Member{
		{Node: Node{ID: "j", Addr: "j:7946"}, Status: MemberLive, Generation: j.Generation()},
		{Node: Node{ID: "p", Addr: "p:7946"}, Status: MemberPending, Generation: 1},
		{Node: Node{ID: "seed", Addr: "seed:7946"}, Status: MemberLive, Generation: seed.Generation(), Self: true},
	}, seed.Members())
	seed.Leave(T0)
	require.Equal(t, MemberLeft, seed.Members()[2].Status)
}
