// Package freeport finds a free TCP port on 127.0.0.1 for a server a test starts in another
// process (the broker, the command), which must be told its port before it listens.
package freeport

import (
	"net"
	"testing"
)

// Port returns a port on 127.0.0.1 that nothing listened on a moment ago.
func Port(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
