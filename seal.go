package scuttlebutt

import (
	"errors"
	"io"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// sealer turns a framed body into the datagram sent, and a received datagram
// back into its plain body: compression (FlagCompressed) then encryption
// (FlagEncrypted), as the header's flags say. Only the gossip loop uses it.
type sealer struct {
	// keyring is nil when encryption is off. With a keyring every datagram
	// is sealed with its primary key and only sealed datagrams are accepted.
	keyring *Keyring
	nonces  io.Reader // nonce source; required with a keyring
	// plainLimit bounds a decompressed body (maxExpansion × MaxPacketSize).
	plainLimit int
	// scratch holds decrypted bodies; inflated decompressed ones. Allocated
	// on first use, reused for every datagram.
	scratch, inflated []byte
	// ratios are the running compression estimates, by message type.
	ratios [wire.MsgWrongCluster + 1]ratioEstimate
}

// errAuth marks datagrams that fail authentication: sealed with a key we do
// not hold, tampered with, or not sealed on an encrypted cluster (and the
// reverse).
var errAuth = errors.New("scuttlebutt: datagram failed authentication")

// errFlags marks a datagram with flags this version does not know.
var errFlags = errors.New("scuttlebutt: unknown header flags")

// newSealer returns the sealer for cfg, which must be normalized. nonces is
// the nonce source for encryption; the core never falls back to a default.
func newSealer(cfg *Config, nonces io.Reader) (sealer, error) {
	s := sealer{plainLimit: maxExpansion * cfg.MaxPacketSize, nonces: nonces}
	switch {
	case cfg.Keyring != nil && len(cfg.SecretKey) > 0:
		if err := cfg.Keyring.AddKey(cfg.SecretKey); err != nil {
			return sealer{}, err
		}
		if err := cfg.Keyring.UseKey(cfg.SecretKey); err != nil {
			return sealer{}, err
		}
		s.keyring = cfg.Keyring
	case cfg.Keyring != nil:
		s.keyring = cfg.Keyring
	case len(cfg.SecretKey) > 0:
		k, err := NewKeyring(nil, cfg.SecretKey)
		if err != nil {
			return sealer{}, err
		}
		s.keyring = k
	}
	if s.keyring != nil && nonces == nil {
		return sealer{}, errors.New("scuttlebutt: encryption needs a nonce source")
	}
	return s, nil
}

// overhead is exactly what seal adds to a body, beyond the header.
func (s *sealer) overhead() int {
	if s.keyring != nil {
		return encryptionOverhead
	}
	return 0
}

// seal returns the datagram for header (flags 0) and body; compressed says
// body is compressed. It does not modify either.
func (s *sealer) seal(header, body []byte, compressed bool) ([]byte, error) {
	out := make([]byte, len(header), len(header)+len(body)+s.overhead())
	copy(out, header)
	const flagsAt = 3
	if compressed {
		out[flagsAt] |= wire.FlagCompressed
	}
	if s.keyring == nil {
		return append(out, body...), nil
	}
	out[flagsAt] |= wire.FlagEncrypted
	return encrypt(s.keyring.load(), s.nonces, out, body)
}

// open returns the plain body of a received datagram, whose header bytes
// are header. The result may alias the sealer's buffers and is valid until
// the next call. Errors: errAuth, errOversize, errFlags, or a malformed
// compressed body.
func (s *sealer) open(header []byte, flags uint8, body []byte) ([]byte, error) {
	if flags&^(wire.FlagCompressed|wire.FlagEncrypted) != 0 {
		return nil, errFlags
	}
	if (flags&wire.FlagEncrypted != 0) != (s.keyring != nil) {
		return nil, errAuth
	}
	if s.keyring != nil {
		if s.scratch == nil {
			s.scratch = make([]byte, 0, s.plainLimit/maxExpansion)
		}
		plain, err := decrypt(s.keyring.load(), s.scratch, header, body)
		if err != nil {
			return nil, err
		}
		body = plain
	}
	if flags&wire.FlagCompressed != 0 {
		if s.inflated == nil {
			s.inflated = make([]byte, 0, s.plainLimit+1)
		}
		return decompress(s.inflated, body, s.plainLimit)
	}
	return body, nil
}

// countOpenError counts a datagram that could not be opened.
func (c *core) countOpenError(err error) {
	switch {
	case errors.Is(err, errAuth):
		c.stats.DroppedAuth++
	case errors.Is(err, errOversize):
		c.stats.DroppedOversize++
	default:
		c.stats.DroppedMalformed++
	}
}
