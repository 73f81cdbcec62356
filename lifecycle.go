package scuttlebutt

import (
	"context"
	"fmt"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// Delete removes a key of this node everywhere: a tombstone carries the
// deletion to every peer, and is collected TombstoneGracePeriod later.
// Deleting an absent key is a no-op.
func (sb *Scuttlebutt) Delete(key string) error {
	return sb.write(func(e *gossip.Engine, now time.Time) error { return e.Delete(now, key) })
}

// SetWithTTL sets key like Set; this node deletes it once ttl has passed by
// its own clock, and peers see the deletion as for Delete. No peer's clock is
// trusted. Setting the key again replaces the TTL (Set clears it). A ttl that
// is not positive returns ErrInvalidTTL.
func (sb *Scuttlebutt) SetWithTTL(key, value string, ttl time.Duration) error {
	return sb.write(func(e *gossip.Engine, now time.Time) error { return e.SetWithTTL(now, key, value, ttl) })
}

// Leave announces a graceful departure, waits until at least one peer holds
// the announcement (or ctx ends), then shuts down. The announcement goes to
// every peer this node knows, those not confirmed live yet included (a
// joiner whose join just returned, a node heard of by gossip), so Leave
// right after Join is announced too. Peers report this node dead at once
// (NotifyDead) rather than after the failure detector's timeout, and stale
// gossip does not revive it; a node started again with the same ID joins as
// a new generation. Leave returns ctx's error if ctx ended first (the node is
// shut down all the same), and nil at once when no peer at all is known. A
// nil ctx is taken as context.Background().
func (sb *Scuttlebutt) Leave(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	done := make(chan struct{})
	if !sb.step(func(e *gossip.Engine, now time.Time) {
		sb.leave = done
		e.Leave(now)
	}) {
		return ErrShutdown
	}
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("scuttlebutt: leave not acknowledged: %w", ctx.Err())
	case <-sb.done:
		err = ErrShutdown
	}
	if serr := sb.Shutdown(); err == nil {
		err = serr
	}
	return err
}
