package scuttlebutt

// Node represents a node in the cluster.
type Node struct {
	// ID is the name of the node, which must be unique in the cluster.
	ID string
	// GossipPublicAddress is the "host:port" address advertised to other
	// cluster members. Empty means the bound address.
	GossipPublicAddress string
}
