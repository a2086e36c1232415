-- Service histories of one quarter plus the repeat-request lookback, counted per agency × client
-- type × service × life situation × service kind. client_service_events (migrations 022, 051 and
-- 054) holds, per client × service, every status event as two packed UInt64 side by side in one
-- state, [req1, time1, req2, time2, …] (see the migrations); FINAL merges the months of
-- [quarter start − window, quarter end) into one row per client × service, without a hash table.
-- All the work below is arithmetic inside that row, on the events in the window:
--   0. the fast path. Most rows hold one request (a client rarely asks for the same service twice
--      in a quarter and its lookback), and for one request every value is a reduction over its
--      events: active when an event is in the quarter; its kind the largest kind, its life
--      situation the largest hash among the events of that kind (the largest kind << 33 | hash << 1);
--      in a scenario when any event is; the earliest (status, time), which is a `submitted` time s
--      when the request has one (`submitted` is the lowest status), submitted in the quarter when
--      s is; a repeat (A10, step 3) when its own earliest completion c has c < s <= c + window — the
--      only interval the sweep below would open for it. Such a row becomes one number right away
--      (o1, below), or none when the request is not active in the quarter. The packed numbers and
--      the bounds are those of steps 2 and 3, so both paths give the same number for a request.
--      The rows are then counted per number (GROUP BY): a row with more than one request keeps its
--      events (keyed by its own cs1, cs2, so it stays alone) and takes steps 1–3 after the count,
--      so that the sorts and the sweep run over those few rows only — ClickHouse evaluates every
--      array expression for every row of a block, and on rows of ~3 events the cost of a call per
--      row, not per element, is most of the work. On a cluster those rows' events are the only
--      per-client arrays that travel to the initiator;
--   1. number the requests 1..m (d) in order of first appearance;
--   2. sort two packed copies of the events, each by request first, so that the requests come out
--      as runs in the same positions: (request, status, time) gives the earliest `submitted` time
--      of each request (the head of its run, as `submitted` is the lowest status), its earliest
--      `completed` time (the head of its (request, completed) run) and whether it has an event in
--      the quarter (a run sum); (request, kind, life situation, scenario flag) gives the request's
--      kind (the largest among its events) and life situation (the largest hash among its events
--      of that kind) from the tail of its run, and whether any event was in a scenario (a run
--      sum). Run sums are differences of a cumulative sum taken at the run tails. A copy of an
--      event changes none of these values (nor those of the fast path);
--   3. A10: a request submitted in the quarter at s is a repeat when an earlier completion t1 of the
--      same client and service has t1 < s <= t1 + window. One sorted sweep decides it for all the
--      requests: each completion opens an interval at t1 (ordered after a submission at the same
--      second, as t1 < s is strict) and closes it after t1 + window (ordered after a submission at
--      that second, as s <= t1 + window is inclusive); a submission is a repeat when an interval is
--      open. Keys: time << 30 | order << 28 | request number. A request's own completion takes
--      part too: one completed before it was submitted makes it a repeat within the window.
-- The names of the service groups and life situations come from service_groups at the end.
SELECT
    agency, client_type_name, service, life_situation,
    arrayElement(['service', 'support_measure', 'digital_service'], toUInt32(kind)) AS kind_name,
    active,
    in_scenario,
    submitted,
    if(has({{EXCLUDED}}, service), toUInt64(0), repeats)              AS repeats
