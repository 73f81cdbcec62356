package scuttlebutt

import "slices"

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
	sb.eng.WatchKeys(true)
	sb.mu.Unlock()
	return func() {
		sub.active.Store(false)
		sb.mu.Lock()
		defer sb.mu.Unlock()
		sb.subs = slices.DeleteFunc(sb.subs, func(s *subscription) bool { return s == sub })
		sb.eng.WatchKeys(len(sb.subs) > 0)
	}
}
