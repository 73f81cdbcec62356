// Package sim is a deterministic cluster simulator for scuttlebutt, the
// second driver of the protocol engine (internal/gossip) besides the
// library's own: it runs N engines, the code the library ships, on one
// goroutine, in virtual time, driven by an event queue, over a simulated
// network, and does for each engine what a driver must (sends its
// datagrams, resolves its seed names, wakes it when it asks, stops it when
// its leave is done). Every datagram is produced by the real encoder and
// consumed by the real decoder, and checked against the node's
// MaxPacketSize: an oversize datagram stops the run with an error.
//
// # Determinism
//
// A single seeded source decides everything: tick phases, per-link
// latencies, jitter, losses, duplications, reorderings, the engines' own
// seeds and the scenarios' choices. The same seed and parameters give the
// same run, byte for byte; Sim.TraceHash hashes every delivered datagram
// (time, sender, receiver, bytes) and every event (time, observer, type,
// subject) to check it.
//
// # Network
//
// Each directed link has its own latency (uniform in [L/2, 3L/2] for a mean
// L) plus per-datagram jitter; datagrams can be lost uniformly, duplicated,
// or held back so that later ones overtake them. Faults: symmetric
// partitions between groups (Partition, Heal), one-way link cuts (Cut,
// Restore), per-node loss of incoming and outgoing datagrams (SetNodeLoss),
// crashes (Crash), pauses (Pause, Resume: a frozen process that keeps its
// state), restarts with the same ID and a higher generation (Start
// again: the generation is the virtual time in ns) and graceful leaves
// (Leave: the node stops once a peer acknowledged, or after a timeout).
// Node i is "n%04d" at address "n%04d:7946" unless Options.Names says
// otherwise; it ticks every GossipInterval at a random phase.
//
// # Scenarios
//
// Every node runs the library's defaults (gossip.DefaultConfig, which the
// root package's DefaultLANConfig mirrors: 1 s rounds, fanout 3, phi 8,
// 1400-byte datagrams, compression on, changes pushed, K observers) unless
// Common says otherwise; the simulator's own defaults are the network's
// (2 ms ± 1 ms latency, no loss) and the scenarios' sizes.
//
// Quantiles (p50, p99) are golang.org/x/exp/stats's, interpolated between
// the closest ranks.
//
// Each scenario is a function taking a parameter struct that embeds Common
// and returning a *Result: Steady, Update, Crash, Churn, Partition, Loss,
// OneWay, FlipFlop, LossyFew, Bootstrap, DeleteStorm, GCPartition,
// MassRestart, LeaveRejoin, Counter. Scenarios lists them by name for
// examples/simulate. Except Bootstrap, every scenario first starts all nodes
// joining the first three and, unless Common.ColdStart, acquainted: each
// node is handed every other's ID, address and generation through the
// engine's own delta handling (Sim.Acquaint), as a finished bootstrap would
// leave it, so that a large run does not spend most of its time joining
// (Bootstrap measures joining, always from cold). Peers start live, as
// members heard from first-hand; their keys follow by gossip. The warm-up waits
// until the cluster has converged (or, in large clusters where some pair is
// always suspected, until membership is complete and 99.9 % of the pairs
// are live), lets the failure detectors settle for SettleRounds under the
// scenario's loss, and then measures.
//
// # Result fields (JSON names)
//
// Run description: scenario, nodes, seed, gossip_interval_seconds, fanout,
// phi_threshold, max_packet_size, observers (K), compression and push
// (whether Config.Compression is on and Config.DisablePush off), loss,
// latency_seconds; warmup_seconds and
// warmup_converged (identical state reached before measuring);
// virtual_seconds and wall_seconds of the whole run; node_rounds (gossip
// rounds run, summed over nodes). For bootstrap, warmup_seconds is when
// membership became complete (every node holds every other, 99.9 % of the
// pairs live), all_members_seconds when every node first saw all N members
// at once (-1: never), warmup_converged whether that happened, and
// converged_after_seconds when all first held identical state, all times
// since the start; bootstrap_seconds is the time from the last node's
// start until every node saw all N members live (-1: never). For join,
// join_state_seconds is the time from the joiner's start until it held
// every running node's state at its owner's version (-1: never, within
// the rounds), resolved to a tenth of a round, and join_peak_bytes_per_sec
// the most bytes any node sent in one second meanwhile.
//
// Update spread (update, loss, oneway, lossy-few): update_nodes (nodes
// other than the writer running throughout), update_missing (those that
// never held it), convergence_rounds_p50/p99/max and
// convergence_seconds_p50/p99/max (when each node first held the value,
// since the write).
//
// Failure detection (crash, loss, oneway): detection_pairs ((survivor,
// crashed node) pairs), detection_missing (pairs never reported dead),
// detection_seconds_p50/p99/max (first NodeDead since the crash).
// leave-rejoin reports leave_detection_seconds_p50/p99/max and
// leave_detection_missing the same way for the leave.
//
// NodeDead events of the measured phase, by cause: false_dead_events (the
// subject was running, not leaving, and reachable: same partition group,
// the observer receiving and the subject sending, not within the fault
// grace period after a partition heal, a restart or a node's total loss;
// partial loss and one-way cuts of single links do not make a node
// unreachable, since gossip relays around them); false_dead_per_node_hour
// (over the node-hours of the measured phase); false_dead_events_healthy
// (the part between healthy nodes: nodes that never had a per-node loss
// or a pause); fault_dead_events (the
// subject ran but a fault cut it off); true_dead_events (the subject was
// down or leaving); warmup_false_dead_events (false deaths before the
// measured phase). false_live_events counts NodeLive events about nodes
// that were down at the time (a crashed node revived by stale gossip, or
// news of a node that crashed moments after it was sent), and
// false_live_down_seconds_max the longest such a node had been down.
//
// Faulty nodes (lossy-few, flipflop: nodes with a per-node loss, counted
// from the start of their fault to its end, which for lossy-few is the end
// of the run): fault_nodes; fault_node_dead_per_observer_max and _min (the
// most and the fewest NodeDead events a healthy node, running throughout,
// emitted about one faulty node: every generation of it counts, so a node
// removed, readmitted and removed again counts 2);
// fault_node_live_per_observer_max (the same for NodeLive: a readmission);
// fault_node_dead_seconds_max (from the start of the fault to the last
// healthy node's first NodeDead about a faulty node, -1 if some healthy
// node never reported some faulty node dead); fault_node_removed_share_min
// (over the faulty nodes, the smallest share of the healthy running nodes
// that do not hold it live when the fault ends: 1 when every healthy node
// removed every faulty node); healthy_node_dead_events (NodeDead events of
// healthy nodes about running healthy nodes during the fault; what a
// faulty node reports is its own view and not counted);
// distinct_member_counts_max_healthy_after_60s (the most distinct member
// counts among healthy nodes at once, sampled from 60 s after the start of
// the fault to its end: 1 when the healthy nodes agree). These fields are
// absent from other scenarios.
//
// Counter (the leaderless counter of examples/counter: an increment of a
// random counter on a random node every -inc-every, queries of a random
// counter at random nodes, -queries a round, read with pncounter.Read;
// see Counter): counter_keys, increments, inc_every_seconds; queries
// (made while writes ran) and over them query_error_p50/p99/max (the true
// total minus the value read), complete_share (the share that said
// complete) and complete_while_wrong_share (the share that said complete
// and were wrong); queries_before_settled and
// complete_while_wrong_before_settled (the queries between the last
// increment and the moment every node held every increment, and those of
// them complete while wrong); queries_after_quiescence,
// complete_share_after_quiescence and complete_while_wrong_after_quiescence
// (the queries once writes stopped and every node held every increment,
// the share of them complete, and the number complete while wrong: 0
// unless the completeness rule fails); inc_visible_seconds_p50/p99/max
// (over the increments, the time until every other running node held it)
// and inc_visible_missing (increments some node never held);
// settled_seconds (from the last increment until every node held every
// increment, -1 if never); totals_exact (at the end, every running node
// reads every counter at its true total); read_error (the first error a
// query returned, if any). The traffic figures (bytes_per_node_per_sec_*,
// datagrams_per_node_per_sec_*) of counter cover the write phase only.
//
// Traffic in the measured phase, per node that ran at least half of it:
// bytes_per_node_per_sec_mean/p99/max, datagrams_per_node_per_sec_mean/
// p99/max; max_datagram_bytes is the largest datagram of the whole run.
//
// Agreement: converged (at the end, every running node sees every other
// running node live and all have equal Fingerprint: identical membership,
// generations and keys); converged_after_seconds (for scenarios that wait
// for it: time from the last fault to identical state, -1 if never, 0 if
// the scenario does not wait); distinct_member_counts_max (sampled once a
// gossip interval: how many different cluster sizes the running nodes
// report at once, the stability measure of the Rapid paper, 1 being
// perfect agreement; the max over the samples) and
// distinct_member_counts_max_healthy (the same over nodes that never had a
// per-node fault); stuck_pairs (at the end, (observer, subject) pairs of
// running nodes where the observer does not see the subject live).
//
// Lifecycle checks: stale_keys (delete-storm, gc-partition: deleted keys
// some node still holds live), missing_keys (gc-partition: current values
// some node lacks or holds an old value of), resets_needed (gc-partition:
// owners whose replica on the isolated node was, at the heal, older than
// their tombstone GC watermark, so that only a reset can repair it).
//
// dropped_outgoing and dropped_malformed sum the engines' counters of
// datagrams they could not fit or decode: 0 unless there is a bug.
// trace_hash identifies the run. notes explain anything unusual. sweep
// (loss only) holds one result per loss level; the top-level metrics of
// a sweep are the worst over its levels.
package sim
