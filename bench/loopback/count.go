package main

import (
	"io"
	"log"
	"net"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// countingTransport is memberlist's own UDP/TCP transport, counting every
// byte it sends: datagrams, and what it writes on TCP streams (push/pull
// state exchanges), dialled or accepted. scuttlebutt counts its own in
// Stats.BytesSent.
type countingTransport struct {
	*memberlist.NetTransport
	sent    *atomic.Uint64
	streams chan net.Conn
}

// newCountingTransport binds a NetTransport to a free port on 127.0.0.1.
func newCountingTransport(sent *atomic.Uint64) (*countingTransport, error) {
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{"127.0.0.1"},
		Logger:    log.New(io.Discard, "", 0),
	})
	if err != nil {
		return nil, err
	}
	t := &countingTransport{NetTransport: nt, sent: sent, streams: make(chan net.Conn)}
	go func() {
		for c := range nt.StreamCh() {
			t.streams <- countingConn{Conn: c, sent: sent}
		}
	}()
	return t, nil
}

func (t *countingTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

func (t *countingTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	at, err := t.NetTransport.WriteToAddress(b, a)
	if err == nil {
		t.sent.Add(uint64(len(b)))
	}
	return at, err
}

func (t *countingTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

func (t *countingTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	c, err := t.NetTransport.DialAddressTimeout(a, timeout)
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c, sent: t.sent}, nil
}

func (t *countingTransport) StreamCh() <-chan net.Conn { return t.streams }

// countingConn counts the bytes written on a stream.
type countingConn struct {
	net.Conn
	sent *atomic.Uint64
}

func (c countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.sent.Add(uint64(n))
	return n, err
}
