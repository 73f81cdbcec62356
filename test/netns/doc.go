// Package netns holds the multi-host tests of the scuttlebutt agent: six
// hosts in Linux network namespaces on one private bridge, one agent
// process per host, and faults (loss, one-way cuts, partitions) made with
// nftables rules on the hosts' interfaces. The tests are in netns_test.go;
// they need root, ip (iproute2) and nft (nftables), and skip without them.
//
// Faults are rules on the netdev family's ingress and egress hooks of a
// host's interface, which drop a datagram silently, as a lossy wire does.
// (A drop in an inet output chain would make sendto fail with EPERM, which
// the agent would see as an error, not as loss.) The egress hook needs Linux
// 5.16 and nft 1.0.1; where it is missing, every drop is made on the
// receiving host's ingress hook instead, which the test logs.
//
// Nothing outside the namespaces the test creates is contacted: the hosts
// have addresses only on the bridge (10.201.0.0/24), no route out, and the
// test reaches their HTTP APIs from a socket opened inside the bridge's
// namespace.
package netns
