package gossip

import (
	"slices"
	"strings"
)

// The monitoring overlay (Rapid, Suresh et al., USENIX ATC 2018): every
// member is watched by up to K observers, its predecessors on K rings. Ring
// r orders the members by a hash of (r, ID), so every node that holds the
// same membership computes the same observers for everyone, and the
// observer relation forms a random expander: failures are seen by several
// independent observers, and no node watches more than K others (its
// successors, its subjects). When the cluster has at most K+1 members
// everyone watches everyone.
//
// Members are the live nodes and this node itself. The rings are kept
// sorted as members come and go (binary search and insertion, O(K log N)
// comparisons and O(K N) bytes moved per change), never rebuilt. Members
// added in a burst (a joiner admitting the cluster it learnt, an
// acquainted start) wait in a list until the rings are next read, and are
// then merged in at once: O(K (N + B log B)) for a burst of B, instead of
// O(K N) bytes moved for each of them.
// Each ring keeps the high 32 bits of its members' hashes beside them, so
// that a search hashes only the ID it looks for, and the members it meets
// whose high bits equal its own (rarely more than one): the rings cost 12
// bytes per member each, and a node holds K of them.

// ringSet is the K rings over the current members.
type ringSet struct {
	k      int
	rings  [][]*nodeState // ring r sorted by ringHash(r, id), then id
	hashes [][]uint32     // hashes[r][i] = ringHash(r, rings[r][i].id) >> 32
	// added lists members not yet merged into the rings (see settle).
	added []*nodeState
	// cache holds observersCached's answers until the members change.
	cache map[string][]*nodeState
}

func newRingSet(k int) ringSet {
	return ringSet{k: k, rings: make([][]*nodeState, k), hashes: make([][]uint32, k)}
}

