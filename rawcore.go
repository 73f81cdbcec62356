package scuttlebutt

import (
	"errors"
	"hash/fnv"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/protocol"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// rawCore exposes the pure core, through exported methods of an unexported
// type, to the simulator in internal/sim: it drives many cores in virtual
// time, exactly as Scuttlebutt drives one in real time.
type rawCore struct{ c *core }

func init() {
	protocol.New = func(cfg any, p protocol.Params, metadata map[string]string) (any, error) {
		conf, ok := cfg.(*Config)
		if !ok {
			return nil, errors.New("scuttlebutt: protocol.New wants a *Config")
		}
		n, err := conf.normalized()
		if err != nil {
			return nil, err
		}
		nonces := p.Nonces
		if nonces == nil {
			nonces = seededNonces(p.Seed)
		}
		c, err := newCore(n, coreParams{addr: p.Addr, generation: p.Generation, seed: p.Seed, nonces: nonces}, p.Now)
		if err != nil {
			return nil, err
		}
		if err := c.setMetadata(metadata, p.Now); err != nil {
			return nil, err
		}
		return &rawCore{c: c}, nil
	}
}

// Tick runs one gossip round.
func (r *rawCore) Tick(now time.Time) { r.c.tick(now) }

// Receive handles one datagram.
func (r *rawCore) Receive(now time.Time, from string, data []byte) { r.c.receive(now, from, data) }

// Join sends a Syn to each seed address and keeps them as seeds.
func (r *rawCore) Join(addrs []string) { r.c.join(addrs) }

// Introduce records a peer as a delta from a peer would first report it:
// its ID, address and generation, without keys or heartbeat. The peer is
// pending until a digest shows its heartbeat increase, and its keys follow
// through normal gossip. The simulator uses it to start a cluster whose
// members already know each other, without a bootstrap phase.
func (r *rawCore) Introduce(now time.Time, id, addr string, generation uint64) {
	r.c.applyNodeDelta(&wire.NodeDelta{ID: id, Addr: addr, Generation: generation}, now)
}

// Set writes a local key.
func (r *rawCore) Set(now time.Time, key, value string) error {
	if err := r.c.checkEntry(key, value); err != nil {
		return err
	}
	r.c.set(key, value, now, 0)
	return nil
}

// SetWithTTL writes a local key that the owner deletes after ttl.
func (r *rawCore) SetWithTTL(now time.Time, key, value string, ttl time.Duration) error {
	if err := r.c.checkEntry(key, value); err != nil {
		return err
	}
	r.c.set(key, value, now, ttl)
	return nil
}

// Delete deletes a local key.
func (r *rawCore) Delete(now time.Time, key string) { r.c.del(key, now) }

// Leave announces a graceful departure and pushes it to peers. LeaveAcked
// reports when a peer holds it; the driver then stops the node.
func (r *rawCore) Leave(now time.Time) { r.c.leave(now) }

// LeaveAcked reports whether a peer acknowledged our leave marker.
func (r *rawCore) LeaveAcked() bool { return r.c.leaveAcked }

// Ready returns and clears the datagrams to send and the events to deliver.
func (r *rawCore) Ready() ([]protocol.Datagram, []NodeEvent) {
	out, ev := r.c.ready()
	ds := make([]protocol.Datagram, len(out))
	for i, m := range out {
		ds[i] = protocol.Datagram{To: m.to, Data: m.data}
	}
	return ds, ev
}

// Get returns a node's key as this core sees it.
func (r *rawCore) Get(nodeID, key string) (string, bool) {
	n := r.c.nodes[nodeID]
	if n == nil {
		return "", false
	}
	return n.get(key)
}

// LiveIDs returns the IDs of live peers, sorted.
func (r *rawCore) LiveIDs() []string { return r.c.peerIDs(statusLive) }

// DeadIDs returns the IDs of dead (or left) peers, sorted.
func (r *rawCore) DeadIDs() []string {
	return append(r.c.peerIDs(statusDead), r.c.peerIDs(statusLeft)...)
}

// Versions returns this core's max version and tombstone GC watermark of a
// node's state, and whether it holds the node.
func (r *rawCore) Versions(nodeID string) (maxVersion, gcVersion uint64, ok bool) {
	n := r.c.nodes[nodeID]
	if n == nil {
		return 0, 0, false
	}
	return n.maxVersion, n.gcVersion, true
}

// Census counts the peers this core holds by status: live, pending (known
// from gossip, no heartbeat increase seen yet) and dead or left.
func (r *rawCore) Census() (live, pending, dead int) {
	for _, n := range r.c.sorted {
		switch {
		case n == r.c.self:
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

// Stats returns the counters.
func (r *rawCore) Stats(now time.Time) Stats { return r.c.snapshotStats(now) }

// Fingerprint hashes the user-visible state of the members this core
// believes live, itself included: IDs, generations and live keys. Cores that
// agree on membership and state have equal fingerprints.
func (r *rawCore) Fingerprint() uint64 {
	h := fnv.New64a()
	var buf [8]byte
	for _, id := range r.c.ids {
		n := r.c.nodes[id]
		if n.status != statusLive {
			continue
		}
		h.Write([]byte(id))
		for i := range 8 {
			buf[i] = byte(n.generation >> (8 * i))
		}
		h.Write(buf[:])
		for _, e := range n.sortedEntries() {
			if e.status == wire.StatusSet {
				h.Write([]byte(e.key))
				h.Write([]byte{0})
				h.Write([]byte(e.value))
				h.Write([]byte{0})
			}
		}
	}
	return h.Sum64()
}

func (c *core) peerIDs(s liveness) []string {
	var ids []string
	for _, n := range c.sorted {
		if n != c.self && n.status == s {
			ids = append(ids, n.id)
		}
	}
	return ids
}
