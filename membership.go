package scuttlebutt

import (
	"math"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// setStatus moves a peer to a new liveness and emits the events it implies:
// NodeLive on becoming live (followed by a NodeUpdate held back while it was
// pending), NodeDead when a live node is convicted or leaves.
func (c *core) setStatus(n *nodeState, s liveness, now time.Time) {
	old := n.status
	if old == s {
		return
	}
	n.status = s
	n.statusSince = c.windowParams.mono(now)
	switch {
	case s == statusLive:
		c.emit(NodeLive, n)
		if n.updateHeld {
			n.updateHeld = false
			c.emit(NodeUpdate, n)
		}
	case old == statusLive:
		c.emit(NodeDead, n)
	}
}

// noteUpdate emits NodeUpdate for a peer whose user keys changed, or holds
// it back until the peer is confirmed live.
func (c *core) noteUpdate(n *nodeState) {
	if n == c.self {
		return
	}
	if n.status == statusPending {
		n.updateHeld = true
		return
	}
	c.emit(NodeUpdate, n)
}

// revive marks a peer live after evidence that it runs: a heartbeat increase
// or a datagram from it. The outage is not recorded as an interval, and what
// the detector learned before it is kept; a detector that never ran starts
// from FirstHeartbeatEstimate.
func (c *core) revive(n *nodeState, now time.Time) {
	if n.status == statusLive || n.status == statusLeft || n == c.self {
		return
	}
	c.resumeWindow(n, now)
	c.setStatus(n, statusLive, now)
}

// arrival feeds a live peer's failure detector a heartbeat arrival at now,
// folds the interval into the cluster-wide estimates, and refreshes the time
// until which the peer certainly stays below the threshold.
func (c *core) arrival(n *nodeState, now time.Time) {
	if last, m := n.window.lastMono(), c.windowParams.mono(now); last != noTime && m > last {
		c.noteInterval(time.Duration(m - last))
	}
	n.window.heartbeat(now)
	n.calmUntil = n.window.calmUntil()
}

// resumeWindow restarts n's detector clock at now without recording the gap
// since its last arrival (see revive).
func (c *core) resumeWindow(n *nodeState, now time.Time) {
	n.window.resume(now)
	n.calmUntil = n.window.calmUntil()
}

// observeHeartbeat records a heartbeat value for n learned from any peer.
func (c *core) observeHeartbeat(n *nodeState, hb uint64, now time.Time) {
	if hb <= n.heartbeat || n == c.self {
		return
	}
	n.heartbeat = hb
	if n.status == statusLive {
		c.arrival(n, now)
		return
	}
	c.revive(n, now)
}

// noteInterval folds a heartbeat inter-arrival time into exponentially
// weighted moving estimates of the mean and variance over all peers.
func (c *core) noteInterval(d time.Duration) {
	const alpha = 0.02
	x := float64(d)
	if c.intervalAvg == 0 {
		c.intervalAvg = x
		return
	}
	diff := x - c.intervalAvg
	c.intervalAvg += alpha * diff
	c.intervalVar = (1 - alpha) * (c.intervalVar + alpha*diff*diff)
}

// typicalInterval returns the mean interval between heartbeat increases of
// live peers and its standard deviation, or zeros before any was measured.
func (c *core) typicalInterval() (mean, sd time.Duration) {
	return time.Duration(c.intervalAvg), time.Duration(math.Sqrt(c.intervalVar))
}

// directContact treats a valid datagram from a known node as proof of life.
func (c *core) directContact(id string, now time.Time) {
	if n := c.nodes[id]; n != nil {
		c.revive(n, now)
	}
}

// checkPeers convicts live peers whose phi exceeds the threshold and removes
// peers that stayed dead, left or pending for DeadNodeGracePeriod. Each
// peer's window is judged with at least the mean and deviation of heartbeat
// intervals measured over all peers (typicalInterval): in a large cluster
// partial digests carry each heartbeat only every few rounds, at irregular
// intervals, and a window that has seen only a few heartbeats, often about
// one round apart, must not take the next long but normal gap for a failure.
// In a small cluster the floors equal what each window measures itself.
func (c *core) checkPeers(now time.Time) {
	fd := c.cfg.FailureDetectorConfig
	meanFloor, sdFloor := c.typicalInterval()
	m := c.windowParams.mono(now)
	for i := 0; i < len(c.sorted); i++ {
		n := c.sorted[i]
		if n == c.self {
			continue
		}
		switch n.status {
		case statusLive:
			if m < n.calmUntil {
				continue // phi is certainly at or below the threshold, floors or not
			}
			if phi := n.window.phiAtLeast(now, meanFloor, sdFloor); phi > fd.PhiThreshold {
				c.convictions.observe(phi)
				c.setStatus(n, statusDead, now)
			}
		default:
			if time.Duration(m-n.statusSince) > fd.DeadNodeGracePeriod {
				c.removeNode(n, now)
				i--
			}
		}
	}
	for id, g := range c.graves {
		if now.After(g.until) {
			delete(c.graves, id)
		}
	}
}

// buried reports whether a node's state at (generation, heartbeat) belongs to
// an incarnation that was removed, so it must not come back.
func (c *core) buried(id string, generation, heartbeat uint64) bool {
	g, ok := c.graves[id]
	if !ok {
		return false
	}
	return generation < g.generation || (generation == g.generation && heartbeat <= g.heartbeat)
}

// write records a local change of key (a set, a delete or the leave marker)
// under the next version.
func (c *core) write(key, value string, status uint8, now time.Time, expires time.Time) {
	s := c.self
	s.maxVersion++
	if old, ok := s.kvs[key]; ok {
		if old.status == wire.StatusDeleted {
			s.tombstones--
		}
		if !old.expires.IsZero() {
			s.ttls--
		}
	}
	s.put(&kvEntry{key: key, value: value, version: s.maxVersion, status: status, at: now, expires: expires})
	if status == wire.StatusDeleted {
		s.tombstones++
	}
	if !expires.IsZero() {
		s.ttls++
	}
	c.markChanged(s)
	c.noteKeyChange(s, key, value, status == wire.StatusDeleted)
}

// set writes a local key. Setting a key to its current value is a no-op
// (but replaces any TTL).
func (c *core) set(key, value string, now time.Time, ttl time.Duration) {
	var expires time.Time
	if ttl > 0 {
		expires = now.Add(ttl)
	}
	if e, ok := c.self.kvs[key]; ok && e.status == wire.StatusSet && e.value == value {
		if e.expires.IsZero() != expires.IsZero() {
			if e.expires.IsZero() {
				c.self.ttls++
			} else {
				c.self.ttls--
			}
		}
		e.expires = expires
		return
	}
	c.write(key, value, wire.StatusSet, now, expires)
}

// del deletes a local key; a tombstone carries the deletion to peers.
func (c *core) del(key string, now time.Time) {
	if e, ok := c.self.kvs[key]; !ok || e.status != wire.StatusSet {
		return
	}
	c.write(key, "", wire.StatusDeleted, now, time.Time{})
}

// expireTTLs deletes local keys whose TTL has passed, by the local clock.
func (c *core) expireTTLs(now time.Time) {
	s := c.self
	if s.ttls == 0 {
		return
	}
	var due []string
	for _, e := range s.sortedEntries() {
		if e.status == wire.StatusSet && !e.expires.IsZero() && !now.Before(e.expires) {
			due = append(due, e.key)
		}
	}
	for _, k := range due {
		c.del(k, now)
	}
}

// collectTombstones drops tombstones older than TombstoneGracePeriod and
// raises the node's GC watermark to the highest dropped version. Peers whose
// replica is older than the watermark are then reset (see delta.go).
func (c *core) collectTombstones(now time.Time) {
	grace := c.cfg.TombstoneGracePeriod
	for _, n := range c.sorted {
		if n.tombstones == 0 {
			continue
		}
		for _, e := range n.sortedEntries() {
			if e.status == wire.StatusDeleted && now.Sub(e.at) > grace {
				n.drop(e.key)
				n.tombstones--
				n.gcVersion = max(n.gcVersion, e.version)
			}
		}
	}
}

// markChanged queues n to be listed early in our next digests.
func (c *core) markChanged(n *nodeState) {
	if !n.changed {
		n.changed = true
		c.changedQ = append(c.changedQ, n.id)
	}
}

// markBehind records that a peer holds newer state of n than we do.
func (c *core) markBehind(n *nodeState) {
	if !n.behind {
		n.behind = true
		c.behindQ = append(c.behindQ, n.id)
	}
}

// markWanted records the ID of a node we have never heard of.
func (c *core) markWanted(id string) {
	if _, ok := c.wanted[id]; ok || len(c.wanted) >= maxWanted {
		return
	}
	c.wanted[id] = struct{}{}
	c.wantedQ = append(c.wantedQ, id)
}

// maxWanted bounds the IDs remembered from digests before their state arrives.
const maxWanted = 1024

// leave writes the leave marker and pushes it to peers at once. Peers that
// receive it report this node dead immediately and never revive this
// generation from gossip.
func (c *core) leave(now time.Time) {
	if c.leaveVersion == 0 {
		c.write(leftKey, "", wire.StatusLeft, now, time.Time{})
		c.leaveVersion = c.self.maxVersion
	}
	c.pushLeave()
}

// pushLeave sends a Syn to every live peer (or the usual targets when none
// is live), so that the marker travels in the Acks.
func (c *core) pushLeave() {
	var targets []string
	for _, n := range c.sorted {
		if n != c.self && n.status == statusLive {
			targets = append(targets, n.addr)
		}
	}
	if len(targets) == 0 {
		targets = c.gossipTargets()
	}
	for _, a := range targets {
		c.sendSyn(a)
	}
}
