#!/usr/bin/env bash
# Builds, starts, stops and inspects a private Grafana server (10.0 pre-release, backend/HTTP API
# only) with the ClickHouse datasource plugin, for development, tests and the demo.
#
#   scripts/grafana.sh build   build grafana + grafana-clickhouse-datasource from the Go module proxy
#                              into the cache dir (reused when present; ~5.5 min, ~4.4 GB cold)
#   scripts/grafana.sh up      build when missing, write custom.ini, start, wait for /api/health
#   scripts/grafana.sh down    stop the server started by `up` (by its pid file)
#   scripts/grafana.sh status  exit 0 when /api/health answers
#   scripts/grafana.sh url     print the base URL (http://127.0.0.1:PORT)
#
# Environment (defaults work on a laptop):
#   CXSTAR_GRAFANA_DIR        build cache: bin/, src/, plugins/, gomod/, gocache/ (default: $HOME/.cache/cxstar/grafana)
#   CXSTAR_GRAFANA_STATE      config, sqlite db, logs, pid file           (default: $CXSTAR_GRAFANA_DIR/state)
#   CXSTAR_GRAFANA_PORT       HTTP port on 127.0.0.1                       (default: 13000)
#   CXSTAR_GRAFANA_USER       admin user                                   (default: admin)
#   CXSTAR_GRAFANA_PASSWORD   admin password                               (default: cxstar-admin)
# `build` and `up` take a lock (flock on $CXSTAR_GRAFANA_DIR/lock): concurrent calls wait, then reuse.
set -euo pipefail

D=${CXSTAR_GRAFANA_DIR:-$HOME/.cache/cxstar/grafana}
S=${CXSTAR_GRAFANA_STATE:-$D/state}
PORT=${CXSTAR_GRAFANA_PORT:-13000}
ADMIN_USER=${CXSTAR_GRAFANA_USER:-admin}
ADMIN_PASSWORD=${CXSTAR_GRAFANA_PASSWORD:-cxstar-admin}

GRAFANA_V=v1.9.2-0.20230609164553-81d85ce8028d # the one pseudo-version of Grafana 10 the proxy serves
PLUGIN_V=v1.1.2                                 # the one clickhouse-datasource version the proxy serves
PLUGIN_ID=grafana-clickhouse-datasource

