package gossip

import (
	"hash/fnv"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Reads. Every result is a copy the caller owns.

// Local returns this node's identity.
func (e *Engine) Local() Node { return e.self.node() }

// Generation returns this node's generation.
func (e *Engine) Generation() uint64 { return e.self.generation }

// Keyring returns the keyring datagrams are sealed with, nil without
// encryption.
func (e *Engine) Keyring() *seal.Keyring { return e.sealer.Keyring() }

// Get returns a user key of node nodeID (this node's own ID included) as
// this node holds it.
func (e *Engine) Get(nodeID, key string) (string, bool) {
	n := e.nodes[nodeID]
	if n == nil {
		return "", false
	}
	return n.get(key)
}

// NodeState returns a copy of the user keys of node nodeID, and whether the
// node is known.
func (e *Engine) NodeState(nodeID string) (map[string]string, bool) {
	n := e.nodes[nodeID]
	if n == nil {
		return nil, false
	}
	return n.userKeys(), true
}

// LiveNodes returns the peers believed live, sorted by ID.
func (e *Engine) LiveNodes() []Node {
	return e.peers(func(s liveness) bool { return s == statusLive })
}

// DeadNodes returns the peers believed dead or left, and not yet removed,
// sorted by ID.
func (e *Engine) DeadNodes() []Node {
	return e.peers(func(s liveness) bool { return s == statusDead || s == statusLeft })
}

func (e *Engine) peers(match func(liveness) bool) []Node {
	nodes := []Node{}
	for _, n := range e.sorted {
		if n != e.self && match(n.status) {
			nodes = append(nodes, n.node())
		}
	}
	return nodes
}

// LiveCount returns the number of live peers.
func (e *Engine) LiveCount() int { return e.liveCount() }

// IsLive reports whether this node believes peer id live.
func (e *Engine) IsLive(id string) bool {
	n := e.nodes[id]
	return n != nil && n != e.self && n.status == statusLive
}

// Census counts the peers held by status: live, pending (known from
// gossip, no heartbeat increase seen yet) and dead or left.
func (e *Engine) Census() (live, pending, dead int) {
	for _, n := range e.sorted {
		switch {
		case n == e.self:
		case n.status == statusLive:
			live++
		case n.status == statusPending:
			pending++
		default:
			dead++
		}
	}
	return live, pending, dead
}

// Versions returns the max version and tombstone GC watermark held of a
// node's state, and whether the node is held.
func (e *Engine) Versions(nodeID string) (maxVersion, gcVersion uint64, ok bool) {
	n := e.nodes[nodeID]
	if n == nil {
		return 0, 0, false
	}
	return n.maxVersion, n.gcVersion, true
}

// Fingerprint hashes the user-visible state of the members this node
// believes live, itself included: IDs, generations and live keys. Nodes that
// agree on membership and state have equal fingerprints.
func (e *Engine) Fingerprint() uint64 {
	h := fnv.New64a()
	var buf [8]byte
	for _, n := range e.sorted {
		if n.status != statusLive {
			continue
		}
		h.Write([]byte(n.id))
		for i := range 8 {
			buf[i] = byte(n.generation >> (8 * i))
		}
		h.Write(buf[:])
		for _, en := range n.sortedEntries() {
			if en.status == wire.StatusSet {
				h.Write([]byte(en.key))
				h.Write([]byte{0})
				h.Write([]byte(en.value))
				h.Write([]byte{0})
			}
		}
	}
	return h.Sum64()
}

// Introduce records a peer as a delta from a peer would first report it:
// its ID, address and generation, without keys. The peer is pending as
// relayed state is (see admission.go), and its keys follow through normal
// gossip, and it is probed (probe.go). Tests use it to hold relayed
// incarnations; the simulator starts a running cluster with AcquaintAll.
func (e *Engine) Introduce(now time.Time, id, addr string, generation uint64) {
	e.IntroduceAll(now, []Introduction{{ID: id, Addr: addr, Generation: generation}})
}

// Introduction names a peer for IntroduceAll.
type Introduction struct {
	ID, Addr   string
	Generation uint64
}

// IntroduceAll is Introduce for many peers, finishing the input once rather
// than after each.
func (e *Engine) IntroduceAll(now time.Time, peers []Introduction) {
	e.introduce(now, peers, fromRelay)
}

// AcquaintAll records peers as a completed bootstrap leaves them: members,
// live, as if each had been heard from first-hand (no hold, no probe). The
// simulator uses it to start a cluster already running.
func (e *Engine) AcquaintAll(now time.Time, peers []Introduction) {
	e.introduce(now, peers, fromDirect)
}

// introduce records peers as learnt from src, finishing the input once.
func (e *Engine) introduce(now time.Time, peers []Introduction, src source) {
	for _, p := range peers {
		e.applyNodeDeltaFrom(&wire.NodeDelta{ID: p.ID, Addr: p.Addr, Generation: p.Generation}, now, src)
	}
	e.settle(now)
}
