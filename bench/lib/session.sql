-- bench/lib/session.sql: the session of the parallel benchmarks (bench/margin.sql, bench/span.sql and
-- bench/stress.sql), read with \ir after their own variables; jit (default off) and work_mem (default 256MB) may be
-- given with -v.  The planner may use 2 workers on these small joins whenever a query is allowed to (setup cost 0,
-- no minimum table size); the per-tuple transfer cost keeps its default, so that the aggregate runs in the workers
-- (Partial Aggregate) instead of gathering the joined rows.  The harness (lib/rounds.sql) sets the worker count per
-- query; outside it, 0.
\if :{?jit}
\else
\set jit off
\endif
\if :{?work_mem}
\else
\set work_mem 256MB
\endif

\set QUIET on
\pset footer off
SET client_min_messages = warning;
SET jit = :jit;
SET work_mem = :'work_mem';
SET parallel_setup_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 0;

\echo == environment
SELECT version() AS server,
       current_setting('shared_buffers') AS shared_buffers,
       current_setting('work_mem') AS work_mem,
       current_setting('max_worker_processes') AS max_worker_processes,
       current_setting('max_parallel_workers') AS max_parallel_workers,
       current_setting('jit') AS jit,
       (SELECT extversion FROM pg_extension WHERE extname = 'portmargin') AS portmargin;
