package wire

import (
	"fmt"
	"math"
	"strings"
)

// Fixed sample messages for the golden files and fuzz seeds. Between them
// they use every string and integer format up to 16 bits of length, both
// booleans, every status, array16, and nil as well as empty slices.

func sampleHeader() Header {
	return Header{Type: MsgSynAck, Flags: FlagCompressed, ClusterID: "prod-eu-west"}
}

func sampleSyn() Syn {
	return Syn{
		From: "10.0.0.1:7946",
		Digest: Digest{Complete: true, Entries: []DigestEntry{
			{ID: "node-a", Generation: 1700000000, Flags: 42, MaxVersion: 300, GCVersion: 0},
			{ID: "node-b", Generation: 1, Flags: 128, MaxVersion: 65536, GCVersion: 255},
			{ID: "node-c"},
			{ID: strings.Repeat("x", 32), Generation: math.MaxUint64, Flags: 1 << 32, MaxVersion: 1<<32 - 1, GCVersion: 65535},
		}},
	}
}

func sampleSynAck() SynAck {
	entries := make([]DigestEntry, 16) // array16
	for i := range entries {
		entries[i] = DigestEntry{ID: fmt.Sprintf("n%02d", i), Generation: 1700000000 + uint64(i), Flags: uint64(i * 100), MaxVersion: uint64(i), GCVersion: 0}
	}
	return SynAck{
		From:   "10.0.0.2:7946",
		Digest: Digest{Complete: false, Entries: entries},
		Delta: Delta{Nodes: []NodeDelta{
			{
				ID: "n03", Addr: "10.0.0.3:7946", Generation: 1700000003, Flags: 300,
				FromVersion: 0, MaxVersion: 3, GCVersion: 0, Reset: true,
				Entries: []Entry{
					{Key: "role", Value: "db", Version: 1, Status: StatusSet},
					{Key: "zone", Value: strings.Repeat("z", 300), Version: 2, Status: StatusSet},
					{Key: "tmp", Value: "", Version: 3, Status: StatusDeleted},
				},
			},
			{ID: "n04", Generation: 1700000004, Flags: 400, FromVersion: 7, MaxVersion: 0, GCVersion: 5, Entries: []Entry{}},
			{ID: "n05", Generation: 1700000005, Flags: 500, FromVersion: 9, MaxVersion: 10, GCVersion: 9,
				Entries: []Entry{{Key: "", Value: "", Version: 10, Status: StatusLeft}}},
		}},
	}
}

func sampleAck() Ack {
	return Ack{
		From: "10.0.0.1:7946",
		Delta: Delta{Nodes: []NodeDelta{
			{ID: "node-a", Addr: "10.0.0.1:7946", Generation: 1700000000, Flags: 43, MaxVersion: 1,
				Entries: []Entry{{Key: "k", Value: "v", Version: 1}}},
			{ID: "node-b", Generation: 1, FromVersion: 200},
		}},
	}
}

// Small edge-case messages: empty and nil collections, empty strings.
func edgeSyns() []Syn {
	return []Syn{{}, {Digest: Digest{Entries: []DigestEntry{}}}, {From: "a", Digest: Digest{Complete: true}}}
}

func edgeSynAcks() []SynAck {
	return []SynAck{{}, {Delta: Delta{Nodes: []NodeDelta{{}}}}}
}

func edgeAcks() []Ack {
	return []Ack{{}, {Delta: Delta{Nodes: []NodeDelta{}}}, {Delta: Delta{Nodes: []NodeDelta{{Entries: []Entry{{}}}}}}}
}
