// Command scuttlebutt runs a scuttlebutt cluster member as a long-lived
// agent, and talks to running agents and nodes.
//
//	scuttlebutt agent   -id web-1 -join 10.0.0.1:9111,10.0.0.2:9111 -set role=web
//	scuttlebutt members                       # the cluster as the local agent sees it
//	scuttlebutt get web-1 [role]              # a node's keys, or one of them
//	scuttlebutt set role=db -ttl 30s          # a key of the agent's node (needs -http-write)
//	scuttlebutt delete role
//	scuttlebutt watch                         # node events and key changes as they happen
//	scuttlebutt inject 10.0.0.1:9111 '{"type":"syn","from":"probe"}' -wait 1s
//
// The agent serves a JSON HTTP API, Prometheus metrics and a live dashboard
// (by default on 127.0.0.1:9112); the client subcommands use that API
// (-agent, or SCUTTLEBUTT_AGENT). inject speaks the gossip protocol itself:
// it sends one message, described in JSON, to a node's gossip port and
// prints the replies.
//
// Every flag can also be set from the environment: -join is
// SCUTTLEBUTT_JOIN, -key-file is SCUTTLEBUTT_KEY_FILE, and so on (upper
// case, dashes as underscores); a flag given on the command line wins. Run
// "scuttlebutt COMMAND -h" for each subcommand's flags.
//
// Exit codes: 0 success, 1 failure, 2 usage error.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// cli is what a subcommand runs with: its standard streams, environment and
// signals. Tests substitute every field.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// notify, if set, relays the given signals to ch (signal.Notify); nil
	// means the command receives no signals.
	notify func(ch chan<- os.Signal, sig ...os.Signal)
	stop   func(ch chan<- os.Signal)
}

// command is one subcommand.
type command struct {
	name    string
	args    string // synopsis of the arguments
	summary string
	run     func(ctx context.Context, c *cli, args []string) int
}

var commands = []command{
	{"agent", "[flags]", "run a cluster member until SIGINT or SIGTERM", runAgentCommand},
	{"members", "[-json]", "list the members the agent knows, with status, address and phi", runMembers},
	{"get", "NODE [KEY]", "print a node's keys, or the value of one", runGet},
	{"set", "KEY=VALUE [-ttl D]", "set a key of the agent's node", runSet},
	{"delete", "KEY", "delete a key of the agent's node", runDelete},
	{"watch", "[-json]", "print node events and key changes as they happen", runWatch},
	{"inject", "ADDR [JSON]", "send one gossip message to a node and print the replies", runInject},
}

func main() {
	c := &cli{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		notify: signal.Notify,
		stop:   signal.Stop,
	}
	os.Exit(run(context.Background(), c, os.Args[1:]))
}

// run runs the subcommand named by args[0] and returns the exit code.
func run(ctx context.Context, c *cli, args []string) int {
	if len(args) == 0 {
		usage(c.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if name == "help" && len(args) > 1 {
			if cmd, ok := lookup(args[1]); ok {
				return cmd.run(ctx, c, []string{"-h"})
			}
			fmt.Fprintf(c.stderr, "scuttlebutt: unknown command %q\n", args[1])
			return exitUsage
		}
		usage(c.stdout)
		return exitOK
	}
	cmd, ok := lookup(name)
	if !ok {
		fmt.Fprintf(c.stderr, "scuttlebutt: unknown command %q\n\n", name)
		usage(c.stderr)
		return exitUsage
	}
	return cmd.run(ctx, c, args[1:])
}

func lookup(name string) (command, bool) {
	for _, cmd := range commands {
		if cmd.name == name {
			return cmd, true
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("Usage: scuttlebutt COMMAND [flags] [arguments]\n\n")
	b.WriteString("A scuttlebutt cluster agent and its client.\n\nCommands:\n")
	for _, cmd := range commands {
		fmt.Fprintf(&b, "  %-8s %-20s %s\n", cmd.name, cmd.args, cmd.summary)
	}
	b.WriteString("\nEvery flag can also be set from the environment: SCUTTLEBUTT_ and the flag's\n")
	b.WriteString("name in upper case with dashes as underscores (-key-file: SCUTTLEBUTT_KEY_FILE).\n")
	b.WriteString("Run \"scuttlebutt COMMAND -h\" for a command's flags.\n")
	b.WriteString("Exit codes: 0 success, 1 failure, 2 usage error.\n")
	_, _ = io.WriteString(w, b.String())
}
