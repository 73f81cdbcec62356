package scuttlebutt

import (
	"slices"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// KeyChange is one change of a key of some node: a set, a delete (Deleted is
// true and Value empty) or a TTL expiry (seen as a delete).
type KeyChange struct {
	Node    Node
	Key     string
	Value   string
	Deleted bool
}

// Subscribe calls fn for every key change, local or remote, whose key starts
// with prefix ("" matches all): sets, deletes and TTL expiries. Changes of a
// node arrive in version order. A peer restarting or being reset shows up as
// the changes that turn its old keys into its new ones.
//
// fn runs on the event dispatcher, never under the protocol's lock: it may
// call any read method of sb, and a slow fn delays only later notifications,
// never gossip. Call the returned function to unsubscribe; no call to fn
// starts after it returns.
func (sb *Scuttlebutt) Subscribe(prefix string, fn func(KeyChange)) (unsubscribe func()) {
	if fn == nil {
		return func() {}
	}
	sub := &subscription{prefix: prefix, fn: fn}
	sub.active.Store(true)
	sb.mu.Lock()
	sb.subs = append(sb.subs, sub)
	sb.core.watchKeys = true
	sb.mu.Unlock()
	return func() {
		sub.active.Store(false)
		sb.mu.Lock()
		defer sb.mu.Unlock()
		sb.subs = slices.DeleteFunc(sb.subs, func(s *subscription) bool { return s == sub })
		sb.core.watchKeys = len(sb.subs) > 0
	}
}

// noteKeyChange records a change of n's key for subscribers.
func (c *core) noteKeyChange(n *nodeState, key, value string, deleted bool) {
	if c.watchKeys && key != leftKey {
		c.changes = append(c.changes, KeyChange{Node: n.node(), Key: key, Value: value, Deleted: deleted})
	}
}

// noteStateReplaced reports the changes between a node's user keys before
// its state was replaced (restart or reset) and after.
func (c *core) noteStateReplaced(n *nodeState, before map[string]string) {
	if !c.watchKeys {
		return
	}
	after := n.userKeys()
	var gone []string
	for k := range before {
		if _, ok := after[k]; !ok {
			gone = append(gone, k)
		}
	}
	slices.Sort(gone)
	for _, k := range gone {
		c.noteKeyChange(n, k, "", true)
	}
	for _, e := range n.sortedEntries() {
		if v, ok := before[e.key]; e.status == wire.StatusSet && (!ok || v != e.value) {
			c.noteKeyChange(n, e.key, e.value, false)
		}
	}
}
