package gossip

import (
	"fmt"
	"slices"
	"strings"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Test-only views of engine internals, for the external tests (package
// gossip_test) that run clusters in the simulator and check what the
// public reads do not show.

// PeerStatus returns what e believes about node id: "live", "pending",
// "dead" or "left", or "" when e does not hold the node.
func (e *Engine) PeerStatus(id string) string {
	n := e.nodes[id]
	if n == nil {
		return ""
	}
	return [...]string{statusPending: "pending", statusLive: "live", statusDead: "dead", statusLeft: "left"}[n.status]
}

// Resets returns the number of resets e applied to its replicas.
func (e *Engine) Resets() uint64 { return e.resets }

// Tombstones returns the number of tombstones e holds of node id's state.
func (e *Engine) Tombstones(id string) int {
	if n := e.nodes[id]; n != nil {
		return int(n.tombstones)
	}
	return 0
}

// LocalTTLs returns the number of e's own keys that have a TTL.
func (e *Engine) LocalTTLs() int { return int(e.self.ttls) }

// CheckEntry reports whether e accepts key=value as a local key, as Set
// does, without writing it.
func (e *Engine) CheckEntry(key, value string) error { return e.checkEntry(key, value) }

// SeedRatios seeds the compression ratio estimates of e's sealer (see
// seal.Sealer.SeedRatios), as if it had compressed plain bytes to comp.
func (e *Engine) SeedRatios(comp, plain int) { e.sealer.SeedRatios(comp, plain) }

// DumpState renders everything e believes about the cluster, one line per
// node held: address, generation, heartbeat, versions, status and every
// entry with its version and status.
func (e *Engine) DumpState() string {
	var b strings.Builder
	for _, id := range e.ids {
		n := e.nodes[id]
		fmt.Fprintf(&b, "%s %s g%d h%d v%d gc%d s%d:", id, n.addr, n.generation, n.heartbeat, n.maxVersion, n.gcVersion, n.status)
		for _, en := range n.sortedEntries() {
			fmt.Fprintf(&b, " %q=%q@%d/%d", en.key, en.value, en.version, en.status)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// BuildDigest returns the digest e would put in a Syn body of budget bytes.
func (e *Engine) BuildDigest(budget int) wire.Digest { return e.buildDigest(budget, "") }

// BuildDelta returns the delta e would send, within budget bytes, to a peer
// whose digest is d.
func (e *Engine) BuildDelta(d *wire.Digest, budget int) wire.Delta { return e.buildDelta(d, budget) }

// FullDigest returns the complete digest of everything e holds, in ID
// order, whatever its size.
func (e *Engine) FullDigest() wire.Digest {
	d := wire.Digest{Complete: true}
	for _, n := range e.sorted {
		d.Entries = append(d.Entries, n.digestEntry())
	}
	return d
}

// Relabel overwrites the generation and heartbeat e holds of node id, so
// that measurements of datagram bodies see the numbers of a long-running
// deployment rather than those of a fresh test cluster.
func (e *Engine) Relabel(id string, generation, heartbeat uint64) {
	n := e.nodes[id]
	n.generation, n.heartbeat = generation, heartbeat
}

// Alerts renders the alerts e holds, one line per subject with an alert:
// the subject and the observers alerting about its current incarnation,
// sorted, with H and L for its observers in e's view.
func (e *Engine) Alerts() string {
	var b strings.Builder
	var ids []string
	for id := range e.alerts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		n := e.nodes[id]
		if n == nil {
			continue
		}
		var by []string
		for o, g := range e.alerts[id] {
			if g == n.generation {
				by = append(by, o)
			}
		}
		if len(by) == 0 {
			continue
		}
		slices.Sort(by)
		h, l := quorum(len(e.rings.observersOf(nil, id)))
		fmt.Fprintf(&b, "%s (H %d, L %d): %d alerts by %s\n", id, h, l, len(by), strings.Join(by, " "))
	}
	if b.Len() == 0 {
		return "no alerts\n"
	}
	return b.String()
}

// ObserversOf returns the observers of node id in e's view, sorted.
func (e *Engine) ObserversOf(id string) []string {
	var ids []string
	for _, o := range e.rings.observersOf(nil, id) {
		ids = append(ids, o.id)
	}
	slices.Sort(ids)
	return ids
}
