// Package wire is the scuttlebutt wire format: a fixed header followed by a
// msgpack body, with exact size functions so that builders can fill a
// datagram to the byte without encoding twice. The msgpack encoder
// (append.go) and decoder (decode.go) are hand-written; tests check them
// against go-msgpack.
//
// Datagram layout:
//
//	byte 0     Magic (0xB5)
//	byte 1     Version (1)
//	byte 2     message type (MsgSyn, MsgSynAck, MsgAck, MsgWrongCluster,
//	           MsgHeartbeat, MsgPush, MsgUnauthenticated, MsgSum, MsgRanges)
//	byte 3     flags (FlagCompressed, FlagEncrypted)
//	byte 4     length L of the cluster ID (0..255)
//	bytes 5..  the cluster ID (L bytes)
//	rest       the body: the message as a msgpack array (see below), possibly
//	           compressed and then encrypted as the flags say
//
// Every struct is encoded as a msgpack array of its fields in declaration
// order. Strings use the msgpack str formats (fixstr, str8, str16, str32),
// unsigned integers the smallest of positive fixint, uint8, uint16, uint32,
// uint64; booleans are one byte. A nil slice is encoded as msgpack nil
// and an empty one as an empty array, as go-msgpack does; both take one
// byte, decode back as nil and empty respectively, and mean the same.
// Decoding accepts any of the formats above for a field, not only the
// smallest, and nothing else (see decode.go).
package wire

//lint:file-ignore U1000 the _struct fields only carry go-msgpack's toarray tag; go-msgpack, the reference codec in tests, reads them by reflection

// Magic is the first byte of every datagram.
const Magic byte = 0xB5

// Version is the wire format version carried in byte 1. Version 2 added
// heartbeats and pushes; nodes of other versions drop each other's
// datagrams. Sums and Ranges came later as new message types within
// version 2.
const Version byte = 2

// MsgType identifies the message carried by a datagram.
type MsgType uint8

// Message types.
const (
	MsgSyn          MsgType = 1 // Syn: the initiator's digest
	MsgSynAck       MsgType = 2 // SynAck: the responder's digest and a delta for the initiator
	MsgAck          MsgType = 3 // Ack: the initiator's delta for the responder
	MsgWrongCluster MsgType = 4 // WrongCluster: empty body; "you reached another cluster"
	MsgHeartbeat    MsgType = 5 // Flags: a subject's heartbeat to one of its observers
	MsgPush         MsgType = 6 // Push: an unsolicited delta, forwarded once by those it is new to
	// MsgUnauthenticated: empty body, sealed as the sender seals; "what you
	// sent me did not authenticate here" (a key or encryption mismatch).
	MsgUnauthenticated MsgType = 7
	MsgSum             MsgType = 8 // Sum: the fingerprint of the sender's view, an exchange's cheap opening
	MsgRanges          MsgType = 9 // Ranges: range fingerprints, and digest entries of the ranges that differ

	// MaxMsgType is the highest message type.
	MaxMsgType = MsgRanges
)

// Header flags.
const (
	FlagCompressed uint8 = 1 << 0
	FlagEncrypted  uint8 = 1 << 1
)

// Entry status values.
const (
	StatusSet     uint8 = 0 // a live key/value
	StatusDeleted uint8 = 1 // a tombstone: the key was deleted at Version
	StatusLeft    uint8 = 2 // the node left the cluster (Key is empty)
)

// DigestEntry summarises what the sender holds for one node. A zero
// Generation means "I know this node's ID but none of its state".
type DigestEntry struct {
	_struct    struct{} `codec:",toarray"` //nolint:unused
	ID         string
	Generation uint64
	Flags      uint64 // DigestRemoved, or 0
	MaxVersion uint64
	GCVersion  uint64
}

// DigestEntry flags.
const (
	// DigestRemoved says the sender holds the incarnation removed: its
	// observers convicted it, or it left. The node itself, reading this
	// about its current incarnation, learns that it must rejoin.
	DigestRemoved uint64 = 1 << 0
)

// Digest lists (node, generation, flags, max version, GC watermark) for
// some or all of the nodes the sender knows. Complete is true when every
// node the sender holds state for is listed, so an absent node is one the
// sender has never heard of.
type Digest struct {
	_struct  struct{} `codec:",toarray"` //nolint:unused
	Complete bool
	Entries  []DigestEntry
}

