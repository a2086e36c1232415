#!/usr/bin/env bash
# Runs the three queries of readability/replies on current ClickHouse (chDB, in-process) and on the
# project's 18.16 server over the same migrated schema and seed rows, and compares the results.
# Manual check, not part of CI (chDB is a large download); needs gcc and npm the first time:
#   readability/replies/testdata/chdb/check.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../../../.." && pwd)
work=${CHDB_WORK:-/tmp/cxstar-chdb-replies}; mkdir -p "$work"; cd "$work"
lib=${CHDB_LIB:-$HOME/.cache/cxstar/chdb/node_modules/@chdb/lib-linux-x64-gnu}
[ -f "$lib/libchdb.so" ] || { npm install --no-audit --no-fund --prefix "$work" @chdb/lib-linux-x64-gnu@26.7.3-stable.1; lib=$work/node_modules/@chdb/lib-linux-x64-gnu; }
gcc -O1 -o q "$root/transform/testdata/chdb/q.c" -L "$lib" -lchdb -Wl,-rpath,"$lib"
rm -rf sql /tmp/fm_chdb; (cd "$root" && CXSTAR_RENDER_DIR="$work/sql" go test -run TestRenderForChDB -count=1 ./transform >/dev/null)
# The migrations' statements come first, then transform's own seed rows and queries.
first_seed=$(grep -l '^INSERT INTO ratings (event_id' sql/*.sql | sort | head -n 1)
migr=$(ls sql/*.sql | sort | awk -v s="$first_seed" '$0 == s {exit} {print}')
mkdir -p queries
render() { sed -e "s/{{QS}}/toDateTime('2026-06-30 21:00:00', 'UTC')/g; s/{{QE}}/toDateTime('2026-09-30 21:00:00', 'UTC')/g" \
  -e "s/{{LOOKBACK}}/toDateTime('2026-03-31 21:00:00', 'UTC')/g; s/{{QUARTER}}/'2026Q3'/g; s/{{AGENCY}}//g" "$1"; }
for f in replies registry declared; do render "$root/readability/replies/sql/$f.sql" > "queries/$f.sql"; done
./q $migr "$here/seed.sql" "$here/seed2.sql" "$here/seed3.sql" | grep '^FAIL' && exit 1 || true
C="bash $root/scripts/clickhouse.sh client"; $C -q "DROP DATABASE IF EXISTS chdb_replies"; $C -q "CREATE DATABASE chdb_replies"
for f in $migr "$here/seed.sql" "$here/seed2.sql" "$here/seed3.sql"; do $C -d chdb_replies --allow_experimental_low_cardinality_type=1 < "$f"; done
status=0
for f in queries/*.sql; do
  (./q "$f" || true) | sed 's/^OK   [^:]*: //' | sed '/^$/d' | sort > chdb.out
  $C -d chdb_replies < "$f" | sed '/^$/d' | sort > ch18.out
  if grep -q '^FAIL' chdb.out; then echo "FAIL on chDB: $f"; cat chdb.out; status=1
  elif diff -q chdb.out ch18.out >/dev/null; then echo "same on chDB and 18.16: $f ($(wc -l < ch18.out) rows)"; cat ch18.out
  else echo "DIFFERENT: $f"; diff chdb.out ch18.out | head; status=1; fi
done
$C -q "DROP DATABASE chdb_replies"
exit $status
