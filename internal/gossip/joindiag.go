package gossip

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Diagnosable joins. A seed that cannot take this node says so, as far as
// the protocol allows: a seed of another cluster answers a Syn with a bare
// WrongCluster header, and a seed that cannot authenticate a Syn (another
// key, or encryption on one side only) answers with an Unauthenticated
// notice sealed as it seals everything, which this node then cannot open
// either, or opens and reads. The first is never larger than the Syn, the
// second at most four times its size, as any answer to a sender not known
// (see replyLimit), and each is sent at most once per sender and ten gossip
// intervals. Each refusal reaches the driver as a Notice, and the
// join in progress keeps it per seed: a join whose every seed refused ends
// at once, and a join that ends without an answer says per seed what
// happened (JoinError).

// refusal is a peer's refusal: its Error says what happened, and it wraps
// ErrClusterMismatch or ErrAuthFailed.
type refusal struct {
	sentinel error
	why      string
}

func (r *refusal) Error() string { return r.why }
func (r *refusal) Unwrap() error { return r.sentinel }

// clusterRefusal is the refusal of a peer of cluster other.
func (e *Engine) clusterRefusal(other string) error {
	return &refusal{ErrClusterMismatch, fmt.Sprintf("answered for cluster %q, this node is in %q (ClusterID)", other, e.cfg.ClusterID)}
}

// authRefusal describes a datagram with header flags that did not open.
func (e *Engine) authRefusal(flags uint8) error {
	encrypted := flags&wire.FlagEncrypted != 0
	switch keyed := e.sealer.Keyring() != nil; {
	case encrypted && !keyed:
		return &refusal{ErrAuthFailed, "its datagrams are encrypted and this node has no key (SecretKey or Keyring)"}
	case !encrypted && keyed:
		return &refusal{ErrAuthFailed, "its datagrams are not encrypted and this node's are: it has no key"}
	}
	return &refusal{ErrAuthFailed, "its datagrams are sealed with a key this node does not hold"}
}

// errUnreadable is the refusal of a peer whose Unauthenticated notice this
// node could open: the peer accepts none of this node's datagrams.
var errUnreadable = &refusal{ErrAuthFailed, "it cannot authenticate this node's datagrams: it does not hold this node's primary key"}

// openFailed handles a datagram from addr that did not open: an
// authentication failure is a refusal by addr, and a Syn that did not
// authenticate is answered with an Unauthenticated notice.
func (e *Engine) openFailed(now time.Time, addr string, h *wire.Header, reqLen int, err error) {
	if !errors.Is(err, seal.ErrAuth) {
		return
	}
	e.refusedBy(addr, e.authRefusal(h.Flags))
	if h.Type == wire.MsgSyn {
		e.replyUnauthenticated(now, addr, reqLen)
	}
}

// replyUnauthenticated tells addr that its Syn did not authenticate, with
// a datagram at most unknownReplyFactor times the Syn's size, at most once
// per sender and ten gossip intervals.
func (e *Engine) replyUnauthenticated(now time.Time, addr string, reqLen int) {
	h := wire.Header{Type: wire.MsgUnauthenticated, ClusterID: e.cfg.ClusterID}
	if h.Size()+e.sealer.Overhead() > unknownReplyFactor*reqLen {
		return
	}
	d := &e.diag
	m, quiet := e.fd.Mono(now), int64(10*e.cfg.GossipInterval)
	if last, ok := d.lastUnauth[addr]; ok && m-last < quiet {
		return
	}
	if d.lastUnauth == nil {
		d.lastUnauth = make(map[string]int64)
	}
	if len(d.lastUnauth) >= maxWrongClusterPeers {
		for a, t := range d.lastUnauth {
			if m-t >= quiet {
				delete(d.lastUnauth, a)
			}
		}
		if len(d.lastUnauth) >= maxWrongClusterPeers {
			return
		}
	}
	data, err := e.sealer.Seal(h, nil, false)
	if err != nil {
		e.stats.DroppedOutgoing++
		return
	}
	d.lastUnauth[addr] = m
	e.emitDatagram(addr, data)
}

// refusedBy notes that the node at addr refused this node for err, tells
// the driver, and ends the join in progress when every seed it waits for
// refused.
func (e *Engine) refusedBy(addr string, err error) {
	e.notice(Notice{Kind: NoticeRefused, Addr: addr, Err: err})
	j := &e.join
	if _, ok := j.wait[addr]; !ok || !j.active {
		return
	}
	j.refused[addr] = err
	for _, name := range j.pending {
		if _, bad := j.errs[name]; bad {
			return // it may resolve later: wait for it
		}
		a, ok := j.resolved[name]
		if !ok {
			return
		}
		if _, refused := j.refused[a]; !refused && a != e.self.addr {
			return
		}
	}
	e.joinDone(e.JoinError(errJoinRefused))
}

// errJoinRefused ends a join whose every seed refused this node.
var errJoinRefused = errors.New("scuttlebutt: every seed refused this node")

// JoinError returns the error of the join in progress if it ended now for
// cause: cause, then for each seed what happened. It wraps cause and each
// seed's error (ErrClusterMismatch, ErrAuthFailed, a resolution error).
func (e *Engine) JoinError(cause error) error {
	j := &e.join
	je := &joinError{cause: cause}
	for _, name := range j.pending {
		a, resolved := j.resolved[name]
		se := &seedError{name: name, addr: a}
		switch err, bad := j.errs[name]; {
		case bad:
			se.addr, se.err = "", err
		case !resolved:
			se.err = errors.New("not resolved yet")
		case a == e.self.addr:
			continue // this node
		case j.refused[a] != nil:
			se.err = j.refused[a]
		default:
			se.err = errNoAnswer
		}
		je.seeds = append(je.seeds, se)
	}
	return je
}

// errNoAnswer is the fate of a seed that did not answer.
var errNoAnswer = errors.New("no answer")

// StopJoin ends the join in progress without reporting it: nobody waits
// for it any more. The seeds stay, and are contacted every round while no
// peer is live, as after any join.
func (e *Engine) StopJoin(now time.Time) {
	j := &e.join
	j.active, j.resolving = false, false
	clear(j.wait)
	e.settle(now)
}

// joinError is a failed join: why it ended, then each seed's fate.
type joinError struct {
	cause error
	seeds []error
}

func (je *joinError) Error() string {
	var b strings.Builder
	b.WriteString(je.cause.Error())
	for i, s := range je.seeds {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(s.Error())
	}
	return b.String()
}

func (je *joinError) Unwrap() []error { return append([]error{je.cause}, je.seeds...) }

// seedError is what happened to one seed of a join.
type seedError struct {
	name, addr string // addr: as resolved, when it differs from name
	err        error
}

func (s *seedError) Error() string {
	if s.addr != "" && s.addr != s.name {
		return fmt.Sprintf("seed %q (%s): %v", s.name, s.addr, s.err)
	}
	return fmt.Sprintf("seed %q: %v", s.name, s.err)
}

func (s *seedError) Unwrap() error { return s.err }

// JoinTimeout is how long Join waits for a seed: five gossip intervals, at
// least 3 s and at most 30 s.
func (e *Engine) JoinTimeout() time.Duration { return e.cfg.joinTimeout() }
