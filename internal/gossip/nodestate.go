package gossip

import (
	"slices"
	"sort"

	"github.com/scuttlego/scuttlebutt/internal/phi"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// liveness is what the local node believes about a peer.
type liveness uint8

const (
	// pending: an incarnation held but not admitted yet (see admission.go):
	// neither live nor dead, not a member, reported by no event.
	statusPending liveness = iota
	// live: a member.
	statusLive
	// dead: removed by a verdict of its observers (or rejected while
	// pending). Final for the incarnation: only a new generation returns.
	statusDead
	// left: the node announced a graceful departure. Final like dead.
	statusLeft
)

// kvEntry is one versioned key of a node.
type kvEntry struct {
	key     string
	value   string
	version uint64
	status  uint8 // wire.StatusSet, wire.StatusDeleted or wire.StatusLeft
	// at is the local time the entry was written or received, as stored by
	// phi.Params.Mono: tombstones are collected a grace period after it.
	at int64
	// expires is the owner's TTL deadline, as stored by phi.Params.Mono (0:
	// none). Only the owner uses it.
	expires int64
}

// nodeState is everything the local node holds about one node, itself
// included: its versioned key/values (a namespace only that node writes),
// generation and, for peers, liveness and the edge this node observes.
type nodeState struct {
	id         string
	addr       string
	generation uint64
	// heartbeat is this node's own counter, one more each round (self), or
	// the last heartbeat counter received from the peer (an edge).
	heartbeat uint64
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

	// Peers only.
	statusSince int64  // as stored by phi.Params.Mono
	liveGen     uint64 // the generation last live here
	// Admission of a pending incarnation (see admission.go): admitAt is when
	// its probation ends (phi.NoTime: it waits for evidence of life).
	admitAt int64
	// spareUntil: this node's side of a partition was removed with it in
	// one cut; until then (as stored by phi.Params.Mono) verdicts about
	// this incarnation, which rejoins as this node does, are not applied.
	spareUntil int64
	// ghostUntil: a ghost stays on the rings until then (as stored by
	// phi.Params.Mono; see ghosts.go).
	ghostUntil int64
	// unstableSince: since when (as stored by phi.Params.Mono; 0: not)
	// the incarnation stands between L and H, holding verdicts back.
	unstableSince int64

	// ed is the heartbeat edge between this node and the peer, nil when
	// there is none: a node has O(K) of them, not O(N) (see edge).
	ed *edge
	// probedGen: the incarnation this node last probed (probe.go).
	probedGen uint64

	tombstones int32 // entries with StatusDeleted, so GC skips nodes without
	ttls       int32 // local entries with a TTL (self only)
	// keysBefore: the user keys of the node's previous incarnation, which
	// subscribers saw, while the new one is pending.
	keysBefore map[string]string

	// Digest and delta scheduling.
	listed    uint64 // build mark: already in the digest being built
	deltaMark uint64 // build mark: already a candidate of the delta being built

	// fp is the hash of the node's digest entry as last counted in the
	// view's fingerprint; heldSeq the engine's viewSeq when it changed
	// (fingerprint.go); key the ID's place among ranges (ranges.go).
	fp, heldSeq, key uint64

	// Flags, together so that the record stays small: a node holds one
	// record per member.
	dirty  bool // byVersion needs a rebuild
	status liveness
	// wasLive: an incarnation of the node has been live in this replica, so
	// a NodeLive about it is a restart or a readmission, not a first sight.
	wasLive bool
	// evidence: evidence of life of the pending incarnation arrived
	// (admission.go); inPending: it is on the engine's pending list.
	evidence, inPending bool
	// cutLarge: the verdict that removed this incarnation removed a large
	// cut, at least two nodes and a quarter of the members at once: a
	// partition rather than a failure (see admission.go).
	cutLarge bool
	// cutLocal: this node removed the incarnation alone, cut off from
	// everyone (see isolated); it does not flag it removed to others.
	cutLocal bool
	// ghost: removed by a verdict, the node stays on the rings until
	// ghostUntil (see ghosts.go).
	ghost bool
	// probeSent: a probe of the incarnation went out while pending;
	// holdExtended: its hold ended unanswered and runs once more
	// (admission.go, holdEnds).
	probeSent, holdExtended bool
	// updateHeld: user keys changed while pending; NodeUpdate follows
	// NodeLive.
	updateHeld bool
	changed    bool // versions changed since last listed in a digest we sent
	behind     bool // a peer showed newer state than ours: list it so it is sent
}

func newNodeState(id, addr string, generation uint64) *nodeState {
	return &nodeState{id: id, addr: addr, generation: generation, key: rangeKey(id), seenAt: phi.NoTime, admitAt: phi.NoTime}
}

// edge is what a node holds about a peer it exchanges heartbeats with, as
// the peer's observer or as its subject (see monitor.go). It is allocated
// on first use (Engine.edgeOf) and dropped with the edge, so that per-node
// state stays small in a cluster of thousands.
type edge struct {
	// The edge this node observes, when the peer sends it heartbeats:
	// arrival history, and when phi may next cross the threshold (as
	// stored by phi.Params.Mono; phi.NoTime: never).
	window    phi.Window
	loss      edgeLoss
	calmUntil int64
	alerted   bool // this node's alert about the incarnation is raised
	// expectAt: when this node, the peer's observer, starts expecting its
	// heartbeats although none has arrived (phi.NoTime: not set).
	expectAt int64
	// hbSince and hbLast: the run of heartbeats this node sends the peer
	// as one of its observers, first and last Seq (edgeloss.go).
	hbSince, hbLast uint64
	// lingerUntil: until when this node, dropped from our observers,
	// still gets our heartbeats (linger.go).
	lingerUntil int64
}

// edgeOf returns n's edge, allocating it.
func (e *Engine) edgeOf(n *nodeState) *edge {
	if n.ed == nil {
		n.ed = &edge{window: phi.NewWindow(e.fd), calmUntil: phi.NoTime, expectAt: phi.NoTime}
	}
	return n.ed
}

// calm returns when phi of the edge to n may next cross the threshold
// (phi.NoTime: no edge observed).
func (n *nodeState) calm() int64 {
	if n.ed == nil {
		return phi.NoTime
	}
	return n.ed.calmUntil
}

// expected returns when this node starts expecting n's heartbeats
// (phi.NoTime: not set).
func (n *nodeState) expected() int64 {
	if n.ed == nil {
		return phi.NoTime
	}
	return n.ed.expectAt
}

// isAlerted reports whether this node's alert about n is raised.
func (n *nodeState) isAlerted() bool { return n.ed != nil && n.ed.alerted }

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
	if !ok || e.status != wire.StatusSet || reserved(key) {
		return "", false
	}
	return e.value, true
}

