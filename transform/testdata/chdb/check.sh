#!/usr/bin/env bash
# Runs the migrations and every assessment query (rendered by TestZZRender-style rendering in
# render_test.go) on current ClickHouse (chDB 26.7, in-process) and on the project's 18.16 server,
# and compares the results. Manual check, not part of CI (chDB is a 566 MB download):
#   transform/testdata/chdb/check.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../../.." && pwd)
work=${CHDB_WORK:-/tmp/cxstar-chdb}; mkdir -p "$work"; cd "$work"
[ -f node_modules/@chdb/lib-linux-x64-gnu/libchdb.so ] || npm install --no-audit --no-fund @chdb/lib-linux-x64-gnu@26.7.3-stable.1
lib=$work/node_modules/@chdb/lib-linux-x64-gnu
gcc -O1 -o q "$here/q.c" -L "$lib" -lchdb -Wl,-rpath,"$lib"
rm -rf sql data; (cd "$root" && GOFLAGS=-mod=mod CXSTAR_RENDER_DIR="$work/sql" go test -run TestRenderForChDB -count=1 ./transform >/dev/null)
n=$(ls sql | wc -l); migr=$((n - 15))
./q $(ls sql/*.sql | head -n $((migr + 6))) >/dev/null
C="bash $root/scripts/clickhouse.sh client"; $C -q "DROP DATABASE IF EXISTS chdb_cmp"; $C -q "CREATE DATABASE chdb_cmp"
for f in $(ls sql/*.sql | head -n $((migr + 6))); do $C -d chdb_cmp --allow_experimental_low_cardinality_type=1 < "$f"; done
status=0
for f in $(ls sql/*.sql | tail -n 9); do
  (./q "$f" || true) | sed 's/^OK   [^:]*: //' | sed '/^$/d' | sort > chdb.out
  $C -d chdb_cmp < "$f" | sed '/^$/d' | sort > ch18.out
  if grep -q '^FAIL' chdb.out; then echo "FAIL on chDB: $f"; cat chdb.out; status=1
  elif diff -q chdb.out ch18.out >/dev/null; then echo "same on 26.7 and 18.16: $f ($(wc -l < ch18.out) rows)"
  else echo "DIFFERENT: $f"; diff chdb.out ch18.out | head; status=1; fi
done
$C -q "DROP DATABASE chdb_cmp"
exit $status
