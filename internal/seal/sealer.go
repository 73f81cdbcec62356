// Package seal frames message bodies for the wire and back: DEFLATE
// compression when it makes a body smaller, AES-GCM sealing with the header
// as additional data, the keyring of an encrypted cluster, and the fitting
// of a message into one datagram of at most MaxPacketSize. It owns no
// protocol state: the engine hands it bodies and messages that know how to
// cut themselves (Message), and gets datagrams back. It does no IO.
package seal

import (
	"errors"
	"io"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Errors of opening and sealing.
var (
	// ErrAuth marks datagrams that fail authentication: sealed with a key
	// we do not hold, tampered with, or not sealed on an encrypted cluster
	// (and the reverse).
	ErrAuth = errors.New("datagram failed authentication")
	// ErrFlags marks a datagram with header flags this version does not know.
	ErrFlags = errors.New("unknown header flags")
	// ErrOversize marks a body that decompresses beyond MaxExpansion times
	// MaxPacketSize.
	ErrOversize = errors.New("decompressed body too large")
	// ErrUnfit marks a sealed datagram over its limit: a bug, never expected.
	ErrUnfit = errors.New("sealed datagram over its limit")
	// ErrNoNonces is returned by New for encryption without a nonce source.
	ErrNoNonces = errors.New("encryption needs a nonce source")
)

// Config configures a Sealer.
type Config struct {
	// MaxPacketSize is the largest datagram sent or accepted.
	MaxPacketSize int
	// Compress makes Frame compress bodies when that makes them smaller.
	// Compressed datagrams are opened whatever it says.
	Compress bool
	// Keyring, when set, seals every datagram with its primary key and
	// accepts only datagrams sealed with one of its keys. The sealer uses
	// it itself, not a copy, so that keys can be rotated while it runs.
	Keyring *Keyring
	// Nonces is the source of AES-GCM nonces, required with a Keyring:
	// crypto/rand.Reader on a real network, SeededNonces in simulation.
	Nonces io.Reader
}

// Sealer turns framed bodies into datagrams and datagrams back into bodies,
// as the header's flags say: compression (FlagCompressed) then encryption
// (FlagEncrypted). One node's engine owns one; it is not safe for
// concurrent use (its Keyring is).
type Sealer struct {
	keyring  *Keyring
	nonces   io.Reader
	compress bool
	// plainLimit bounds a decompressed body (MaxExpansion × MaxPacketSize).
	plainLimit int
	// scratch holds decrypted bodies; inflated decompressed ones. Allocated
	// on first use, reused for every datagram.
	scratch, inflated []byte
	// ratios are the running compression estimates, by message type.
	ratios [wire.MaxMsgType + 1]ratioEstimate
}

// New returns a sealer for cfg. It never modifies cfg.Keyring.
func New(cfg Config) (*Sealer, error) {
	if cfg.Keyring != nil && cfg.Nonces == nil {
		return nil, ErrNoNonces
	}
	return &Sealer{
		keyring:    cfg.Keyring,
		nonces:     cfg.Nonces,
		compress:   cfg.Compress,
		plainLimit: MaxExpansion * cfg.MaxPacketSize,
	}, nil
}

// Keyring returns the keyring the sealer uses, nil when encryption is off.
func (s *Sealer) Keyring() *Keyring { return s.keyring }

// Overhead is exactly what sealing adds to a body, beyond the header.
func (s *Sealer) Overhead() int {
	if s.keyring != nil {
		return encryptionOverhead
	}
	return 0
}

// Seal returns the datagram for header h (whose flags it sets) and body;
// compressed says body is compressed. It does not modify body.
func (s *Sealer) Seal(h wire.Header, body []byte, compressed bool) ([]byte, error) {
	h.Flags = 0
	if compressed {
		h.Flags |= wire.FlagCompressed
	}
	if s.keyring != nil {
		h.Flags |= wire.FlagEncrypted
	}
	out := wire.AppendHeader(make([]byte, 0, h.Size()+len(body)+s.Overhead()), &h)
	if s.keyring == nil {
		return append(out, body...), nil
	}
	return encrypt(s.keyring.load(), s.nonces, out, body)
}

// Open returns the plain body of a received datagram, whose header bytes
// are header and flags its flags. The result may alias the sealer's
// buffers and is valid until the next call. Errors: ErrAuth, ErrOversize,
// ErrFlags, or a malformed compressed body.
func (s *Sealer) Open(header []byte, flags uint8, body []byte) ([]byte, error) {
	if flags&^(wire.FlagCompressed|wire.FlagEncrypted) != 0 {
		return nil, ErrFlags
	}
	if (flags&wire.FlagEncrypted != 0) != (s.keyring != nil) {
		return nil, ErrAuth
	}
	if s.keyring != nil {
		if s.scratch == nil {
			s.scratch = make([]byte, 0, s.plainLimit/MaxExpansion)
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
