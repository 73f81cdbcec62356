package scuttlebutt

// Stats is a snapshot of a node's counters.
type Stats struct {
	// PacketsSent and BytesSent count datagrams handed to the transport.
	PacketsSent uint64
	BytesSent   uint64
	// PacketsReceived and BytesReceived count every datagram read, valid or not.
	PacketsReceived uint64
	BytesReceived   uint64
	// DroppedMalformed counts datagrams that could not be parsed or decoded
	// (including unknown header flags and corrupt compressed bodies).
	DroppedMalformed uint64
	// DroppedAuth counts datagrams that failed authentication or were not
	// encrypted on an encrypted cluster (or the reverse).
	DroppedAuth uint64
	// DroppedClusterMismatch counts datagrams carrying another cluster ID.
	DroppedClusterMismatch uint64
	// DroppedOversize counts received datagrams larger than MaxPacketSize,
	// or whose body decompresses to more than four times MaxPacketSize.
	DroppedOversize uint64
	// DroppedOutgoing counts datagrams this node built but did not send
	// because they exceeded MaxPacketSize. Always 0 unless there is a bug.
	DroppedOutgoing uint64
	// WrongClusterReplies counts "wrong cluster" answers received: some
	// node of another cluster is in our seed list or the reverse.
	WrongClusterReplies uint64
	// Rounds counts gossip rounds.
	Rounds uint64
	// Phi is the current suspicion level of each live peer, by node ID.
	Phi map[string]float64
	// DatagramSizes is the histogram of the sizes, in bytes, of the
	// datagrams sent.
	DatagramSizes Histogram
	// RoundTrips is the histogram of exchange round trips, in seconds: from
	// a gossip round's Syn to the SynAck that answers it.
	RoundTrips Histogram
	// ConvictionPhi is the histogram of the phi of each peer at the moment
	// it was convicted (reported NodeDead by the failure detector).
	ConvictionPhi Histogram
}
