// Package chdbtest runs current ClickHouse inside `go test`: chDB, the ClickHouse engine built as a
// library (libchdb.so from npm's @chdb/lib-linux-x64-gnu), loaded into the test process. DB gives
// a test a fresh, migrated database behind the same driver.Conn interface that the project's code
// takes for the 18.16 server (internal/testkit/chtest), so the same code runs on both engines.
//
// The library is looked up in CXSTAR_CHDB_LIB, then in ~/.cache/cxstar/chdb (where .ci/run installs
// it with npm). Tests that call DB fail, never skip, when it is missing; the message says how to
// install it.
//
// chDB runs one engine per process with one data folder; every test gets its own connection (with
// its own current database) to that engine, which stays up until the process exits. Queries and
// inserts travel in ClickHouse's Native format and are decoded and encoded by clickhouse-go's own
// column code, so values scan into Go types as they do from the 18.16 server.
package chdbtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"github.com/ebitengine/purego"
)

// Version is the chDB release the project tests against (npm package @chdb/lib-linux-x64-gnu).
const Version = "26.7.3-stable.1"

// CacheDir is where .ci/run installs the library with npm, relative to the home folder.
const CacheDir = ".cache/cxstar/chdb"

const libInPackage = "node_modules/@chdb/lib-linux-x64-gnu/libchdb.so"

// InstallCommand is the shell command that installs the library where LibPath looks for it.
const InstallCommand = "npm install --prefix ~/" + CacheDir + " --no-audit --no-fund @chdb/lib-linux-x64-gnu@" + Version

// LibPath returns the path of libchdb.so: $CXSTAR_CHDB_LIB when set, else the npm cache of
// .ci/run. The error says how to install it.
func LibPath() (string, error) {
	p := os.Getenv("CXSTAR_CHDB_LIB")
	if p == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("locate libchdb.so: no home folder (%w); set CXSTAR_CHDB_LIB to the library's path", err)
		}
		p = filepath.Join(home, CacheDir, libInPackage)
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("current ClickHouse (chDB %s) is required for this test and %s is missing: install it with `%s` "+
			"(.ci/run does), or set CXSTAR_CHDB_LIB to a libchdb.so: %w", Version, p, InstallCommand, err)
	}
	return p, nil
}

// engine is the loaded library and the process's one engine.
type engine struct {
	connect    func(argc int32, argv unsafe.Pointer) unsafe.Pointer
	closeConn  func(conn unsafe.Pointer)
	queryN     func(conn unsafe.Pointer, q unsafe.Pointer, qlen uintptr, f unsafe.Pointer, flen uintptr) unsafe.Pointer
	resBuf     func(r unsafe.Pointer) *byte
	resLen     func(r unsafe.Pointer) uintptr
	resErr     func(r unsafe.Pointer) string
	destroy    func(r unsafe.Pointer)
	args       []string
	anchor     unsafe.Pointer // kept open: closing the last connection shuts the engine down
	version    string
	dataFolder string
}

var (
	engOnce sync.Once
	eng     *engine
	engErr  error
)

// start loads the library and boots the engine once per process.
func start() (*engine, error) {
	engOnce.Do(func() { eng, engErr = boot() })
	return eng, engErr
}

func boot() (e *engine, err error) {
	path, err := LibPath()
	if err != nil {
		return nil, err
	}
	lib, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("load %s (reinstall with `%s`): %w", path, InstallCommand, err)
	}
	defer func() {
		// RegisterLibFunc panics on a missing symbol: a library of another chDB generation.
		if r := recover(); r != nil {
			e, err = nil, fmt.Errorf("%s lacks a function of the chDB C API (want chDB %s; `%s`): %v", path, Version, InstallCommand, r)
		}
	}()
	e = &engine{}
	purego.RegisterLibFunc(&e.connect, lib, "chdb_connect")
	purego.RegisterLibFunc(&e.closeConn, lib, "chdb_close_conn")
	purego.RegisterLibFunc(&e.queryN, lib, "chdb_query_n")
	purego.RegisterLibFunc(&e.resBuf, lib, "chdb_result_buffer")
	purego.RegisterLibFunc(&e.resLen, lib, "chdb_result_length")
	purego.RegisterLibFunc(&e.resErr, lib, "chdb_result_error")
	purego.RegisterLibFunc(&e.destroy, lib, "chdb_destroy_query_result")
	var signals func(enabled bool)
	purego.RegisterLibFunc(&signals, lib, "chdb_set_signal_handlers_enabled")
	// The engine's crash handlers would take SIGSEGV from the Go runtime, which turns a nil
	// dereference into a panic with a stack trace.
	signals(false)

	removeStale()
	if e.dataFolder, err = os.MkdirTemp("", fmt.Sprintf("%s%d-", folderPrefix, os.Getpid())); err != nil {
		return nil, fmt.Errorf("chDB data folder: %w", err)
	}
	// Two threads per query at most: the machines this runs on have few cores, shared with the
	// 18.16 server and other test processes.
	e.args = []string{"clickhouse", "--path=" + e.dataFolder, "--max_threads=2"}
	if e.anchor, err = e.open(); err != nil {
		return nil, err
	}
	out, err := e.query(e.anchor, []byte("SELECT version()"), "TSVRaw")
	if err != nil {
		return nil, err
	}
	e.version = string(trimNewline(out))
	return e, nil
}

// folderPrefix starts the name of each process's data folder in the temporary folder, followed by
// the process id. The engine stays up until its process exits, so nothing removes the folder then
// (and a dropped table's files outlive the process); the next process removes the folders of
// processes that are gone.
const folderPrefix = "cxstar-chdb-"

func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), folderPrefix+"*"))
	for _, d := range dirs {
		pid, _, ok := strings.Cut(strings.TrimPrefix(filepath.Base(d), folderPrefix), "-")
		n, err := strconv.Atoi(pid)
		if !ok || err != nil || n <= 0 {
			continue
		}
		if syscall.Kill(n, 0) == syscall.ESRCH {
			_ = os.RemoveAll(d)
		}
	}
}

// open connects to the engine (the first connection boots it).
func (e *engine) open() (unsafe.Pointer, error) {
	argv := make([]*byte, len(e.args))
	keep := make([][]byte, len(e.args))
	for i, a := range e.args {
		keep[i] = append([]byte(a), 0)
		argv[i] = &keep[i][0]
	}
	pc := e.connect(int32(len(argv)), unsafe.Pointer(&argv[0]))
	runtime.KeepAlive(keep)
	runtime.KeepAlive(argv)
	if pc == nil {
		return nil, errors.New("chDB refused a connection (chdb_connect returned NULL)")
	}
	return pc, nil
}

// query runs one statement on a connection and returns its output in format.
func (e *engine) query(pc unsafe.Pointer, q []byte, format string) ([]byte, error) {
	if len(q) == 0 {
		return nil, errors.New("empty query")
	}
	conn := *(*unsafe.Pointer)(pc)
	f := []byte(format)
	r := e.queryN(conn, unsafe.Pointer(&q[0]), uintptr(len(q)), unsafe.Pointer(&f[0]), uintptr(len(f)))
	runtime.KeepAlive(q)
	runtime.KeepAlive(f)
	if r == nil {
		return nil, nil
	}
	defer e.destroy(r)
	if msg := e.resErr(r); msg != "" {
		return nil, errors.New(msg)
	}
	n := e.resLen(r)
	if n == 0 {
		return nil, nil
	}
	return append([]byte(nil), unsafe.Slice(e.resBuf(r), n)...), nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
