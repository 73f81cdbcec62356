package main

import (
	"context"
	"sync"
)

// runSingle runs one node, opts.id, which joins opts.join in the
// background, until ctx ends; then it leaves.
func runSingle(ctx context.Context, opts options, p *printer) error {
	n, err := startNode(opts, nodeConfig{id: opts.id, listen: opts.listen, http: opts.http, state: opts.state}, p)
	if err != nil {
		return err
	}
	var joining sync.WaitGroup
	if len(opts.join) > 0 {
		// Join waits for a seed; the node gossips and serves meanwhile.
		joining.Go(func() { n.join(p, opts.join) })
	}
	<-ctx.Done()
	err = n.leave(p) // also ends a Join in progress
	joining.Wait()
	return err
}
