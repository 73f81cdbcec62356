package scuttlebutt

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// What the node logs, through Config.StructuredLogger or Logger:
//
//   - info: membership changes: "joined", "node live" (first seen or
//     recovered), "node restarted" (a new generation), "node dead" (with
//     the verdict's reason and, when this node observed the peer, its
//     phi), "node left", "node collected";
//   - warn: an ID conflict; a peer that refused this node (another
//     cluster, a key mismatch) and every datagram dropped, by cause and
//     sender, once at once and then at most once per logEvery per cause
//     and sender while it persists, with the number not logged meanwhile;
//     a join that failed;
//   - debug: every datagram sent and received, with its type and size, and
//     this node's own datagrams coming back (a seed address naming it).
//
// Records made under sb.mu are queued and written after it is released, so
// that a slow handler never holds up the protocol.

// logEvery is how often a persisting drop or refusal is logged again.
const logEvery = 30 * time.Second

// logRecord is a record made under sb.mu, written after.
type logRecord struct {
	level slog.Level
	msg   string
	args  []any
}

// logLocked queues a record. sb.mu must be held.
func (sb *Scuttlebutt) logLocked(level slog.Level, msg string, args ...any) {
	sb.logq = append(sb.logq, logRecord{level, msg, args})
}

// takeLogs returns the queued records and forgets them. sb.mu must be held.
func (sb *Scuttlebutt) takeLogs() []logRecord {
	q := sb.logq
	sb.logq = nil
	return q
}

// writeLogs writes records taken with takeLogs.
func (sb *Scuttlebutt) writeLogs(q []logRecord) {
	for _, r := range q {
		sb.log.Log(context.Background(), r.level, r.msg, r.args...)
	}
}

// logEvent logs a membership event. sb.mu must be held.
func (sb *Scuttlebutt) logEvent(ev *gossip.Event) {
	id, addr, gen := ev.Node.ID, ev.Node.Addr, ev.Generation
	reason := eventReason(ev.Reason).String()
	switch {
	case ev.Type == gossip.NodeLive && ev.Reason == gossip.ReasonRestarted:
		args := []any{"peer", id, "addr", addr, "generation", gen}
		if sb.restarted.id == id {
			args = append(args, "previous_generation", sb.restarted.gen)
		}
		sb.logLocked(slog.LevelInfo, "node restarted", args...)
	case ev.Type == gossip.NodeLive:
		sb.logLocked(slog.LevelInfo, "node live", "peer", id, "addr", addr, "generation", gen, "reason", reason)
	case ev.Type == gossip.NodeDead && ev.Reason == gossip.ReasonRestarted:
		sb.restarted.id, sb.restarted.gen = id, gen // logged with the NodeLive that follows
		return
	case ev.Type == gossip.NodeDead && ev.Reason == gossip.ReasonLeft:
		sb.logLocked(slog.LevelInfo, "node left", "peer", id, "addr", addr, "generation", gen, "reason", reason)
	case ev.Type == gossip.NodeDead:
		args := []any{"peer", id, "addr", addr, "generation", gen, "reason", reason}
		if ev.PhiKnown {
			args = append(args, "phi", ev.Phi)
		}
		sb.logLocked(slog.LevelInfo, "node dead", args...)
	case ev.Type == gossip.NodeConflict && id == sb.cfg.Node.ID:
		sb.logLocked(slog.LevelWarn, "node ID conflict: another process uses this node's ID; the incarnation with the higher generation wins, stop or rename the other",
			"id", id, "other_addr", addr, "other_generation", gen, "generation", sb.eng.Generation(), "lost", gen > sb.eng.Generation())
	case ev.Type == gossip.NodeConflict:
		sb.logLocked(slog.LevelWarn, "node ID conflict: two processes use one peer's ID; the one with the higher generation wins, stop or rename the other",
			"peer", id, "other_addr", addr, "other_generation", gen)
	}
	sb.restarted.id = ""
}

// restartLog remembers a restart's NodeDead for the NodeLive that follows.
type restartLog struct {
	id  string
	gen uint64
}

// logNotices logs the engine's notices. sb.mu must be held.
func (sb *Scuttlebutt) logNotices(ns []gossip.Notice, now time.Time) {
	for _, n := range ns {
		switch n.Kind {
		case gossip.NoticeRefused:
			cause, msg := "auth", "datagram failed authentication: "
			if errors.Is(n.Err, ErrClusterMismatch) {
				cause, msg = "cluster_mismatch", "peer of another cluster: "
			}
			if ok, suppressed := sb.limiter.allow(cause+" "+n.Addr, now); ok {
				sb.logLocked(slog.LevelWarn, msg+n.Err.Error(), withSuppressed([]any{"from", n.Addr, "cause", cause}, suppressed)...)
			}
		case gossip.NoticeLoop:
			sb.logLocked(slog.LevelDebug, "received this node's own datagram: a seed address names this node; ignored", "from", n.Addr)
		case gossip.NoticeCollected:
			level := slog.LevelInfo
			if !n.Live {
				level = slog.LevelDebug // never a member here: nobody was told of it
			}
			sb.logLocked(level, "node collected", "peer", n.Node.ID, "addr", n.Node.Addr, "generation", n.Generation, "reason", ReasonCollected.String())
		}
	}
}

// logDrops logs the datagrams from addr that a Receive dropped, by cause
// (authentication failures are logged as refusals). sb.mu must be held.
func (sb *Scuttlebutt) logDrops(before, after gossip.Drops, from string, now time.Time) {
	for _, c := range [...]struct {
		cause string
		n     uint64
		why   string
	}{
		{"malformed", after.Malformed - before.Malformed, "datagram dropped: malformed"},
		{"cluster_mismatch", after.ClusterMismatch - before.ClusterMismatch, "datagram dropped: another cluster's"},
		{"oversize", after.Oversize - before.Oversize, "datagram dropped: over MaxPacketSize"},
	} {
		if c.n == 0 {
			continue
		}
		if ok, suppressed := sb.limiter.allow(c.cause+" "+from, now); ok {
			sb.logLocked(slog.LevelWarn, c.why, withSuppressed([]any{"from", from, "cause", c.cause}, suppressed)...)
		}
	}
}

// withSuppressed adds the count of records not logged since the last one.
func withSuppressed(args []any, suppressed int) []any {
	if suppressed > 0 {
		args = append(args, "not_logged_since", suppressed)
	}
	return args
}

// debugging reports whether debug records are written.
func (sb *Scuttlebutt) debugging() bool { return sb.log.Enabled(context.Background(), slog.LevelDebug) }

// logDatagram logs one datagram sent or received, at debug level.
func (sb *Scuttlebutt) logDatagram(msg, peerKey, peer string, b []byte) {
	sb.log.Debug(msg, peerKey, peer, "type", gossip.DatagramType(b), "bytes", len(b))
}
