package main

import (
	"crypto/rand"
	"fmt"

	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// inject frames its datagram and opens replies the way nodes do, with the
// library's own framing (internal/seal): the header, then the body,
// DEFLATE-compressed if FlagCompressed is set, then AES-GCM-sealed with the
// header as additional data if FlagEncrypted is set.

// newSealer returns a sealer for datagrams of any size UDP carries, with
// keys (the first the primary) or without encryption when keys is empty.
func newSealer(keys [][]byte) (*seal.Sealer, error) {
	cfg := seal.Config{MaxPacketSize: maxDatagram}
	if len(keys) > 0 {
		kr, err := seal.NewKeyring(keys[1:], keys[0])
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		cfg.Keyring, cfg.Nonces = kr, rand.Reader
	}
	return seal.New(cfg)
}

// frame returns the datagram for a header and a plain body: compressed if
// compress is set, encrypted with keys[0] if keys is not empty.
func frame(h wire.Header, body []byte, compress bool, keys [][]byte) ([]byte, error) {
	s, err := newSealer(keys)
	if err != nil {
		return nil, err
	}
	if compress {
		body = seal.Compress(nil, body)
	}
	return s.Seal(h, body, compress)
}

// unframe parses a received datagram into its header and plain body,
// decrypting with any of keys and decompressing as its flags say. The
// header is returned even when the body cannot be opened.
func unframe(b []byte, keys [][]byte) (wire.Header, []byte, error) {
	h, body, err := wire.ParseHeader(b)
	if err != nil {
		return h, nil, err
	}
	if h.Type == wire.MsgWrongCluster {
		return h, nil, nil // a bare header, never sealed
	}
	s, err := newSealer(keys)
	if err != nil {
		return h, nil, err
	}
	plain, err := s.Open(b[:len(b)-len(body)], h.Flags, body)
	if err != nil {
		return h, nil, err
	}
	return h, plain, nil
}