// ringHash places id on ring r: 64-bit FNV-1a of the ring number and the
// ID, finished with a mixer so that nearby IDs land far apart.
func ringHash(r int, id string) uint64 {
	h := fnv1a((fnvBasis^uint64(r+1))*fnvPrime, id)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// 64-bit FNV-1a.
const (
	fnvBasis uint64 = 14695981039346656037
	fnvPrime uint64 = 1099511628211
)

// fnv1a continues the FNV-1a hash h over s.
func fnv1a(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// position returns where id is, or would be inserted, on ring r.
func (rs *ringSet) position(r int, id string) (int, bool) {
	rs.settle()
	i, found, _ := rs.find(r, id)
	return i, found
}

// find is position, also returning the ID's hash on ring r, on rings
// already settled.
func (rs *ringSet) find(r int, id string) (i int, found bool, h uint64) {
	h = ringHash(r, id)
	hs, ring := rs.hashes[r], rs.rings[r]
	i, _ = slices.BinarySearch(hs, uint32(h>>32))
	for ; i < len(hs) && hs[i] == uint32(h>>32); i++ { // equal high bits: by the whole hash, then the ID
		if c := comparePlaces(ringHash(r, ring[i].id), ring[i].id, h, id); c >= 0 {
			return i, c == 0, h
		}
	}
	return i, false, h
}

// add makes n a member, from the next read of the rings on.
func (rs *ringSet) add(n *nodeState) {
	clear(rs.cache)
	rs.added = append(rs.added, n)
}

// settle merges the members added since the last read into the rings:
// one at a time by insertion, a burst by sorting it and merging it in.
func (rs *ringSet) settle() {
	switch {
	case len(rs.added) == 0:
		return
	case len(rs.added) < 8:
		for _, n := range rs.added {
			for r := range rs.rings {
				if i, found, h := rs.find(r, n.id); !found {
					rs.rings[r] = slices.Insert(rs.rings[r], i, n)
					rs.hashes[r] = slices.Insert(rs.hashes[r], i, uint32(h>>32))
				}
			}
		}
	default:
		for r := range rs.rings {
			rs.merge(r)
		}
	}
	if cap(rs.added) > 64 {
		rs.added = nil // a burst's list is not kept
	} else {
		clear(rs.added)
		rs.added = rs.added[:0]
	}
}

// ringEntry is a member's place on one ring, for merge.
type ringEntry struct {
	h uint64
	n *nodeState
}

func compareRingEntries(a, b ringEntry) int { return comparePlaces(a.h, a.n.id, b.h, b.n.id) }

// comparePlaces orders two places on a ring: by hash, then by ID.
func comparePlaces(h1 uint64, id1 string, h2 uint64, id2 string) int {
	if h1 != h2 {
		if h1 < h2 {
			return -1
		}
		return 1
	}
	return strings.Compare(id1, id2)
}

// merge sorts the added members by their place on ring r and merges them
// into the ring, skipping those already there, from the back and in place
// when the ring has room (a bootstrap merges many small bursts).
func (rs *ringSet) merge(r int) {
	add := make([]ringEntry, 0, len(rs.added))
	for _, n := range rs.added {
		if _, found, h := rs.find(r, n.id); !found {
			add = append(add, ringEntry{h, n})
		}
	}
	slices.SortFunc(add, compareRingEntries)
	add = slices.CompactFunc(add, func(a, b ringEntry) bool { return a.n.id == b.n.id }) // added twice
	old, oldH := rs.rings[r], rs.hashes[r]
	n, total := len(old), len(old)+len(add)
	inPlace := cap(old) >= total && cap(oldH) >= total
	var ring []*nodeState
	var hashes []uint32
	if inPlace {
		ring, hashes = old[:total], oldH[:total]
	} else {
		ring, hashes = make([]*nodeState, total, total+total/4), make([]uint32, total, total+total/4)
	}
	// Old entries move only towards the back, so reading old[i] before
	// writing place w >= i is safe in place.
	i, w := n-1, total-1
	for j := len(add) - 1; j >= 0; w-- {
		a := add[j]
		if i >= 0 && !rs.before(r, old[i], oldH[i], a) {
			ring[w], hashes[w] = old[i], oldH[i]
			i--
			continue
		}
		ring[w], hashes[w] = a.n, uint32(a.h>>32)
		j--
	}
	if !inPlace { // the members before every added one stay where they are
		copy(ring[:i+1], old[:i+1])
		copy(hashes[:i+1], oldH[:i+1])
	}
	rs.rings[r], rs.hashes[r] = ring, hashes
}

// before reports whether the member o, whose high hash bits on ring r are
// oh, comes before a there.
func (rs *ringSet) before(r int, o *nodeState, oh uint32, a ringEntry) bool {
	if hi := uint32(a.h >> 32); oh != hi {
		return oh < hi
	}
	return comparePlaces(ringHash(r, o.id), o.id, a.h, a.n.id) < 0
}

// members returns the members in the order of the first ring; the caller
// must not modify the slice.
func (rs *ringSet) members() []*nodeState {
	if rs.k == 0 {
		return nil
	}
	rs.settle()
	return rs.rings[0]
}

// remove makes n no longer a member.
func (rs *ringSet) remove(n *nodeState) {
	rs.settle()
	clear(rs.cache)
	for r := range rs.rings {
		if i, found := rs.position(r, n.id); found {
			rs.rings[r] = slices.Delete(rs.rings[r], i, i+1)
			rs.hashes[r] = slices.Delete(rs.hashes[r], i, i+1)
		}
	}
}

// size returns the number of members.
func (rs *ringSet) size() int {
	return len(rs.members())
}

// observersOf appends to dst the distinct observers of the node with ID id,
// a member or not: its predecessors on every ring among the members, or
// every other member when there are at most K+1 counting it.
func (rs *ringSet) observersOf(dst []*nodeState, id string) []*nodeState {
	return rs.neighbours(dst, id, -1)
}

// observersCached is observersOf in a slice the caller must not modify,
// computed once per ID until the members change: verdicts look up the
// observers of the same few subjects at every alert that arrives.
func (rs *ringSet) observersCached(id string) []*nodeState {
	if obs, ok := rs.cache[id]; ok {
		return obs
	}
	if rs.cache == nil {
		rs.cache = make(map[string][]*nodeState)
	}
	obs := rs.observersOf(nil, id)
	rs.cache[id] = obs
	return obs
}

// subjectsOf appends to dst the distinct subjects of member id: its
// successors on every ring, or every other member in a small cluster.
func (rs *ringSet) subjectsOf(dst []*nodeState, id string) []*nodeState {
	return rs.neighbours(dst, id, +1)
}

func (rs *ringSet) neighbours(dst []*nodeState, id string, dir int) []*nodeState {
	if rs.k == 0 {
		return dst
	}
	start := len(dst)
	ring0 := rs.members()
	_, member := rs.position(0, id)
	others := len(ring0)
	if member {
		others--
	}
	if others <= rs.k {
		for _, n := range ring0 {
			if n.id != id {
				dst = append(dst, n)
			}
		}
		return dst
	}
	for r, ring := range rs.rings {
		i, found := rs.position(r, id)
		var j int
		switch {
		case dir < 0:
			j = (i - 1 + len(ring)) % len(ring)
		case found:
			j = (i + 1) % len(ring)
		default:
			j = i % len(ring)
		}
		n := ring[j]
		if !slices.Contains(dst[start:], n) {
			dst = append(dst, n)
		}
	}
	return dst
}
