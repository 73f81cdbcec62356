// Package gossip is the sans-IO protocol engine of scuttlebutt: one node's
// cluster state (every node's versioned keys and generations), scuttlebutt
// reconciliation (digests and deltas cut to fit a datagram, opened by the
// fingerprint of the view so that equal views cost two small datagrams,
// narrowed down by range fingerprints when views differ, and state
// streamed to a node that lacks most of it), changes
// pushed at once, liveness by K observers per node (direct heartbeats,
// phi-accrual and loss on each edge, alerts replicated as state, verdicts
// when most observers agree, admission and probation), tombstone
// collection, joining and leaving, and every timer those need.
//
// An Engine takes time and input as arguments (Tick, Receive, Join,
// SeedsResolved, Set, SetWithTTL, Delete, Leave) and hands back everything
// it wants done as one Ready value: datagrams to send, events to dispatch,
// seed names to resolve, the end of a join or a leave, and when it must be
// woken next. It starts no goroutine, reads no clock, touches no socket,
// resolves no name and uses no global randomness (a seed comes in Params),
// and nothing it does depends on map iteration order: the same inputs give
// the same outputs, byte for byte.
//
// Two drivers run it: package scuttlebutt's Scuttlebutt, in real time over
// a real transport, and internal/sim, thousands of engines in virtual time
// over a simulated network, so that what the simulator measures is what
// ships. The engine must not learn about either: no locks, no callbacks
// into user code, no public API types. It uses internal/phi for the
// detector's arithmetic, internal/seal for framing datagrams and
// internal/wire for their encoding.
package gossip
