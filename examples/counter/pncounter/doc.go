// Package pncounter reads leaderless counters out of scuttlebutt node state.
//
// Every node publishes, in its own namespace, its running total of each
// counter it has incremented: key "counter/<name>", value a decimal int64.
// Only the owner writes its namespace and scuttlebutt replicates each node's
// latest version of it, so the per-node totals form a PN-counter CRDT: the
// value of a counter is the sum of the totals that a node holds, and every
// node that holds the same versions reads the same value, whatever order
// the increments were made and gossiped in.
//
// Read takes that sum on one node, through the Holder interface (the read
// side of a node, which an adapter over *scuttlebutt.Scuttlebutt or over a
// simulated engine provides; the package imports nothing of the library),
// and says whether the node's copy is complete: every member it sums has
// been confirmed recently as held at its latest version (see Read). Streak
// counts how many rounds a reading stayed the same.
package pncounter
