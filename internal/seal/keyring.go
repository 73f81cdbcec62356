package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Keyring holds the AES keys of an encrypted cluster: a primary key that
// every datagram is sealed with, and any number of other keys that received
// datagrams may be sealed with. Opening tries the primary first, then the
// others in the order they were added.
//
// Accepting several keys at once is what makes rotation possible without
// downtime: install the new key on every node with AddKey, then make it
// primary everywhere with UseKey, then drop the old one everywhere with
// RemoveKey.
//
// Keys are 16, 24 or 32 bytes long, selecting AES-128, AES-192 or AES-256.
// The zero value is an empty keyring. All methods are safe for concurrent
// use, including while gossip runs; they copy keys in and out, so a caller
// may reuse its slices.
type Keyring struct {
	mu  sync.Mutex             // serialises writers
	set atomic.Pointer[keySet] // read without locking by the gossip loop
}

// keySet is an immutable snapshot of a keyring: primary first.
type keySet struct {
	keys  [][]byte
	aeads []cipher.AEAD
}

// NewKeyring returns a keyring holding keys and primary, with primary as the
// primary key (it is added if keys does not contain it). Duplicate keys are
// kept once. It fails if primary is empty or any key is not 16, 24 or 32
// bytes long.
func NewKeyring(keys [][]byte, primary []byte) (*Keyring, error) {
	k := &Keyring{}
	if err := k.Init(keys, primary); err != nil {
		return nil, err
	}
	return k, nil
}

// Init sets the keys of an empty keyring as NewKeyring does, for a keyring
// held by value.
func (k *Keyring) Init(keys [][]byte, primary []byte) error {
	if len(primary) == 0 {
		return errors.New("scuttlebutt: keyring needs a primary key")
	}
	s := &keySet{}
	for _, key := range append([][]byte{primary}, keys...) {
		var err error
		if s, err = s.with(key); err != nil {
			return err
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.set.Store(s)
	return nil
}

// ValidateKey checks an AES key's length.
func ValidateKey(key []byte) error {
	switch len(key) {
	case 16, 24, 32:
		return nil
	}
	return fmt.Errorf("scuttlebutt: key must be 16, 24 or 32 bytes, got %d", len(key))
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// index returns the position of key, or -1.
func (s *keySet) index(key []byte) int {
	for i, k := range s.keys {
		if bytes.Equal(k, key) {
			return i
		}
	}
	return -1
}

// with returns a copy of s with key appended, or s itself if it holds key.
func (s *keySet) with(key []byte) (*keySet, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	if s.index(key) >= 0 {
		return s, nil
	}
	return &keySet{
		keys:  append(s.keys[:len(s.keys):len(s.keys)], bytes.Clone(key)),
		aeads: append(s.aeads[:len(s.aeads):len(s.aeads)], aead),
	}, nil
}

// load returns the current snapshot; an empty one for a zero Keyring.
func (k *Keyring) load() *keySet {
	if s := k.set.Load(); s != nil {
		return s
	}
	return &keySet{}
}

// AddKey installs key, to be accepted on received datagrams. Adding a key
// already installed does nothing; on an empty keyring the key becomes the
// primary.
func (k *Keyring) AddKey(key []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, err := k.load().with(key)
	if err != nil {
		return err
	}
	k.set.Store(s)
	return nil
}

// UseKey makes an installed key the primary: every datagram sent from now on
// is sealed with it. It fails if the key is not installed.
func (k *Keyring) UseKey(key []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := k.load()
	i := s.index(key)
	if i < 0 {
		return errors.New("scuttlebutt: UseKey: key is not installed")
	}
	if i == 0 {
		return nil
	}
	n := &keySet{keys: make([][]byte, 0, len(s.keys)), aeads: make([]cipher.AEAD, 0, len(s.aeads))}
	n.keys = append(append(append(n.keys, s.keys[i]), s.keys[:i]...), s.keys[i+1:]...)
	n.aeads = append(append(append(n.aeads, s.aeads[i]), s.aeads[:i]...), s.aeads[i+1:]...)
	k.set.Store(n)
	return nil
}

// RemoveKey uninstalls key: datagrams sealed with it are dropped from now
// on. The primary key cannot be removed; removing a key that is not
// installed does nothing.
func (k *Keyring) RemoveKey(key []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := k.load()
	i := s.index(key)
	switch {
	case i < 0:
		return nil
	case i == 0:
		return errors.New("scuttlebutt: RemoveKey: cannot remove the primary key")
	}
	n := &keySet{
		keys:  append(s.keys[:i:i], s.keys[i+1:]...),
		aeads: append(s.aeads[:i:i], s.aeads[i+1:]...),
	}
	k.set.Store(n)
	return nil
}

// Keys returns copies of the installed keys, the primary first.
func (k *Keyring) Keys() [][]byte {
	s := k.load()
	keys := make([][]byte, len(s.keys))
	for i, key := range s.keys {
		keys[i] = bytes.Clone(key)
	}
	return keys
}

// PrimaryKey returns a copy of the primary key, or nil for an empty keyring.
func (k *Keyring) PrimaryKey() []byte {
	s := k.load()
	if len(s.keys) == 0 {
		return nil
	}
	return bytes.Clone(s.keys[0])
}
