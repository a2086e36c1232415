#!/usr/bin/env bash
# Starts, stops and inspects a local ClickHouse cluster for development, tests and CI: one ZooKeeper
# and four clickhouse-server processes forming the cluster "cxstar" of 2 shards × 2 replicas, with
# their own directories and ports (the single server of scripts/clickhouse.sh keeps running).
#
#   scripts/chcluster.sh up              install (Debian's zookeeper, clickhouse-server) when missing, start, wait
#   scripts/chcluster.sh down            stop the four servers and ZooKeeper (by their pid files)
#   scripts/chcluster.sh status          exit 0 when every node answers and sees ZooKeeper and the cluster
#   scripts/chcluster.sh stop-node N     stop node N (1..4) only, e.g. to test losing a replica
#   scripts/chcluster.sh start-node N    start node N again
#   scripts/chcluster.sh stop-zk         stop ZooKeeper only (inserts stop, reads continue)
#   scripts/chcluster.sh start-zk        start ZooKeeper again
#   scripts/chcluster.sh client [N] ...  clickhouse-client on node N (default 1); extra args are passed on
#   scripts/chcluster.sh dsn             print the DSN of node 1 (any node accepts reads and writes)
#
# Users: default (reads each shard from a random live replica) and in_order (from the first live
# replica in remote_servers), both without a password, from 127.0.0.1 only.
#
# Topology: node 1 = shard 01 replica s1r1, node 2 = shard 01 replica s1r2, node 3 = shard 02
# replica s2r1, node 4 = shard 02 replica s2r2. Each node has the macros {shard} and {replica}.
#
# Environment (defaults work on a laptop):
#   CXSTAR_CLUSTER_DIR       data, logs, configs, pid files (default: $HOME/.cache/cxstar/chcluster)
#   CXSTAR_CLUSTER_TCP_BASE  node N listens for the native protocol on 127.0.0.1:BASE+N (default: 19100),
#                            for HTTP on BASE+100+N and for replication on BASE+200+N
#   CXSTAR_ZK_PORT           ZooKeeper's client port on 127.0.0.1 (default: 12181)
set -euo pipefail

# shellcheck source=scripts/chserver.sh
. "$(dirname "${BASH_SOURCE[0]}")/chserver.sh"

D=${CXSTAR_CLUSTER_DIR:-$HOME/.cache/cxstar/chcluster}
BASE=${CXSTAR_CLUSTER_TCP_BASE:-19100}
ZK_PORT=${CXSTAR_ZK_PORT:-12181}
CLUSTER=cxstar
NODES="1 2 3 4"

log() { echo "chcluster.sh: $*" >&2; }
die() { log "$*"; exit 1; }

tcp_port() { echo $((BASE + $1)); }
http_port() { echo $((BASE + 100 + $1)); }
repl_port() { echo $((BASE + 200 + $1)); }
shard_of() { if [ "$1" -le 2 ]; then echo 01; else echo 02; fi; }
replica_of() { echo "s$(( ($1 + 1) / 2 ))r$(( ($1 + 1) % 2 + 1 ))"; }