// userKeys returns a copy of the live user keys.
func (n *nodeState) userKeys() map[string]string {
	m := make(map[string]string, len(n.kvs))
	for k, e := range n.kvs {
		if e.status == wire.StatusSet && !reserved(k) {
			m[k] = e.value
		}
	}
	return m
}

// Reserved keys carry the protocol's own state in a node's namespace: the
// leave marker, the node's alerts about the subjects it observes, and the
// end of its probation (probationKey, admission.go). They replicate like any key but are invisible to the user
// (Get, NodeState, key changes, NodeUpdate) and cannot be written by the
// user: user keys are never empty and never start with a NUL byte.
const (
	// leftKey is the reserved key of the leave marker.
	leftKey = ""
	// alertPrefix + subject ID is an alert about the subject; the value is
	// the subject's generation alerted (decimal).
	alertPrefix = "\x00a"
)

// reserved reports whether key belongs to the protocol, not the user.
func reserved(key string) bool { return key == "" || key[0] == 0 }

// getRaw returns a key's live value, reserved keys included.
func (n *nodeState) getRaw(key string) (string, bool) {
	e, ok := n.kvs[key]
	if !ok || e.status != wire.StatusSet {
		return "", false
	}
	return e.value, true
}

// digestEntry returns the node's digest line. Heartbeats do not travel in
// digests: liveness is the observers' business (see monitor.go).
func (n *nodeState) digestEntry() wire.DigestEntry {
	d := wire.DigestEntry{ID: n.id, Generation: n.generation, MaxVersion: n.maxVersion, GCVersion: n.gcVersion}
	if n.status == statusLeft || n.status == statusDead && !n.cutLocal {
		d.Flags = wire.DigestRemoved
	}
	return d
}

// node returns the node's identity.
func (n *nodeState) node() Node { return Node{ID: n.id, Addr: n.addr} }
