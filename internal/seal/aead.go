package seal

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
)

// Encrypted datagrams are sealed with AES-GCM:
//
//	header (with FlagEncrypted) || nonce (12 bytes) || ciphertext || tag (16 bytes)
//
// The header bytes (magic, version, type, flags and cluster ID) are the
// additional data, so none of them can be altered, and a datagram cannot be
// moved to another cluster or message type. The nonce is random, read from
// the sealer's nonce source, which a real node sets to crypto/rand.Reader: with
// 96-bit random nonces a key can seal about 2^32 datagrams before the chance
// of a repeated nonce reaches 2^-32, over a century at 1000 datagrams a
// second, so keys need not be rotated for that reason.

const (
	gcmNonceSize = 12
	gcmTagSize   = 16
	// encryptionOverhead is exactly what sealing adds to a body.
	encryptionOverhead = gcmNonceSize + gcmTagSize
)

// encrypt appends to dst, which holds the header (flags already set), the
// nonce and the sealed body, using the primary key of ks.
func encrypt(ks *keySet, nonces io.Reader, dst, body []byte) ([]byte, error) {
	if len(ks.aeads) == 0 {
		return nil, ErrAuth
	}
	header := dst
	n := len(dst)
	dst = append(dst, make([]byte, gcmNonceSize)...)
	nonce := dst[n:]
	if _, err := io.ReadFull(nonces, nonce); err != nil {
		return nil, fmt.Errorf("reading a nonce: %w", err)
	}
	return ks.aeads[0].Seal(dst, nonce, body, header[:n:n]), nil
}

// decrypt opens body (nonce || ciphertext || tag) with the header as
// additional data, trying the primary key first, then the others. The plain
// text is written to scratch, which must not overlap body, so that a failed
// attempt leaves body intact for the next key.
func decrypt(ks *keySet, scratch, header, body []byte) ([]byte, error) {
	if len(body) < encryptionOverhead {
		return nil, ErrAuth
	}
	nonce, ct := body[:gcmNonceSize], body[gcmNonceSize:]
	for _, aead := range ks.aeads {
		if plain, err := aead.Open(scratch[:0], nonce, ct, header); err == nil {
			return plain, nil
		}
	}
	return nil, ErrAuth
}

// SeededNonces returns a deterministic nonce stream for a simulated node:
// ChaCha8 keyed by seed. It must never be used on a real network, where
// nonces must come from crypto/rand.
func SeededNonces(seed uint64) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	copy(key[8:], "scuttlebutt nonce stream")
	return rand.NewChaCha8(key)
}
