package sim

import (
	"github.com/scuttlego/scuttlebutt/examples/counter/pncounter"
	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// counterHolder is a running node's engine as pncounter reads it: the
// simulated counterpart of examples/counter's adapter over the library.
type counterHolder struct {
	s *Sim
	n *Node
}

// LocalID returns the node's ID.
func (h counterHolder) LocalID() string { return h.n.id }

// LiveIDs returns the IDs of the node's live peers.
func (h counterHolder) LiveIDs() []string { return nodeIDs(h.n.core.LiveNodes()) }

// DeadIDs returns the IDs of the node's dead peers not yet collected.
func (h counterHolder) DeadIDs() []string { return nodeIDs(h.n.core.DeadNodes()) }

// NodeState returns the node's copy of a member's keys.
func (h counterHolder) NodeState(nodeID string) (map[string]string, bool) {
	return h.n.core.NodeState(nodeID)
}

// Version returns how current the node's copy of a member's keys is.
func (h counterHolder) Version(nodeID string) (pncounter.Version, bool) {
	v, ok := h.n.core.NodeVersion(nodeID, h.s.Now())
	return pncounter.Version{Generation: v.Generation, Held: v.Held, Seen: v.Seen, SeenAt: v.SeenAt}, ok
}

func nodeIDs(nodes []gossip.Node) []string {
	ids := make([]string, len(nodes))
	for i, n := range nodes {
		ids[i] = n.ID
	}
	return ids
}