// Entry is one versioned key of a node.
type Entry struct {
	_struct struct{} `codec:",toarray"` //nolint:unused
	Key     string
	Value   string
	Version uint64
	Status  uint8
}

// NodeDelta carries the entries of one node that the receiver lacks, in
// ascending version order with no gaps: every entry the sender holds with
// FromVersion < version <= the last entry's version is present.
type NodeDelta struct {
	_struct     struct{} `codec:",toarray"` //nolint:unused
	ID          string
	Addr        string // the node's gossip address; set when FromVersion is 0
	Generation  uint64
	Flags       uint64 // reserved: 0
	FromVersion uint64 // entries are newer than this version
	MaxVersion  uint64 // the sender's max version when the delta is complete; 0 when cut
	GCVersion   uint64 // the sender's tombstone GC watermark for the node
	Reset       bool   // the receiver must drop its state for the node first
	Entries     []Entry
}

// Delta is a set of node deltas, most urgent first.
type Delta struct {
	_struct struct{} `codec:",toarray"` //nolint:unused
	Nodes   []NodeDelta
}

// Syn opens an exchange: the initiator's digest.
type Syn struct {
	_struct struct{} `codec:",toarray"` //nolint:unused
	From    string
	Digest  Digest
}

// SynAck answers a Syn: the responder's digest and what the initiator lacks.
type SynAck struct {
	_struct struct{} `codec:",toarray"` //nolint:unused
	From    string
	Digest  Digest
	Delta   Delta
}

// Ack closes an exchange: what the responder lacks.
type Ack struct {
	_struct struct{} `codec:",toarray"` //nolint:unused
	From    string
	Delta   Delta
}

// Heartbeat is what a node sends each round to each of its observers: the
// arrival times feed the observer's failure detector for that one edge.
type Heartbeat struct {
	_struct    struct{} `codec:",toarray"` //nolint:unused
	From       string
	Generation uint64 // the sender's incarnation
	Seq        uint64 // the sender's heartbeat counter, one more each round
	Since      uint64 // the Seq of the first heartbeat the sender sent this observer in a row
	Heard      uint64 // how many of the sender's subjects it heard from lately
	Subjects   uint64 // how many subjects the sender watches
	MaxVersion uint64 // the sender's own max version, so an observer sees it is behind
}

// Sum opens an exchange for the price of a heartbeat: the fingerprint of
// the sender's whole view (see the gossip package's fingerprint.go). A
// receiver whose view has the same fingerprint answers with its own Sum,
// Answer set, and the exchange is over; one whose view differs opens a full
// exchange with a Syn instead, or range reconciliation with a Ranges. An
// Answer is never answered.
type Sum struct {
	_struct     struct{} `codec:",toarray"` //nolint:unused
	From        string
	Generation  uint64 // the sender's incarnation
	Nodes       uint64 // how many nodes the sender's view holds
	Fingerprint uint64 // the sum of their hashes
	Answer      bool   // an answer to a Sum with the same fingerprint
}

// Range names a part of the node ID space: the IDs whose 64-bit range key
// (see the gossip package's ranges.go) starts with the 4*Depth bits of
// Prefix, and says how many nodes the sender holds there and the
// fingerprint of their digest entries. In a Ranges' Covered list the two
// counts are 0.
type Range struct {
	_struct     struct{} `codec:",toarray"` //nolint:unused
	Depth       uint64   // 1 to 3: the range is one of 16^Depth
	Prefix      uint64   // below 16^Depth
	Nodes       uint64
	Fingerprint uint64
}

// Ranges is one step of range-based set reconciliation, sent when two
// views' fingerprints differ. Ranges lists range fingerprints for the
// receiver to compare with its own: it answers a range that differs with
// the fingerprints of its 16 sub-ranges, or, when the range holds few
// nodes, by listing them. Covered lists such ranges and Digest every node
// the sender holds in them; the receiver answers it as a Syn whose digest
// is complete within those ranges, with a SynAck.
type Ranges struct {
	_struct    struct{} `codec:",toarray"` //nolint:unused
	From       string
	Generation uint64 // the sender's incarnation
	Ranges     []Range
	Covered    []Range
	Digest     Digest // Complete is false
}

// Push carries changes as soon as they are made: the writer sends its new
// entries to a few peers, and each peer that learns something new from it
// forwards that part once, one hop further, up to a bound on Hops.
type Push struct {
	_struct struct{} `codec:",toarray"` //nolint:unused
	From    string
	Hops    uint64 // forwards so far: 0 when From is the writer
	Delta   Delta
}
