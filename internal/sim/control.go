package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// Control of a simulation beyond scenarios: acting on one engine as a
// driver would, watching every datagram sent, and, with Options.Hold,
// delivering datagrams one by one. Tests and script tests use it.

// Do runs fn on node i's running engine at the current virtual time and
// then does what the engine asks, as after any other input. It fails for a
// node that is down.
func (s *Sim) Do(i int, fn func(e *gossip.Engine, now time.Time)) error {
	n := s.nodes[i]
	if !n.up {
		return fmt.Errorf("sim: %s is down", n.id)
	}
	fn(n.core, s.Now())
	s.drain(n)
	return nil
}

// OnSend registers fn to see every datagram a node sends, before the
// network loses, holds or delivers it.
func (s *Sim) OnSend(fn func(from *Node, d gossip.Datagram)) { s.onSend = append(s.onSend, fn) }

// NodeByAddr returns the node slot with gossip address addr.
func (s *Sim) NodeByAddr(addr string) (*Node, bool) {
	i, ok := s.byAddr[addr]
	if !ok {
		return nil, false
	}
	return s.nodes[i], true
}

// Held is a datagram kept by Options.Hold.
type Held struct {
	From int           // sender's index
	To   string        // destination address
	Data []byte        // the datagram
	At   time.Duration // when it was sent, since the start
}

// Held returns the datagrams waiting, oldest first.
func (s *Sim) Held() []Held { return slices.Clone(s.held) }

// Deliver delivers, now and in the order sent, the held datagrams for which
// match returns true (nil: all of them), and returns how many it delivered.
// Partitions, cuts and node loss apply as on the network; the answers they
// cause are held in turn.
func (s *Sim) Deliver(match func(Held) bool) int {
	batch := s.take(match)
	for _, h := range batch {
		to, ok := s.byAddr[h.To]
		if !ok {
			s.unknownDest++
			s.dropped++
			continue
		}
		s.deliver(&event{at: s.now, kind: evDeliver, node: to, from: int32(h.From), data: h.Data})
	}
	return len(batch)
}

// Drop discards the held datagrams for which match returns true (nil: all),
// as lost, and returns how many it dropped.
func (s *Sim) Drop(match func(Held) bool) int {
	batch := s.take(match)
	s.dropped += uint64(len(batch))
	return len(batch)
}

// take removes and returns the matching held datagrams.
func (s *Sim) take(match func(Held) bool) []Held {
	var taken []Held
	s.held = slices.DeleteFunc(s.held, func(h Held) bool {
		if match == nil || match(h) {
			taken = append(taken, h)
			return true
		}
		return false
	})
	return taken
}
