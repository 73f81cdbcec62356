package gossip

import "time"

// A leave's audience. Leave announces the departure to every live peer,
// and also to the nodes that know this node but that it does not count as
// members yet: pending incarnations, and recent callers, nodes whose Syn
// it answered before it held their state (a joiner between its first Syn
// and its Ack, which lists this seed live as soon as the SynAck arrives).
// A leave waits for one of them to acknowledge; it ends at once only when
// nobody at all is known.

// callerWindow is how long, in gossip intervals, a caller stays in the
// audience of a leave.
const callerWindow = 10

// maxCallers bounds the callers remembered.
const maxCallers = 16

// caller is a node whose Syn this node answered before holding its state.
type caller struct {
	id, addr string
	at       int64 // phi.Params.Mono
}

// noteCaller remembers the sender of a Syn, node id at addr, if this node
// does not hold it.
func (e *Engine) noteCaller(now time.Time, addr, id string) {
	if e.nodes[id] != nil {
		return
	}
	d := &e.diag
	m := e.fd.Mono(now)
	for i := range d.callers {
		if d.callers[i].id == id {
			d.callers[i].addr, d.callers[i].at = addr, m
			return
		}
	}
	if len(d.callers) >= maxCallers {
		d.callers = d.callers[1:] // the oldest goes
	}
	d.callers = append(d.callers, caller{id: id, addr: addr, at: m})
}

// noteLeaveAudience takes, when a leave starts, the addresses it is
// announced to besides the live peers: pending incarnations, and callers of
// the last callerWindow intervals that are not held dead or departed.
func (e *Engine) noteLeaveAudience(now time.Time) {
	d := &e.diag
	d.audience = d.audience[:0]
	for _, n := range e.sorted {
		if n != e.self && n.status == statusPending {
			d.audience = appendUnique(d.audience, n.addr)
		}
	}
	old := e.fd.Mono(now) - int64(callerWindow*e.cfg.GossipInterval)
	for _, c := range d.callers {
		if n := e.nodes[c.id]; c.at >= old && (n == nil || n.status == statusPending) {
			d.audience = appendUnique(d.audience, c.addr)
		}
	}
	d.audience = deleteAddr(d.audience, e.self.addr)
}

// addLeaveAudience adds the leave's audience to targets.
func (e *Engine) addLeaveAudience(targets []string) []string {
	for _, a := range e.diag.audience {
		targets = appendUnique(targets, a)
	}
	return targets
}

// deleteAddr removes addr from addrs.
func deleteAddr(addrs []string, addr string) []string {
	out := addrs[:0]
	for _, a := range addrs {
		if a != addr && a != "" {
			out = append(out, a)
		}
	}
	return out
}
