package scuttlebutt

import "testing"

func TestChannelEventSendsEachType(t *testing.T) {
	ch := make(chan NodeEvent, 3)
	var n NotifyEvent = &ChannelEvent{Ch: ch}
	node := Node{ID: "a", GossipPublicAddress: "10.0.0.1:9111"}
	n.NotifyLive(node)
	n.NotifyUpdate(node)
	n.NotifyDead(node)
	for _, want := range []NodeEvent{
		{Event: NodeLive, Node: node},
		{Event: NodeUpdate, Node: node},
		{Event: NodeDead, Node: node},
	} {
		if got := <-ch; got != want {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	}
}

func TestChannelEventThroughDispatcher(t *testing.T) {
	ch := make(chan NodeEvent)
	d := newDispatcher(&ChannelEvent{Ch: ch})
	defer d.stop()
	evs := []NodeEvent{live("a"), update("a"), dead("a"), live("b")}
	d.push(evs...)
	for _, want := range evs {
		if got := recv(t, ch); got != want {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	}
}
