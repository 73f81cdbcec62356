package gossip

import "math/bits"

// Edge loss. The phi-accrual window adapts to the pace at which heartbeats
// arrive: a subject whose heartbeats mostly get lost (a bad link, a node
// dropping most of its packets) sends them at an irregular, slower pace
// that the window learns, and phi seldom crosses the threshold. Heartbeats
// are numbered, so an observer also knows how many of the last ones it
// missed: when fewer than lossMinHeard of the last lossWindow arrived,
// the edge is lossy and the observer alerts about the subject as if phi
// had crossed, until at least lossRecovered of the last lossWindow arrive
// again (the gap between the two keeps an edge near the bound from raising
// and withdrawing its alert over and over).
//
// The bound sits far from uniform network loss: at 30 % loss on every
// link, an edge looks lossy about once in a thousand checks, and a verdict
// needs H of the subject's observers at once; a node losing 80 % of its
// datagrams looks lossy to all of its observers within about lossWindow
// rounds.

const (
	lossWindow    = 16 // heartbeats
	lossMinHeard  = 7  // of lossWindow: lossy beyond a loss of 56 %
	lossRecovered = 10 // of lossWindow: no longer lossy below 38 %
)

// edgeLoss tracks which of the last lossWindow heartbeats of an edge
// arrived, and whether the edge is lossy.
type edgeLoss struct {
	heard uint32 // bit i: heartbeat (last - i) arrived
	span  uint64 // heartbeats the window covers so far, up to lossWindow
	bad   bool
}

// arrived notes heartbeat seq, after last (0: none yet), of a run the
// subject started at since: a subject sends to the observers its view of
// the membership gives it, and a gap between runs (it sent to others
// meanwhile) is no loss.
func (l *edgeLoss) arrived(seq, since, last uint64) {
	switch {
	case last == 0 || seq <= last:
		l.heard, l.span, l.bad = 1, 1, false // a new edge
		return
	case since > last:
		// A new run: what it sent this observer since counts, what
		// came before it does not.
		l.heard, l.span, l.bad = 1, min(seq-since+1, lossWindow), false
		l.judge()
		return
	}
	gap := seq - last
	if gap >= lossWindow {
		l.heard = 1
	} else {
		l.heard = l.heard<<gap | 1
	}
	l.span = min(l.span+gap, lossWindow)
	l.judge()
}

func (l *edgeLoss) judge() {
	if l.span >= lossWindow {
		k := bits.OnesCount32(l.heard & (1<<lossWindow - 1))
		l.bad = k < lossMinHeard || l.bad && k < lossRecovered
	}
}

// lossy reports whether the edge is lossy.
func (l *edgeLoss) lossy() bool { return l.bad }
