package gossip

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// A burst of members merged at once leaves the rings as inserting them one
// at a time does: sorted by hash then ID, each member once.
func TestRingsBurstMatchesInsertion(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		nodes := make([]*nodeState, 1+rng.IntN(300))
		for i := range nodes {
			nodes[i] = newNodeState(fmt.Sprintf("node-%d-%d", trial, i), "", 1)
		}
		burst, single := newRingSet(4), newRingSet(4)
		for _, n := range nodes[:len(nodes)/3] { // already members
			burst.add(n)
			burst.settle()
			single.add(n)
			single.settle()
		}
		for range 2 * len(nodes) { // repeats and members again
			n := nodes[rng.IntN(len(nodes))]
			burst.add(n)
			single.add(n)
			single.settle()
		}
		require.Equal(t, single.size(), burst.size()) // settles burst
		for r := range burst.rings {
			require.Equal(t, single.rings[r], burst.rings[r], "ring %d", r)
			require.Equal(t, single.hashes[r], burst.hashes[r], "ring %d", r)
			require.True(t, slices.IsSortedFunc(burst.rings[r], func(a, b *nodeState) int {
				return compareRingEntries(ringEntry{ringHash(r, a.id), a}, ringEntry{ringHash(r, b.id), b})
			}))
		}
		seen := map[*nodeState]bool{}
		for _, n := range burst.members() {
			require.False(t, seen[n], "member twice")
			seen[n] = true
		}
	}
}

// Members whose hashes share their high 32 bits (kept beside the ring) are
// ordered by the whole hash and found by a search, inserted one at a time
// or merged as a burst.
func TestRingsHighBitTies(t *testing.T) {
	seen := map[uint32]string{}
	var a, b string
	for i := 0; a == ""; i++ {
		require.Less(t, i, 1<<21, "no tie found")
		id := fmt.Sprintf("tie-%d", i)
		hi := uint32(ringHash(0, id) >> 32)
		if other, ok := seen[hi]; ok {
			a, b = other, id
		}
		seen[hi] = id
	}
	var others []*nodeState
	for i := range 20 {
		others = append(others, newNodeState(fmt.Sprintf("other-%d", i), "", 1))
	}
	for _, burst := range []bool{false, true} {
		rs := newRingSet(1)
		for _, n := range append(others, newNodeState(b, "", 1), newNodeState(a, "", 1)) {
			rs.add(n)
			if !burst {
				rs.settle()
			}
		}
		ring := rs.members()
		require.True(t, slices.IsSortedFunc(ring, func(x, y *nodeState) int {
			return comparePlaces(ringHash(0, x.id), x.id, ringHash(0, y.id), y.id)
		}))
		for _, id := range []string{a, b} {
			i, found := rs.position(0, id)
			require.True(t, found, id)
			require.Equal(t, id, ring[i].id)
		}
		_, found := rs.position(0, "absent")
		require.False(t, found)
	}
}
