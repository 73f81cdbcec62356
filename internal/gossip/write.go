package gossip

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Local writes: only a node writes its own namespace, and every write takes
// the node's next version. Every driver writes through the methods here,
// which validate first.

// Set writes a local key. Setting a key to its current value is a no-op.
// Errors wrap ErrInvalidKey or ErrTooLarge.
func (e *Engine) Set(now time.Time, key, value string) error {
	if err := e.checkEntry(key, value); err != nil {
		return err
	}
	e.set(key, value, now, 0)
	e.settle(now)
	return nil
}

// SetWithTTL writes a local key that this node deletes once ttl has passed
// by the times it is given. Errors wrap ErrInvalidTTL, ErrInvalidKey or
// ErrTooLarge.
func (e *Engine) SetWithTTL(now time.Time, key, value string, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("%w: %v", ErrInvalidTTL, ttl)
	}
	if err := e.checkEntry(key, value); err != nil {
		return err
	}
	e.set(key, value, now, ttl)
	e.settle(now)
	return nil
}

// Delete deletes a local key; deleting an absent key is a no-op. Errors
// wrap ErrInvalidKey.
func (e *Engine) Delete(now time.Time, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	e.del(key, now)
	e.settle(now)
	return nil
}

// SetAll writes initial key/values, in key order, after checking them all:
// on error nothing is written.
func (e *Engine) SetAll(now time.Time, kvs map[string]string) error {
	keys := slices.Sorted(maps.Keys(kvs))
	for _, k := range keys {
		if err := e.checkEntry(k, kvs[k]); err != nil {
			return fmt.Errorf("metadata %q: %w", k, err)
		}
	}
	for _, k := range keys {
		e.set(k, kvs[k], now, 0)
	}
	e.settle(now)
	return nil
}

// checkKey validates a user key: 1 to MaxKeyLength bytes, not starting
// with a NUL byte (those are reserved, see nodestate.go).
func checkKey(key string) error {
	if key == "" || len(key) > MaxKeyLength {
		return fmt.Errorf("%w: length %d, want 1 to %d bytes", ErrInvalidKey, len(key), MaxKeyLength)
	}
	if reserved(key) {
		return fmt.Errorf("%w: keys starting with a NUL byte are reserved", ErrInvalidKey)
	}
	return nil
}

// maxFromID is the longest possible sender ID, for worst-case sizing.
var maxFromID = strings.Repeat("x", MaxIDLength)

// checkEntry validates a local key/value: the key must be a valid user key
// and the entry must fit one Ack datagram from any relaying peer, with every
// number at its widest, so that it can always be delivered.
func (e *Engine) checkEntry(key, value string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	const wide = ^uint64(0)
	nd := wire.NodeDelta{
		ID: e.self.id, Addr: e.self.addr, Generation: wide, Flags: wide, FromVersion: wide,
		MaxVersion: wide, GCVersion: wide, Reset: true,
		Entries: []wire.Entry{{Key: key, Value: value, Version: wide, Status: wire.StatusSet}},
	}
	if size := wire.AckOverhead(maxFromID) + wire.DeltaOverhead(1) + nd.Size(); size > e.bodyBudget {
		return fmt.Errorf("%w: %d-byte key/value needs a %d-byte body, the limit is %d", ErrTooLarge, len(key)+len(value), size, e.bodyBudget)
	}
	return nil
}

// write records a local change of key (a set, a delete or the leave marker)
// under the next version.
func (e *Engine) write(key, value string, status uint8, now time.Time, expires time.Time) {
	s := e.self
	s.maxVersion++
	if old, ok := s.kvs[key]; ok {
		if old.status == wire.StatusDeleted {
			s.tombstones--
		}
		if old.expires != 0 {
			s.ttls--
		}
	}
	s.put(&kvEntry{key: key, value: value, version: s.maxVersion, status: status, at: e.fd.Mono(now), expires: e.expiry(expires)})
	if status == wire.StatusDeleted {
		s.tombstones++
	}
	if !expires.IsZero() {
		s.ttls++
	}
	e.refingerprint(s)
	e.markChanged(s)
	e.pushDue = true
	if reserved(key) {
		e.noteAlertKey(s, key, value, status == wire.StatusSet)
		return
	}
	e.noteKeyChange(s, key, value, status == wire.StatusDeleted)
}

// set writes a local key. Setting a key to its current value is a no-op
// (but replaces any TTL).
func (e *Engine) set(key, value string, now time.Time, ttl time.Duration) {
	var expires time.Time
	if ttl > 0 {
		expires = now.Add(ttl)
	}
	if en, ok := e.self.kvs[key]; ok && en.status == wire.StatusSet && en.value == value {
		if (en.expires == 0) != expires.IsZero() {
			if en.expires == 0 {
				e.self.ttls++
			} else {
				e.self.ttls--
			}
		}
		en.expires = e.expiry(expires)
		return
	}
	e.write(key, value, wire.StatusSet, now, expires)
}

// expiry is a TTL deadline as kvEntry.expires stores it (0: none).
func (e *Engine) expiry(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return max(e.fd.Mono(t), 1) // a deadline is never "none"
}

// del deletes a local key; a tombstone carries the deletion to peers.
func (e *Engine) del(key string, now time.Time) {
	if en, ok := e.self.kvs[key]; !ok || en.status != wire.StatusSet {
		return
	}
	e.write(key, "", wire.StatusDeleted, now, time.Time{})
}

// expireTTLs deletes local keys whose TTL has passed, by the local clock.
func (e *Engine) expireTTLs(now time.Time) {
	s := e.self
	if s.ttls == 0 {
		return
	}
	var due []string
	m := e.fd.Mono(now)
	for _, en := range s.sortedEntries() {
		if en.status == wire.StatusSet && en.expires != 0 && m >= en.expires {
			due = append(due, en.key)
		}
	}
	for _, k := range due {
		e.del(k, now)
	}
}

// collectTombstones drops tombstones older than TombstoneGracePeriod and
// raises the node's GC watermark to the highest dropped version. Peers whose
// replica is older than the watermark are then reset (see delta.go).
func (e *Engine) collectTombstones(now time.Time) {
	grace, m := int64(e.cfg.TombstoneGracePeriod), e.fd.Mono(now)
	for _, n := range e.sorted {
		if n.tombstones == 0 {
			continue
		}
		for _, en := range n.sortedEntries() {
			if en.status == wire.StatusDeleted && m-en.at > grace {
				n.drop(en.key)
				n.tombstones--
				n.gcVersion = max(n.gcVersion, en.version)
			}
		}
		e.refingerprint(n)
	}
}
