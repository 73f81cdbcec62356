package pncounter

import (
	"slices"
	"sync"
)

// Sources remembers the nodes whose counter totals a node has received, as
// reported by (*scuttlebutt.Scuttlebutt).Subscribe, so that Read also sums
// the nodes the library holds but lists neither live nor dead: pending
// ones, heard of through gossip but not yet confirmed live (a node that is
// joining, or a long-dead one relayed to a newcomer). Its zero value is
// ready to use; it is safe for concurrent use.
type Sources struct {
	mu  sync.Mutex
	ids map[string]bool
}

// Observe records that a node's key changed; call it from a Subscribe
// callback with prefix KeyPrefix.
func (s *Sources) Observe(nodeID, key string) {
	if _, ok := NameOf(key); !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[string]bool{}
	}
	s.ids[nodeID] = true
}

// IDs returns, sorted, the nodes observed that h still holds, and forgets
// the others (a node collected and heard of again is observed again).
func (s *Sources) IDs(h Holder) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id := range s.ids {
		if _, ok := h.Version(id); ok {
			ids = append(ids, id)
		} else {
			delete(s.ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
