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
// the changes that turn its old keys into its new ones, after the peer's
// NodeLive: a peer's changes are reported only while it is live.
//
// Delivery: this node's own changes are queued for fn by the Set, Delete or
// SetWithTTL call that makes them, so fn sees them within microseconds
// unless earlier notifications are still being delivered, never a gossip
// round later (a TTL expires at the first round after its deadline). A remote change is
// reported when it reaches this node: pushed at once by its writer to
// twice GossipNodes peers and its ring successor, which forward it once,
// it usually arrives within a few
// network round trips, and otherwise (a lost push, Config.DisablePush)
// through the periodic exchanges, within a few gossip rounds (about log3 N
// of them in a cluster of N nodes).
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
