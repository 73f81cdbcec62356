package main

import (
	"github.com/scuttlego/scuttlebutt"
	"github.com/scuttlego/scuttlebutt/examples/counter/pncounter"
)

// holder is a node's view of the cluster as pncounter reads it.
type holder struct{ sb *scuttlebutt.Scuttlebutt }

// LocalID returns the node's ID.
func (h holder) LocalID() string { return h.sb.LocalNode().ID }

// LiveIDs returns the IDs of the node's live peers.
func (h holder) LiveIDs() []string { return ids(h.sb.LiveNodes()) }

// DeadIDs returns the IDs of the node's dead peers not yet collected.
func (h holder) DeadIDs() []string { return ids(h.sb.DeadNodes()) }

// NodeState returns the node's copy of a member's keys.
func (h holder) NodeState(nodeID string) (map[string]string, bool) { return h.sb.NodeState(nodeID) }

// Version returns how current the node's copy of a member's keys is.
func (h holder) Version(nodeID string) (pncounter.Version, bool) {
	v, ok := h.sb.NodeVersion(nodeID)
	return pncounter.Version{Generation: v.Generation, Held: v.Held, Seen: v.Seen, SeenAt: v.SeenAt}, ok
}

func ids(nodes []scuttlebutt.Node) []string {
	ids := make([]string, len(nodes))
	for i, n := range nodes {
		ids[i] = n.ID
	}
	return ids
}
