package scuttlebutt

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// Join contacts the seed nodes and returns nil once one of them answered.
// It waits at most five gossip intervals (at least 3 s, at most 30 s); see
// JoinContext for everything else, which applies to Join too. At the end
// of that wait the error wraps ErrJoinTimeout.
func (sb *Scuttlebutt) Join(seedNodes []string) error {
	var timeout time.Duration
	sb.mu.Lock()
	timeout = sb.eng.JoinTimeout()
	sb.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return sb.join(ctx, seedNodes, fmt.Errorf("%w within %v", ErrJoinTimeout, timeout))
}

// JoinContext contacts the seed nodes ("host:port"; names are resolved on
// each try) and returns nil once one of them answered, or an error once
// every seed refused this node or ctx ended.
//
// A malformed address is an error wrapping ErrInvalidConfig, at once,
// and nothing is contacted. A name that does not resolve is retried (it
// may appear later) and reported in the error. An error says per seed what
// happened, and wraps the cause of each: ErrClusterMismatch (the seed
// answered for another cluster), ErrAuthFailed (the seed's datagrams did
// not authenticate here, or it could not authenticate this node's: the
// keys differ, or only one side has one), the resolution error, and, when
// the wait ended with a seed that never answered, ErrJoinTimeout (with
// ctx.Err() when ctx ended). A cancelled ctx makes an error wrapping
// context.Canceled.
//
// Whatever the outcome, the node keeps retrying the seeds in the
// background whenever it has no live peer, so a node started before its
// seeds, or cut off from the cluster, joins on its own later. An empty
// list, or one naming only this node, returns nil. Concurrent joins end
// together when a seed of either answers.
func (sb *Scuttlebutt) JoinContext(ctx context.Context, seeds []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	return sb.join(ctx, seeds, nil)
}

// join runs a join until ctx ends; timeout is the cause reported when ctx
// reaches its deadline (nil: ctx's own error).
func (sb *Scuttlebutt) join(ctx context.Context, seeds []string, timeout error) error {
	for _, s := range seeds {
		if err := checkAddr(s, addrPeer); err != nil {
			return configError("seed %v", err)
		}
	}
	if len(seeds) == 0 {
		if sb.isClosed() {
			return ErrShutdown
		}
		return nil
	}
	ch := make(chan error, 1)
	if !sb.step(func(e *gossip.Engine, now time.Time) {
		sb.joins = append(sb.joins, ch)
		e.JoinUntil(now, seeds, time.Time{}) // ended below, when ctx ends
	}) {
		return ErrShutdown
	}
	var err error
	select {
	case err = <-ch:
	case <-sb.done:
		return ErrShutdown
	case <-ctx.Done():
		cause := joinCause(ctx.Err(), timeout)
		answered := false
		if !sb.step(func(e *gossip.Engine, now time.Time) {
			i := slices.Index(sb.joins, ch)
			if i < 0 {
				answered = true // ch holds the engine's verdict
				return
			}
			sb.joins = slices.Delete(sb.joins, i, i+1)
			err = e.JoinError(cause)
			if len(sb.joins) == 0 {
				e.StopJoin(now) // nobody waits: the background retries go on
			}
		}) {
			return ErrShutdown
		}
		if answered {
			err = <-ch
		}
	}
	if err == nil {
		sb.log.Info("joined", "seeds", seeds, "live", len(sb.LiveNodes()))
	} else {
		sb.log.Warn("join failed; retrying in the background while no peer is live", "seeds", seeds, "err", err)
	}
	return err
}

// joinCause is why a join ended with ctx: timeout at ctx's deadline if set,
// otherwise ctx's error.
func joinCause(err, timeout error) error {
	switch {
	case !errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("scuttlebutt: join cancelled: %w", err)
	case timeout != nil:
		return timeout
	}
	return fmt.Errorf("%w by the context's deadline: %w", ErrJoinTimeout, err)
}