log() { echo "grafana.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

lock() {
  mkdir -p "$D"
  exec 9>"$D/lock"
  flock 9
}

goenv() {
  export GOFLAGS=-mod=mod
  export GOMODCACHE="$D/gomod"
  export GOCACHE="$D/gocache"
  export GONOSUMDB=github.com/grafana/clickhouse-datasource
  export GOTOOLCHAIN=local
  export CGO_ENABLED=1
}

build_grafana() {
  if [ -x "$D/bin/grafana" ] && [ -d "$D/src/conf" ]; then return 0; fi
  command -v go >/dev/null || die "go is not on PATH: install Go, then rerun '$0 build'"
  goenv
  log "building Grafana $GRAFANA_V into $D (cold: ~5.5 min, ~4.4 GB; logs in $D/build.log)"
  mkdir -p "$D/bin"
  local rc
  set +e # a subshell tested with || ignores set -e: test its status afterwards instead
  (
    set -ex
    go mod download github.com/grafana/grafana@"$GRAFANA_V"
    rm -rf "$D/src.tmp"
    cp -r "$GOMODCACHE/github.com/grafana/grafana@$GRAFANA_V" "$D/src.tmp"
    chmod -R u+w "$D/src.tmp"
    cd "$D/src.tmp"
    go mod download
    GOBIN="$D/bin" go install github.com/google/wire/cmd/wire@v0.7.0
    "$D/bin/wire" gen -tags oss ./pkg/server
    go build -tags oss -ldflags "-X main.version=10.0.0-81d85ce8" -o "$D/bin/grafana.tmp" ./pkg/cmd/grafana
  ) >>"$D/build.log" 2>&1
  rc=$?
  set -e
  [ "$rc" = 0 ] || { tail -n 30 "$D/build.log" >&2; die "Grafana build failed (full log: $D/build.log); fix the cause (disk space? Go module proxy reachable?) and rerun '$0 build'"; }
  rm -rf "$D/src"
  mv "$D/src.tmp" "$D/src"
  mv "$D/bin/grafana.tmp" "$D/bin/grafana"
  log "built $D/bin/grafana"
}

build_plugin() {
  local P="$D/plugins/$PLUGIN_ID"
  if [ -x "$P/gpx_clickhouse_linux_amd64" ] && [ -f "$P/plugin.json" ]; then return 0; fi
  goenv
  log "building $PLUGIN_ID $PLUGIN_V (backend only; logs in $D/build.log)"
  local rc
  set +e
  (
    set -ex
    go mod download github.com/grafana/clickhouse-datasource@"$PLUGIN_V"
    rm -rf "$D/plugin-src"
    cp -r "$GOMODCACHE/github.com/grafana/clickhouse-datasource@$PLUGIN_V" "$D/plugin-src"
    chmod -R u+w "$D/plugin-src"
    cd "$D/plugin-src"
    mkdir -p "$P.tmp"
    go build -o "$P.tmp/gpx_clickhouse_linux_amd64" ./pkg
    if [ -f dist/plugin.json ]; then cp dist/plugin.json "$P.tmp/"; else cp src/plugin.json "$P.tmp/"; fi
    if [ -d src/dashboards ]; then cp -r src/dashboards "$P.tmp/"; fi
  ) >>"$D/build.log" 2>&1
  rc=$?
  set -e
  [ "$rc" = 0 ] || { tail -n 30 "$D/build.log" >&2; die "$PLUGIN_ID build failed (full log: $D/build.log); rerun '$0 build'"; }
  rm -rf "$P"
  mv "$P.tmp" "$P"
  log "built plugin into $P"
}

build() {
  lock
  build_grafana
  build_plugin
  [ -x "$D/bin/grafana" ] || die "no Grafana binary at $D/bin/grafana after build"
  log "ready: $D/bin/grafana (plugins in $D/plugins)"
}

url() { echo "http://127.0.0.1:$PORT"; }

answers() { curl -fsS --max-time 2 "$(url)/api/health" >/dev/null 2>&1; }

write_config() {
  mkdir -p "$S/data" "$S/logs" "$S/provisioning/dashboards" "$S/provisioning/datasources" \
    "$S/provisioning/notifiers" "$S/provisioning/plugins" "$S/provisioning/alerting" "$S/provisioning/access-control"
  cat >"$S/custom.ini" <<INI
[paths]
data = $S/data
logs = $S/logs
plugins = $D/plugins
provisioning = $S/provisioning

[server]
http_addr = 127.0.0.1
http_port = $PORT

[database]
type = sqlite3

[security]
admin_user = $ADMIN_USER
admin_password = $ADMIN_PASSWORD

[users]
allow_sign_up = false
allow_org_create = false

[auth.anonymous]
enabled = false

[analytics]
reporting_enabled = false
check_for_updates = false
check_for_plugin_updates = false

[plugins]
allow_loading_unsigned_plugins = $PLUGIN_ID

[log]
mode = file
level = warn
INI
}

up() {
  build # takes the lock; held until the script exits
  if answers; then log "already running on $(url) (state in $S)"; return 0; fi
  write_config
  start-stop-daemon --start --background --make-pidfile --pidfile "$S/grafana.pid" \
    --chdir "$D/src" --output "$S/logs/stdout.log" \
    --exec "$D/bin/grafana" -- server --homepath="$D/src" --config="$S/custom.ini" 9>&-
  for _ in $(seq 1 600); do
    if answers; then log "up on $(url) (admin user '$ADMIN_USER'), state in $S"; return 0; fi
    if ! start-stop-daemon --status --pidfile "$S/grafana.pid"; then break; fi
    sleep 0.1
  done
  tail -n 30 "$S/logs/stdout.log" "$S/logs/grafana.log" >&2 2>/dev/null || true
  die "Grafana did not answer on $(url)/api/health within 60 s; see $S/logs/"
}

down() {
  if [ -f "$S/grafana.pid" ]; then
    start-stop-daemon --stop --quiet --pidfile "$S/grafana.pid" --retry TERM/30/KILL/5 || true
    rm -f "$S/grafana.pid"
    log "stopped"
  else
    log "no pid file in $S: nothing to stop"
  fi
}

case "${1:-}" in
  build) build ;;
  up) up ;;
  down) down ;;
  status) answers ;;
  url) url ;;
  *) echo "usage: $0 build|up|down|status|url" >&2; exit 2 ;;
esac
