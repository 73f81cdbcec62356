package gossip

import (
	"slices"
	"sort"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/phi"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// liveness is what the local node believes about a peer.
type liveness uint8

const (
	// pending: known from relayed gossip, but no fresh heartbeat seen yet. A
	// pending node is neither live nor dead; it becomes live on its first
	// heartbeat increase or direct contact, and is forgotten after
	// DeadNodeGracePeriod otherwise. This keeps the state of long-dead nodes
	// relayed to a joiner from being reported live.
	statusPending liveness = iota
	statusLive
	statusDead
	// left: the node announced a graceful departure. Like dead, but the
	// failure detector no longer revives it within its generation.
	statusLeft
)

// kvEntry is one versioned key of a node.
type kvEntry struct {
	key     string
	value   string
	version uint64
	status  uint8 // wire.StatusSet, wire.StatusDeleted or wire.StatusLeft
	// at is the local time the entry was written or received: tombstones are
	// collected a grace period after it.
	at time.Time
	// expires is the owner's TTL deadline (zero: none). Only the owner uses it.
	expires time.Time
}

// nodeState is everything the local node holds about one node, itself
// included: its versioned key/values (a namespace only that node writes),
// heartbeat, generation and, for peers, the failure detector.
type nodeState struct {
	id         string
	addr       string
	generation uint64
	heartbeat  uint64
	// maxVersion is the highest version this replica has received; every
	// entry the owner wrote at or below it is here, unless superseded or
	// collected as a tombstone at or below gcVersion.
	maxVersion uint64
	// gcVersion is the tombstone GC watermark: tombstones at or below it
	// may have been dropped from this replica.
	gcVersion uint64
	// seenVersion is the highest max version of this incarnation that a
	// received digest or delta showed (see NodeVersion); seenAt is when a
	// digest last showed it at or above maxVersion (phi.Params.Mono;
	// phi.NoTime: never).
	seenVersion uint64
	seenAt      int64
	kvs         map[string]*kvEntry
	// byVersion is kvs sorted by version; rebuilt lazily when dirty.
	byVersion []*kvEntry
	dirty     bool

	// Peers only.
	window      phi.Window // inline: one window per peer, touched every round
	status      liveness
	statusSince int64 // as stored by phi.Params.Mono
	// calmUntil: phi stays at or below the threshold before this time (as
	// stored by phi.Params.Mono), so checkPeers need not compute it.
	calmUntil int64
	// wasLive: the node has been live in this replica, so a NodeLive about
	// it is a recovery, not a first sight.
	wasLive bool

	tombstones int // entries with StatusDeleted, so GC skips nodes without
	ttls       int // local entries with a TTL (self only)
	// updateHeld: user keys changed while pending; NodeUpdate follows NodeLive.
	updateHeld bool

	// Digest and delta scheduling.
	changed   bool   // versions changed since last listed in a digest we sent
	behind    bool   // a peer showed newer state than ours: list it so it is sent
	listed    uint64 // build mark: already in the digest being built
	deltaMark uint64 // build mark: already a candidate of the delta being built
}

func newNodeState(id, addr string, generation uint64) *nodeState {
	return &nodeState{id: id, addr: addr, generation: generation, seenAt: phi.NoTime}
}

// sortedEntries returns the entries in ascending version order.
func (n *nodeState) sortedEntries() []*kvEntry {
	if n.dirty || len(n.byVersion) != len(n.kvs) {
		n.byVersion = n.byVersion[:0]
		for _, e := range n.kvs {
			n.byVersion = append(n.byVersion, e)
		}
		slices.SortFunc(n.byVersion, func(a, b *kvEntry) int {
			switch {
			case a.version < b.version:
				return -1
			case a.version > b.version:
				return 1
			}
			return 0
		})
		n.dirty = false
	}
	return n.byVersion
}

// entriesAfter returns the entries with a version above v, ascending.
func (n *nodeState) entriesAfter(v uint64) []*kvEntry {
	es := n.sortedEntries()
	i := sort.Search(len(es), func(i int) bool { return es[i].version > v })
	return es[i:]
}

// put stores e, replacing any entry of the same key.
func (n *nodeState) put(e *kvEntry) {
	if n.kvs == nil { // made on first use: many nodes hold no keys
		n.kvs = make(map[string]*kvEntry)
	}
	n.kvs[e.key] = e
	n.dirty = true
}

// drop removes a key's entry.
func (n *nodeState) drop(key string) {
	delete(n.kvs, key)
	n.dirty = true
}

// clear forgets every entry and version, keeping identity and liveness.
func (n *nodeState) clear() {
	clear(n.kvs)
	n.tombstones, n.ttls = 0, 0
	n.byVersion = n.byVersion[:0]
	n.dirty = false
	n.maxVersion = 0
	n.gcVersion = 0
}

// get returns a user key's live value.
func (n *nodeState) get(key string) (string, bool) {
	e, ok := n.kvs[key]
	if !ok || e.status != wire.StatusSet {
		return "", false
	}
	return e.value, true
}

// userKeys returns a copy of the live user keys.
func (n *nodeState) userKeys() map[string]string {
	m := make(map[string]string, len(n.kvs))
	for k, e := range n.kvs {
		if e.status == wire.StatusSet {
			m[k] = e.value
		}
	}
	return m
}

// leftKey is the reserved key of the leave marker. User keys are never empty.
const leftKey = ""

// digestEntry returns the node's digest line.
func (n *nodeState) digestEntry() wire.DigestEntry {
	return wire.DigestEntry{ID: n.id, Generation: n.generation, Heartbeat: n.heartbeat, MaxVersion: n.maxVersion, GCVersion: n.gcVersion}
}

// node returns the node's identity.
func (n *nodeState) node() Node { return Node{ID: n.id, Addr: n.addr} }
