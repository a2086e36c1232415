#!/usr/bin/env bash
# Starts, stops and inspects a private ClickHouse server for development, tests and the demo.
#
#   scripts/clickhouse.sh up      install (Debian's clickhouse-server) when missing, start, wait until it answers
#   scripts/clickhouse.sh down    stop the server started by `up` (by its pid file)
#   scripts/clickhouse.sh status  exit 0 when the server answers
#   scripts/clickhouse.sh client  run clickhouse-client against it (extra args are passed on)
#
# Environment (defaults work on a laptop):
#   CXSTAR_CH_DIR        data, logs, config and pid file   (default: $HOME/.cache/cxstar/clickhouse)
#   CXSTAR_CH_TCP_PORT   native protocol port on 127.0.0.1 (default: 19000)
#   CXSTAR_CH_HTTP_PORT  HTTP port on 127.0.0.1            (default: 18123)
# The server reads extra users from $CXSTAR_CH_DIR/users.d/*.xml (written by `cxstar dashboards`).
set -euo pipefail

D=${CXSTAR_CH_DIR:-$HOME/.cache/cxstar/clickhouse}
TCP=${CXSTAR_CH_TCP_PORT:-19000}
HTTP=${CXSTAR_CH_HTTP_PORT:-18123}

log() { echo "clickhouse.sh: $*" >&2; }

install() {
  command -v clickhouse-server >/dev/null && command -v clickhouse-client >/dev/null && return 0
  log "installing Debian's clickhouse-server and clickhouse-client"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null
}

answers() { clickhouse-client --host 127.0.0.1 --port "$TCP" -q 'SELECT 1' >/dev/null 2>&1; }

write_config() {
  mkdir -p "$D/data" "$D/tmp" "$D/log" "$D/users.d" "$D/format_schemas"
  cat >"$D/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$D/log/server.log</log><errorlog>$D/log/error.log</errorlog><size>100M</size><count>3</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>$TCP</tcp_port>
  <http_port>$HTTP</http_port>
  <path>$D/data/</path>
  <tmp_path>$D/tmp/</tmp_path>
  <format_schema_path>$D/format_schemas/</format_schema_path>
  <user_files_path>$D/user_files/</user_files_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
</yandex>
XML
  cat >"$D/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>8000000000</max_memory_usage>
      <load_balancing>random</load_balancing>
      <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
    </default>
    <readonly><readonly>2</readonly><allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type></readonly>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
}

up() {
  install
  if answers; then log "already running on 127.0.0.1:$TCP ($D)"; return 0; fi
  write_config
  start-stop-daemon --start --background --make-pidfile --pidfile "$D/server.pid" \
    --output "$D/log/stdout.log" --exec /usr/sbin/clickhouse-server -- --config-file="$D/config.xml"
  for _ in $(seq 1 300); do
    if answers; then log "up on 127.0.0.1:$TCP (http $HTTP), data in $D"; return 0; fi
    sleep 0.1
  done
  log "server did not answer on 127.0.0.1:$TCP within 30 s; see $D/log/error.log and $D/log/stdout.log"
  tail -n 20 "$D/log/error.log" "$D/log/stdout.log" >&2 2>/dev/null || true
  return 1
}

down() {
  if [ -f "$D/server.pid" ]; then
    start-stop-daemon --stop --quiet --pidfile "$D/server.pid" --retry TERM/30/KILL/5 || true
    rm -f "$D/server.pid"
    log "stopped"
  else
    log "no pid file in $D: nothing to stop"
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) answers ;;
  client) shift; exec clickhouse-client --host 127.0.0.1 --port "$TCP" "$@" ;;
  *) echo "usage: $0 up|down|status|client [args]" >&2; exit 2 ;;
esac
