// Package protocol gives the module's internal packages (the simulator) access
// to the pure protocol core of package scuttlebutt without making it public
// API. Package scuttlebutt sets New when it is initialised; importing it is
// enough.
//
// New returns the core as a value whose methods are documented on the
// unexported rawCore type in package scuttlebutt (rawcore.go). Callers assert
// it to an interface of the methods they use.
package protocol

import (
	"io"
	"time"
)

// Datagram is an encoded datagram to send.
type Datagram struct {
	To   string
	Data []byte
}

// Params are the values a driver chooses for a core.
type Params struct {
	Addr       string    // advertised gossip address
	Generation uint64    // incarnation; must increase across restarts
	Seed       uint64    // seed of the core's random source
	Now        time.Time // start time
	// Nonces is the source of encryption nonces. Nil means a deterministic
	// stream derived from Seed, for simulation only: a real network needs
	// crypto/rand.Reader.
	Nonces io.Reader
}

// New builds a core from a *scuttlebutt.Config (passed as any to avoid an
// import cycle) and initial metadata. It is nil until package scuttlebutt is
// initialised.
var New func(cfg any, p Params, metadata map[string]string) (any, error)