FROM
(
    -- Steps 1–3 over the counted rows: those of one request carry o1 and empty arrays, those of
    -- several their events (rb, tb).
    WITH
        -- 1. request numbers 1..m (dn) of the window's events, shifted to the top bits of the sort keys
        arrayEnumerateDense(arrayMap(x -> bitShiftRight(x, 8), rb))                                      AS dn,
        -- 2. two sorts by request first: (request, status, time) and (request, kind, life situation, scenario)
        arraySort(arrayMap((n, r, t) -> bitShiftLeft(toUInt64(n), 35) + bitShiftLeft(bitAnd(r, 112), 28) + bitShiftRight(t, 32), dn, rb, tb)) AS s1,
        arraySort(arrayMap((n, r, t) -> bitShiftLeft(toUInt64(n), 35) + bitShiftLeft(bitAnd(r, 6), 32) + bitShiftLeft(bitAnd(t, 4294967295), 1) + bitAnd(r, 1), dn, rb, tb)) AS s2,
        arrayEnumerateUniq(arrayMap(x -> bitShiftRight(x, 35), s1))                                      AS first,
        -- the tail of a run: the next element heads a run (or there is none)
        arrayPopFront(arrayPushBack(first, 1))                                                           AS last,
        -- per request (length m, in request-number order): the head of its s1 run, the earliest
        -- (status, time), so a `submitted` time when the request has one; the tail of its s2 run,
        -- kind << 33 | life situation << 1 | scenario bit, the largest kind and its largest life situation
        arrayFilter((x, f) -> f = 1, s1, first)                                                          AS heads,
        arrayFilter((x, f) -> f = 1, s2, last)                                                           AS attrs,
        -- run sums of one cumulative sum: the events in the quarter (high 32 bits: active in the
        -- quarter when > 0) and the events in a scenario (low 32 bits); s1 and s2 hold the same runs
        arrayFilter((c, f) -> f = 1, arrayCumSum(arrayMap((a, b) -> bitShiftLeft(toUInt64(bitAnd(a, 4294967295) >= {{QS_S}}), 32) + bitAnd(b, 1), s1, s2)), last) AS flags_c,
        arrayMap((a, b) -> a - b, flags_c, arrayPopBack(arrayPushFront(flags_c, toUInt64(0))))           AS flags,
        -- the earliest `completed` event of each request: the first element of its (request, completed) run
        arrayFilter((x, f) -> f = 1 AND bitAnd(x, 30064771072) = 12884901888,
            s1, arrayEnumerateUniq(arrayMap(x -> bitShiftRight(x, 32), s1)))                             AS completions,
        -- 3. the repeat sweep; every request takes part as a probe at its submission time when that is
        --    in the quarter (else at 0, where nothing is open; a submission in the quarter makes the
        --    request active), keyed by its number, so that the probes come back in request-number
        --    order, aligned with the arrays above
        arraySort(arrayConcat(
            arrayMap(c -> bitShiftLeft(bitAnd(c, 4294967295), 30) + 268435456, completions),
            arrayMap(c -> bitShiftLeft(bitAnd(c, 4294967295) + {{WINDOW}}, 30) + 536870912, completions),
            arrayMap(h -> bitShiftLeft(if(bitAnd(h, 30064771072) = 4294967296 AND bitAnd(h, 4294967295) >= {{QS_S}}, bitAnd(h, 4294967295), 0), 30)
                + bitShiftRight(h, 35), heads)
        ))                                                                                               AS sweep,
        arrayCumSum(arrayMap(k -> multiIf(bitAnd(k, 805306368) = 268435456, toInt64(1), bitAnd(k, 805306368) = 536870912, toInt64(-1), toInt64(0)), sweep)) AS open,
        -- request number << 1 | repeat, in request-number order
        arraySort(arrayFilter((x, k) -> bitAnd(k, 805306368) = 0,
            arrayMap((k, n) -> bitShiftLeft(bitAnd(k, 268435455), 1) + (n > 0), sweep, open), sweep))   AS repeat
    SELECT
        g,
        toUInt32(bitShiftRight(o, 8))                 AS ls,
        bitAnd(bitShiftRight(o, 3), 3)                AS kind,
        sum(cnt)                                      AS active,
        sumIf(cnt, bitAnd(o, 4) != 0)                 AS in_scenario,
        sumIf(cnt, bitAnd(o, 2) != 0)                 AS submitted,
        sumIf(cnt, bitAnd(o, 1) != 0)                 AS repeats
    FROM
    (
        -- One level over client_service_events, so that on a cluster (where it is a Distributed
        -- table, sharded by client) every shard merges its own rows, takes the fast path and counts,
        -- and the initiator adds up the counts per number.
        WITH
            -- the events' packed values, split into the request bits (odd positions) and the time bits
            finalizeAggregation(ev_bits)                                                                 AS ev_all,
            arrayMap(i -> i % 2, arrayEnumerate(ev_all))                                                 AS ev_odd,
            arrayFilter((x, o) -> o = 1, ev_all, ev_odd)                                                 AS req_all,
            arrayFilter((x, o) -> o = 0, ev_all, ev_odd)                                                 AS time_all,
            -- the events in the window
            arrayFilter((x, t) -> t >= {{LOOKBACK_V}} AND t < {{QE_V}}, req_all, time_all)                AS rw,
            arrayFilter(t -> t >= {{LOOKBACK_V}} AND t < {{QE_V}}, time_all)                             AS tw,
            -- 0. one request: every event has the request hash of the first (true for no event)
            countEqual(arrayMap(x -> bitShiftRight(x, 8), rw), bitShiftRight(rw[1], 8)) = length(rw)  AS one_req,
            -- status << 32 | time of each event; the smallest is the head of step 2. Less 3 << 32
            -- (`completed`), modulo 2^64 (a UInt64 sum: a difference would be signed), the smallest is
            -- the earliest completion time (< 2^32) when there is one: lower statuses wrap around above
            arrayMap((r, t) -> bitShiftLeft(bitAnd(r, 112), 28) + bitShiftRight(t, 32), rw, tw)       AS st1,
            arrayReduce('min', st1)                                                                    AS head1,
            arrayReduce('min', arrayMap(k -> k + 18446744060824649728, st1))                           AS done1,
            -- kind << 33 | life situation << 1, the largest: the tail of step 2 without its scenario bit
            arrayReduce('max', arrayMap((r, t) -> bitShiftLeft(bitAnd(r, 6), 32) + bitShiftLeft(bitAnd(t, 4294967295), 1), rw, tw)) AS attr1,
            -- events in the quarter << 32 + events in a scenario, the run sum of step 2
            arraySum((r, t) -> bitAnd(r, 1) + bitShiftLeft(toUInt64(t >= {{QS_V}}), 32), rw, tw)       AS fl1,
            bitAnd(head1, 30064771072) = 4294967296 AND bitAnd(head1, 4294967295) >= {{QS_S}}         AS sub1
        SELECT
            g,
            -- the number of a row of one request (0 when it is not active in the quarter); 1 for a
            -- row of several (a number is >= 8: kinds start at 1). A sum of products rather than
            -- if(): current ClickHouse evaluates an if()'s branch only for the rows that take it,
            -- and so first copies the block's arrays row by row into a filtered block (~0.6 s over
            -- the 3.1 M rows of 10 M events); 18.16 computes both branches either way.
            toUInt64(one_req AND fl1 > 4294967295) * (bitShiftLeft(bitAnd(bitShiftRight(attr1, 1), 4294967295), 8)
                + bitShiftLeft(bitAnd(bitShiftRight(attr1, 33), 3), 3) + bitShiftLeft(toUInt64(bitAnd(fl1, 4294967295) > 0), 2)
                + bitShiftLeft(toUInt64(sub1), 1)
                + toUInt64(sub1 AND done1 < bitAnd(head1, 4294967295) AND bitAnd(head1, 4294967295) <= done1 + {{WINDOW}}))
                + toUInt64(NOT one_req)                   AS o1,
            if(one_req, toUInt64(0), cs1)                 AS k1,
            if(one_req, toUInt64(0), cs2)                 AS k2,
            count()                                       AS cnt,
            any(if(one_req, emptyArrayUInt64(), rw))      AS rb,
            any(if(one_req, emptyArrayUInt64(), tw))      AS tb
        FROM client_service_events FINAL
        -- Before the merge: only the window's months take part (month filters apply to whole rows).
        -- PART is empty or a condition on g, which names one agency's service group: with --agency the
        -- agency's groups, and when the query runs in parts at once a range of g (transform/load.go).
        PREWHERE month >= {{LOOKBACK_MONTH}} AND month <= {{QE_MONTH}} {{PART}}
        GROUP BY g, o1, k1, k2
    )
    -- One number per request active in the quarter: life situation << 8 | kind << 3 | in scenario << 2
    -- | submitted in the quarter << 1 | repeat; one row per number (none for a client × service
    -- without one), counted cnt times. Written out here: ClickHouse 18.16 refuses ARRAY JOIN of a
    -- WITH alias.
    ARRAY JOIN arrayConcat(if(o1 > 1, [o1], emptyArrayUInt64()), arrayFilter((x, f) -> f > 4294967295, arrayMap((a, f, h, r) -> bitShiftLeft(bitAnd(bitShiftRight(a, 1), 4294967295), 8)
        + bitShiftLeft(bitAnd(bitShiftRight(a, 33), 3), 3) + bitShiftLeft(toUInt64(bitAnd(f, 4294967295) > 0), 2)
        + bitShiftLeft(toUInt64(bitAnd(h, 30064771072) = 4294967296 AND bitAnd(h, 4294967295) >= {{QS_S}}), 1)
        + bitAnd(bitAnd(r, 1), toUInt64(bitAnd(h, 30064771072) = 4294967296 AND bitAnd(h, 4294967295) >= {{QS_S}})),
        attrs, flags, heads, repeat), flags)) AS o
    GROUP BY g, ls, kind
) AS counts
ANY LEFT JOIN
(
    -- Names as strings: a count without a names row gets '' (errInputs in assess.go), never an Enum 0.
    SELECT g, ls, toString(agency_id) AS agency, toString(client_type) AS client_type_name, service_id AS service,
           life_situation_id AS life_situation
    FROM service_groups
    WHERE 1 {{AGENCY}}
) AS names USING (g, ls)
-- Blocks of 8192 rows rather than 65536 keep each block's arrays in the CPU caches and cut the page
-- faults of allocating them: 2.8 s instead of 4–7 s for 10 M events on 18.16 (BENCHMARKS.md, assess).
-- FINAL reads every part of the window at once, each column of each part through a read buffer of
-- its own; a partition as its inserts left it has several parts, and 1 MiB buffers (the default)
-- then cost more in allocating and page faults than in reading. With 128 KiB the same bytes are
-- read in more calls, in a fifth less time and half the memory on 18.16 (BENCHMARKS.md, assess).
SETTINGS max_block_size = 8192, max_read_buffer_size = 131072
