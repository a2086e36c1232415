//go:build !linux

package plugintest

import "os/exec"

// dieWithParent does nothing where the kernel cannot tie the plugin's life to the test's.
func dieWithParent(*exec.Cmd) {}
