package sim

// Pausing: a paused node is a frozen process (a suspended VM, a stopped
// container, a long stall). It keeps its engine and state but neither
// ticks nor receives: datagrams that reach it meanwhile are lost, and Do,
// Set, Delete and Leave refuse it. Its peers convict it as they would a
// crashed node; once resumed it carries on with the state it had, and its
// stale view of the cluster meets theirs.

// Pause freezes running node i until Resume.
func (s *Sim) Pause(i int) {
	if n := s.nodes[i]; n.up {
		n.paused = true
	}
}

// Resume thaws paused node i: it ticks at once, as an engine whose driver
// fell behind, and runs on from there. Deaths it reports, and deaths of it
// reported, within the fault grace are blamed on the pause.
func (s *Sim) Resume(i int) {
	n := s.nodes[i]
	if !n.up || !n.paused {
		return
	}
	n.paused = false
	n.faultEnd = s.now
	n.core.Tick(s.Now())
	s.drain(n)
}

// Paused reports whether the node is paused.
func (n *Node) Paused() bool { return n.paused }
