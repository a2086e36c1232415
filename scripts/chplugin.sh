#!/usr/bin/env bash
# Builds the backend of the ClickHouse datasource plugin for Grafana
# (github.com/grafana/clickhouse-datasource v1.1.2, Apache-2.0) from the Go module proxy, from the
# plugin's own go.mod and go.sum, into a cache folder. Tests run it in standalone gRPC mode
# (internal/testkit/plugintest); no Grafana server is built or needed.
#
#   scripts/chplugin.sh build   build when the cached binary is missing, print its path
#   scripts/chplugin.sh path    print the binary's path (exit 1 when it is not built)
#
# Environment (defaults work on a laptop):
#   CXSTAR_CHPLUGIN_DIR   cache folder: bin/, src/, build.log (default: $HOME/.cache/cxstar/chplugin)
# `build` takes a lock (flock on $CXSTAR_CHPLUGIN_DIR/lock): concurrent calls wait, then reuse.
set -euo pipefail

D=${CXSTAR_CHPLUGIN_DIR:-$HOME/.cache/cxstar/chplugin}
MODULE=github.com/grafana/clickhouse-datasource
VERSION=v1.1.2 # the one version of the plugin the module proxy serves
BIN="$D/bin/gpx_clickhouse_linux_amd64"

log() { echo "chplugin.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

build() {
  mkdir -p "$D"
  exec 9>"$D/lock"
  flock 9
  if [ -x "$BIN" ]; then echo "$BIN"; return 0; fi
  command -v go >/dev/null || die "go is not on PATH: install Go, then rerun '$0 build'"
  # The plugin's own go.sum is the checksum source for its dependencies; its module itself is
  # not in the public checksum database under this path, hence GONOSUMDB.
  export GOFLAGS=-mod=mod GONOSUMDB=github.com/grafana GOTOOLCHAIN=local CGO_ENABLED=0
  log "building $MODULE@$VERSION into $D (logs in $D/build.log)"
  local start rc
  start=$(date +%s)
  set +e # a subshell tested with || ignores set -e: test its status afterwards instead
  (
    set -ex
    go mod download "$MODULE@$VERSION"
    src=$(go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -n "$src" ]
    rm -rf "$D/src"
    cp -r "$src" "$D/src"
    chmod -R u+w "$D/src"
    cd "$D/src"
    mkdir -p "$D/bin"
    go build -o "$BIN.tmp" ./pkg
  ) >>"$D/build.log" 2>&1
  rc=$?
  set -e
  [ "$rc" = 0 ] || { tail -n 30 "$D/build.log" >&2; die "build of $MODULE@$VERSION failed (full log: $D/build.log); is the Go module proxy reachable? Fix the cause and rerun '$0 build'"; }
  mv "$BIN.tmp" "$BIN"
  log "built $BIN in $(( $(date +%s) - start )) s"
  echo "$BIN"
}

case "${1:-build}" in
  build) build ;;
  path) [ -x "$BIN" ] || die "not built: run '$0 build'"; echo "$BIN" ;;
  *) echo "usage: $0 build|path" >&2; exit 2 ;;
esac
