package plugintest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the plugin when the test process dies, so that an
// interrupted test run leaves no plugin behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
