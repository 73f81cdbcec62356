package pncounter

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// Holder is what one node holds of its cluster: the members it knows and,
// for each, its copy of the member's keys and how current that copy is. It
// is the read side of a scuttlebutt node (LocalNode, LiveNodes, DeadNodes,
// NodeState and NodeVersion), in terms that need no import of the library,
// so that the library's driver and its simulator can both provide it.
type Holder interface {
	// LocalID returns the node's own ID.
	LocalID() string
	// LiveIDs returns the IDs of the peers believed live.
	LiveIDs() []string
	// DeadIDs returns the IDs of the peers believed dead and not yet
	// collected.
	DeadIDs() []string
	// NodeState returns the node's copy of a member's keys.
	NodeState(nodeID string) (map[string]string, bool)
	// Version returns how current that copy is.
	Version(nodeID string) (Version, bool)
}

// Version says how current a node's copy of a member's state is: the
// fields of scuttlebutt.NodeVersion, whose doc explains them.
type Version struct {
	// Generation is the incarnation held.
	Generation uint64
	// Held is the highest version held.
	Held uint64
	// Seen is the highest version of this incarnation shown by any
	// received digest or delta; at least Held.
	Seen uint64
	// SeenAt is when a received digest last listed this incarnation at
	// Held or above; zero if none did. For the local node, the time of the
	// call.
	SeenAt time.Time
}

// Snapshot is one read of every counter on one node.
type Snapshot struct {
	// Nodes is the number of members whose totals were summed: the local
	// node, its live peers, its dead peers not yet collected, and the
	// others held (see Read).
	Nodes int
	// Complete reports that every member summed was confirmed (see Read).
	Complete bool
	// Unconfirmed lists the members that were not, sorted by ID.
	Unconfirmed []string

	sums map[string]*sum
}

// sum is one counter's part of a Snapshot.
type sum struct {
	acc     accumulator
	entries int
	err     error
}

// Reading is one counter's value in a Snapshot.
type Reading struct {
	// Name is the counter's name.
	Name string
	// Value is the sum of the totals held; meaningless when Err is set.
	Value int64
	// Complete is the snapshot's completeness, false when Err is set.
	Complete bool
	// Nodes is the number of members summed (Snapshot.Nodes).
	Nodes int
	// Entries is the number of those members that hold a total of the
	// counter; the others count as 0.
	Entries int
	// Unconfirmed is Snapshot.Unconfirmed.
	Unconfirmed []string
	// Err is set when a member's total is malformed or the sum overflows.
	Err error
}

// Read sums the counters held by h at time now and reports whether the
// result is complete.
//
// The members summed are the local node, its live peers, its dead peers
// not yet collected (a dead node's increments count until its state is
// removed after the failure detector's DeadNodeGracePeriod), and the nodes
// of others that h holds: the library lists pending peers, heard of but not
// yet confirmed live, neither as live nor as dead, and Sources names those
// that hold totals. Nodes h holds no total of count as 0 either way.
//
// A member m is confirmed when h's copy of m satisfies, in Version
// terms, Held == Seen (no peer has shown a newer version of m) and now -
// SeenAt <= window (a digest received at most window ago listed m's current
// incarnation at Held or above: whoever sent it held nothing newer), and
// the copy did not change while it was read. The local node is always
// confirmed. The snapshot is complete when every member summed is
// confirmed, and no member moved between live and dead during the read.
//
// Complete means "as far as this node can tell":
//
//   - A write that no digest this node received has mentioned yet is not
//     seen: after a write a node may report complete with the previous
//     value for up to about one gossip round, until the writer's or a
//     peer's next digest arrives. Once writes stop and every node has heard
//     a digest from a node holding the latest versions, every complete
//     reading is the exact sum of what the members hold.
//   - A node cut off from every peer stops being complete window after the
//     last digest it received. Nodes that still hear from each other keep
//     confirming to one another their copies of a member they lost, so, as
//     after a crash (which they cannot tell from a partition), they count
//     its last known total and report complete.
//   - A node that joins after a member died does not receive the dead
//     member's state (the library relays only live nodes to a joiner whose
//     digest lists every node it holds, as in small clusters), so it
//     neither counts that member's total nor knows it is missing, while
//     older members count it until they collect it.
func Read(h Holder, others []string, window time.Duration, now time.Time) Snapshot {
	ids, listed, stable := members(h, others)
	s := Snapshot{sums: map[string]*sum{}}
	for i, id := range ids {
		before, okBefore := h.Version(id)
		state, ok := h.NodeState(id)
		after, okAfter := h.Version(id)
		if !ok {
			if i < listed {
				// Collected since it was listed: it is no longer
				// summed, but the listing this snapshot started from
				// is gone.
				s.Unconfirmed = append(s.Unconfirmed, id)
			}
			continue
		}
		s.Nodes++
		if !okBefore || !okAfter || !confirmed(before, after, window, now) {
			s.Unconfirmed = append(s.Unconfirmed, id)
		}
		for key, value := range state {
			name, ok := NameOf(key)
			if !ok {
				continue
			}
			c := s.sums[name]
			if c == nil {
				c = &sum{}
				s.sums[name] = c
			}
			c.entries++
			t, err := ParseTotal(value)
			if err != nil {
				if c.err == nil {
					c.err = fmt.Errorf("node %s, key %s: %w", id, key, err)
				}
				continue
			}
			c.acc.add(t)
		}
	}
	slices.Sort(s.Unconfirmed)
	s.Complete = stable && len(s.Unconfirmed) == 0
	return s
}

// confirmed reports whether a member's copy, read between two Version
// calls returning before and after, is confirmed as of now.
func confirmed(before, after Version, window time.Duration, now time.Time) bool {
	return before.Generation == after.Generation && before.Held == after.Held &&
		after.Held == after.Seen && !after.SeenAt.IsZero() && now.Sub(after.SeenAt) <= window
}

// members returns the IDs of the local node, its live peers, its dead
// peers and then the others, each once; how many of them the library
// listed (the first ones); and whether the live peers were the same before
// and after the dead peers were listed (a node that changed status between
// the calls could otherwise be missed).
func members(h Holder, others []string) (ids []string, listed int, stable bool) {
	live, dead, again := h.LiveIDs(), h.DeadIDs(), h.LiveIDs()
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	add(h.LocalID())
	for _, list := range [][]string{live, again, dead} {
		for _, id := range list {
			add(id)
		}
	}
	listed = len(ids)
	for _, id := range others {
		add(id)
	}
	return ids, listed, slices.Equal(live, again)
}

// Names returns the names of the counters that some member holds a total
// of, sorted.
func (s Snapshot) Names() []string { return slices.Sorted(maps.Keys(s.sums)) }

// Reading returns counter name's value in the snapshot. A counter no member
// holds reads 0.
func (s Snapshot) Reading(name string) Reading {
	r := Reading{Name: name, Complete: s.Complete, Nodes: s.Nodes, Unconfirmed: s.Unconfirmed}
	c := s.sums[name]
	if c == nil {
		return r
	}
	r.Entries = c.entries
	r.Err = c.err
	if r.Err == nil {
		r.Value, r.Err = c.acc.value()
	}
	if r.Err != nil {
		r.Value, r.Complete = 0, false
		r.Err = fmt.Errorf("counter %q: %w", name, r.Err)
	}
	return r
}
