package main

import (
	"fmt"
	"io"
	"sync"
)

// printer writes whole lines to w from any goroutine. Nothing is written
// after close.
type printer struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func newPrinter(w io.Writer) *printer { return &printer{w: w} }

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		_, _ = fmt.Fprintf(p.w, format+"\n", args...)
	}
}

func (p *printer) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
}
