package scuttlebutt

import "github.com/scuttlego/scuttlebutt/internal/seal"

// Keyring holds the AES keys of an encrypted cluster: a primary key that
// every datagram is sealed with, and any number of other keys that received
// datagrams may be sealed with. Opening tries the primary first, then the
// others in the order they were added.
//
// Accepting several keys at once is what makes rotation possible without
// downtime (see the README's Security section): install the new key on every
// node with AddKey, then make it primary everywhere with UseKey, then drop
// the old one everywhere with RemoveKey. At every step each node can open
// what every other node sends, so no node is ever reported dead.
//
// Keys are 16, 24 or 32 bytes long, selecting AES-128, AES-192 or AES-256.
// Create a Keyring with NewKeyring; the zero value is an empty keyring. All
// methods are safe for concurrent use, including while gossip runs; they
// copy keys in and out, so a caller may reuse its slices.
type Keyring struct {
	k seal.Keyring
}

// NewKeyring returns a keyring holding keys and primary, with primary as the
// primary key (it is added if keys does not contain it). Duplicate keys are
// kept once. It fails if primary is empty or any key is not 16, 24 or 32
// bytes long.
func NewKeyring(keys [][]byte, primary []byte) (*Keyring, error) {
	k := &Keyring{}
	if err := k.k.Init(keys, primary); err != nil {
		return nil, err
	}
	return k, nil
}

// AddKey installs key, to be accepted on received datagrams. Adding a key
// already installed does nothing; on an empty keyring the key becomes the
// primary.
func (k *Keyring) AddKey(key []byte) error { return k.k.AddKey(key) }

// UseKey makes an installed key the primary: every datagram sent from now on
// is sealed with it. It fails if the key is not installed.
func (k *Keyring) UseKey(key []byte) error { return k.k.UseKey(key) }

// RemoveKey uninstalls key: datagrams sealed with it are dropped from now
// on. The primary key cannot be removed; removing a key that is not
// installed does nothing.
func (k *Keyring) RemoveKey(key []byte) error { return k.k.RemoveKey(key) }

// Keys returns copies of the installed keys, the primary first.
func (k *Keyring) Keys() [][]byte { return k.k.Keys() }

// PrimaryKey returns a copy of the primary key, or nil for an empty keyring.
func (k *Keyring) PrimaryKey() []byte { return k.k.PrimaryKey() }

// Keyring returns the live keyring of an encrypted node, through which keys
// can be rotated while it runs, or nil when encryption is off. It is
// Config.Keyring when one was given, with Config.SecretKey installed as its
// primary if both were set; otherwise a keyring holding Config.SecretKey.
func (sb *Scuttlebutt) Keyring() *Keyring { return sb.keyring }
