package main

import (
	"errors"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// frame returns the datagram for a header and a body. Only plaintext for
// now.
func frame(h wire.Header, body []byte, compress bool, keys [][]byte) ([]byte, error) {
	if compress || len(keys) > 0 {
		return nil, errors.New("compression and encryption are not supported yet")
	}
	return append(wire.AppendHeader(nil, &h), body...), nil
}

// unframe parses a received datagram into its header and plain body.
func unframe(b []byte, keys [][]byte) (wire.Header, []byte, error) {
	h, body, err := wire.ParseHeader(b)
	if err != nil {
		return h, nil, err
	}
	if h.Flags != 0 {
		return h, nil, errors.New("compressed or encrypted datagrams are not supported yet")
	}
	return h, body, nil
}