install() {
  local missing=()
  command -v clickhouse-server >/dev/null || missing+=(clickhouse-server)
  command -v clickhouse-client >/dev/null || missing+=(clickhouse-client)
  [ -f /usr/share/java/zookeeper.jar ] || missing+=(zookeeper)
  command -v java >/dev/null || missing+=(zookeeper)
  [ ${#missing[@]} = 0 ] && return 0
  log "installing Debian's ${missing[*]}"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "could not install ${missing[*]} (apt-get install ${missing[*]})"
}

# ---- ZooKeeper ----

zk_answers() {
  # The four-letter word "stat" (whitelisted in zoo.cfg) reports "Mode: standalone" only once the
  # server serves requests. "ruok" is not enough: it answers "imok" while the server is still
  # loading a large snapshot and transaction log, and a ClickHouse node that starts then fails its
  # ZooKeeper handshake and exits, because it cannot attach its replicated tables.
  local reply
  reply=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf stat >&3 && cat <&3' _ "$ZK_PORT" 2>/dev/null || true)
  grep -q '^Mode: ' <<<"$reply"
}

zk_up() {
  if zk_answers; then return 0; fi
  mkdir -p "$D/zk/data" "$D/zk/conf" "$D/zk/log"
  cat >"$D/zk/conf/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$D/zk/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok,stat,mntr
maxClientCnxns=200
autopurge.purgeInterval=1
CFG
  cat >"$D/zk/conf/log4j.properties" <<CFG
log4j.rootLogger=WARN, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File=$D/zk/log/zookeeper.log
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p %c{1}: %m%n
CFG
  start-stop-daemon --start --background --make-pidfile --pidfile "$D/zk/zk.pid" \
    --output "$D/zk/log/stdout.log" --exec "$(command -v java)" -- \
    -Xmx128m -Xss512k -XX:+UseSerialGC -Dzookeeper.log.dir="$D/zk/log" -Dlog4j.configuration="file:$D/zk/conf/log4j.properties" \
    -cp "$D/zk/conf:/usr/share/java/zookeeper.jar" org.apache.zookeeper.server.quorum.QuorumPeerMain "$D/zk/conf/zoo.cfg"
  local deadline=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if ! start-stop-daemon --status --pidfile "$D/zk/zk.pid"; then
      rm -f "$D/zk/zk.pid"
      tail -n 20 "$D/zk/log/stdout.log" "$D/zk/log/zookeeper.log" >&2 2>/dev/null || true
      die "ZooKeeper exited at start; see $D/zk/log"
    fi
    if zk_answers; then log "ZooKeeper up on 127.0.0.1:$ZK_PORT"; return 0; fi
    sleep 0.2
  done
  tail -n 20 "$D/zk/log/stdout.log" "$D/zk/log/zookeeper.log" >&2 2>/dev/null || true
  die "ZooKeeper did not answer on 127.0.0.1:$ZK_PORT within 60 s; see $D/zk/log"
}

zk_down() {
  if [ -f "$D/zk/zk.pid" ]; then
    start-stop-daemon --stop --quiet --pidfile "$D/zk/zk.pid" --retry TERM/20/KILL/5 || true
    rm -f "$D/zk/zk.pid"
    log "ZooKeeper stopped"
  fi
}

# ---- ClickHouse nodes ----

write_shared_config() {
  mkdir -p "$D"
  local replicas=""
  local s n
  for s in 1 2; do
    replicas+="      <shard><internal_replication>true</internal_replication>"
    for n in $((2 * s - 1)) $((2 * s)); do
      replicas+="<replica><host>127.0.0.1</host><port>$(tcp_port "$n")</port></replica>"
    done
    replicas+="</shard>"$'\n'
  done
  cat >"$D/cluster.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <cxstar_remote_servers>
    <$CLUSTER>
$replicas    </$CLUSTER>
  </cxstar_remote_servers>
  <cxstar_zookeeper>
    <node><host>127.0.0.1</host><port>$ZK_PORT</port></node>
    <session_timeout_ms>10000</session_timeout_ms>
  </cxstar_zookeeper>
</yandex>
XML
}

write_node_config() {
  local n=$1 N="$D/node$1"
  mkdir -p "$N/data" "$N/tmp" "$N/log" "$N/user_files" "$N/format_schemas"
  cat >"$N/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <include_from>$D/cluster.xml</include_from>
  <logger><level>warning</level><log>$N/log/server.log</log><errorlog>$N/log/error.log</errorlog><size>50M</size><count>2</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>$(tcp_port "$n")</tcp_port>
  <http_port>$(http_port "$n")</http_port>
  <interserver_http_port>$(repl_port "$n")</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
$(server_paths_xml "$N")
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
  <remote_servers incl="cxstar_remote_servers"/>
  <zookeeper incl="cxstar_zookeeper"/>
  <macros><shard>$(shard_of "$n")</shard><replica>$(replica_of "$n")</replica></macros>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
</yandex>
XML
  cat >"$N/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles>
$(profiles_xml 4000000000 "      <background_pool_size>4</background_pool_size>
      <background_schedule_pool_size>4</background_schedule_pool_size>")
    <in_order>
      <load_balancing>in_order</load_balancing>
      <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
    </in_order>
  </profiles>
  <users>
$(local_user_xml default default)
    <!-- the same rights, reading each shard from its first live replica (load_balancing in_order) -->
$(local_user_xml in_order in_order)
  </users>
$(no_quota_xml)
</yandex>
XML
}

node_answers() {
  clickhouse-client --host 127.0.0.1 --port "$(tcp_port "$1")" -q 'SELECT 1' >/dev/null 2>&1
}

node_start() {
  local n=$1 N="$D/node$1"
  write_node_config "$n" # a running node reloads users.xml by itself
  if node_answers "$n"; then return 0; fi
  start-stop-daemon --start --background --make-pidfile --pidfile "$N/server.pid" \
    --output "$N/log/stdout.log" --exec /usr/sbin/clickhouse-server -- --config-file="$N/config.xml"
}

node_wait() {
  # A node that exits at start is started again, twice at most: at start it attaches every
  # replicated table through ZooKeeper, and a ZooKeeper that has just come up may still drop a
  # handshake or two.
  local n=$1 N="$D/node$1" tries=1
  local deadline=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if node_answers "$n"; then return 0; fi
    if ! start-stop-daemon --status --pidfile "$N/server.pid"; then
      rm -f "$N/server.pid"
      if [ "$tries" -lt 3 ]; then
        tries=$((tries + 1))
        log "node $n exited at start; starting it again (attempt $tries of 3)"
        sleep 2
        node_start "$n"
        continue
      fi
      grep -v '^[0-9]*\. ' "$N/log/error.log" 2>/dev/null | tail -n 10 >&2 || true
      die "node $n exited at start 3 times; see $N/log/error.log"
    fi
    sleep 0.2
  done
  tail -n 20 "$N/log/error.log" "$N/log/stdout.log" >&2 2>/dev/null || true
  die "node $n did not answer on 127.0.0.1:$(tcp_port "$n") within 60 s; see $N/log"
}

node_stop() {
  local N="$D/node$1"
  if [ -f "$N/server.pid" ]; then
    start-stop-daemon --stop --quiet --pidfile "$N/server.pid" --retry TERM/30/KILL/5 || true
    rm -f "$N/server.pid"
    log "node $1 stopped"
  fi
}

check_node() {
  local n=$1 q
  q="SELECT (SELECT count() FROM system.clusters WHERE cluster = '$CLUSTER') = 4
        AND (SELECT count() FROM system.zookeeper WHERE path = '/') > 0
        AND (SELECT count() FROM system.macros) = 2"
  [ "$(clickhouse-client --host 127.0.0.1 --port "$(tcp_port "$n")" -q "$q" 2>/dev/null)" = 1 ]
}

status() {
  local n ok=0
  zk_answers || { log "ZooKeeper does not answer on 127.0.0.1:$ZK_PORT"; ok=1; }
  for n in $NODES; do
    if ! node_answers "$n"; then log "node $n does not answer on 127.0.0.1:$(tcp_port "$n")"; ok=1
    elif ! check_node "$n"; then log "node $n answers but does not see ZooKeeper or the cluster $CLUSTER"; ok=1; fi
  done
  return $ok
}

up() {
  install
  command -v start-stop-daemon >/dev/null || die "start-stop-daemon is missing (Debian's dpkg provides it)"
  write_shared_config
  zk_up
  local n
  for n in $NODES; do node_start "$n"; done
  for n in $NODES; do node_wait "$n"; done
  local deadline=$((SECONDS + 60))
  until status 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || { status || true; die "the cluster did not come up within 60 s; see $D/node*/log"; }
    sleep 0.5
  done
  log "cluster $CLUSTER up: 2 shards × 2 replicas on 127.0.0.1:$(tcp_port 1)-$(tcp_port 4), ZooKeeper on $ZK_PORT, data in $D"
}

down() {
  local n
  for n in $NODES; do node_stop "$n"; done
  zk_down
}

node_arg() {
  case "${1:-}" in 1|2|3|4) echo "$1" ;; *) die "node number must be 1..4, got '${1:-}'" ;; esac
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  stop-node) node_stop "$(node_arg "${2:-}")" ;;
  start-node) n=$(node_arg "${2:-}"); write_shared_config; node_start "$n"; node_wait "$n" ;;
  stop-zk) zk_down ;;
  start-zk) write_shared_config; zk_up ;;
  client)
    shift; n=1
    case "${1:-}" in 1|2|3|4) n=$1; shift ;; esac
    exec clickhouse-client --host 127.0.0.1 --port "$(tcp_port "$n")" "$@" ;;
  dsn) echo "clickhouse://127.0.0.1:$(tcp_port 1)/cxstar" ;;
  *) echo "usage: $0 up|down|status|stop-node N|start-node N|stop-zk|start-zk|client [N] [args]|dsn" >&2; exit 2 ;;
esac
