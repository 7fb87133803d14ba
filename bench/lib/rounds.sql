-- bench/lib/rounds.sql: the timing harness of bench/pricing.sql, bench/margin.sql, bench/span.sql and bench/stress.sql, read with \ir
-- once the caller has filled the temporary table
--   bench_queries (ord int PRIMARY KEY, label text, sql text, workers int[] NOT NULL DEFAULT '{0,2}')
-- whose sql returns one row (n bigint, result float8).  CALL pg_temp.bench_rounds(runs) runs every query with each
-- of its worker counts (max_parallel_workers_per_gather) in interleaved rounds after one warm-up round, so that every
-- query sees the same conditions; bench_summary gives the median and minimum per query and worker count, and the
-- range of its results (the same answer with and without workers); bench_speedup each query's speed-up from 0 to
-- 2 workers (median with 0 / median with 2), to set next to the plain GROUP BY's in the same run.
CREATE TEMP TABLE bench_runs (
    ord     int,
    workers int,
    run     int,
    ms      float8,
    n       bigint,
    result  float8
);

CREATE FUNCTION pg_temp.bench_once(p_sql text, p_workers int, OUT ms float8, OUT n bigint, OUT result float8)
LANGUAGE plpgsql
AS $$
DECLARE
    t0  timestamptz;
    t1  timestamptz;
BEGIN
    PERFORM set_config('max_parallel_workers_per_gather', p_workers::text, false);
    t0 := clock_timestamp();
    EXECUTE p_sql INTO n, result;
    t1 := clock_timestamp();
    PERFORM set_config('max_parallel_workers_per_gather', '0', false);
    ms := extract(epoch FROM t1 - t0)::float8 * 1000;
END
$$;

CREATE PROCEDURE pg_temp.bench_rounds(p_runs int)
LANGUAGE plpgsql
AS $$
DECLARE
    q   record;
    w   int;
    m   record;
BEGIN
    FOR i IN 0 .. p_runs LOOP          -- round 0 is the warm-up
        FOR q IN SELECT * FROM bench_queries ORDER BY ord LOOP
            FOREACH w IN ARRAY q.workers LOOP
                m := pg_temp.bench_once(q.sql, w);
                IF i > 0 THEN
                    INSERT INTO bench_runs VALUES (q.ord, w, i, m.ms, m.n, m.result);
                END IF;
            END LOOP;
        END LOOP;
    END LOOP;
END
$$;

CREATE TEMP VIEW bench_summary AS
SELECT r.ord, q.label, r.workers,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.ms) AS median_ms,
       min(r.ms) AS min_ms,
       min(r.n) AS n,
       min(r.result) AS result_min,
       max(r.result) AS result_max
FROM bench_runs r JOIN bench_queries q USING (ord)
GROUP BY r.ord, q.label, r.workers;

CREATE TEMP VIEW bench_speedup AS
SELECT s0.ord, s0.median_ms / s2.median_ms AS speedup
FROM bench_summary s0 JOIN bench_summary s2 ON s2.ord = s0.ord AND s2.workers = 2
WHERE s0.workers = 0;
