-- test/cron.sql: a scheduled margin snapshot with pg_cron, as documented
-- in doc/reference-schema.md.  The test cluster of test/run.sh preloads
-- pg_cron (shared_preload_libraries, cron.database_name = this database,
-- jobs in background workers).  Not in a transaction: the job runs in its
-- own session and must see the committed schema.  pg_cron 1.4 schedules
-- by the minute, so the job runs within about 60 s of being scheduled.
\set ON_ERROR_STOP off
SET client_min_messages = warning;
SELECT plan(6);
CREATE EXTENSION IF NOT EXISTS pg_cron;
SELECT has_extension('pg_cron', 'pg_cron is installed (shared_preload_libraries)');
DROP SCHEMA IF EXISTS cronbook CASCADE;
SELECT portmargin.create_reference_schema('cronbook');
SELECT portmargin.generate_demo_book('cronbook', 1000, 0.11);

-- the documented job: every minute (use e.g. '0 * * * *' for hourly, '55 23 * * *' daily)
SELECT isnt(cron.schedule('portmargin-snapshot', '* * * * *', $$SELECT cronbook.snapshot_margins()$$), NULL::bigint,
            'cron.schedule returns a job id');
SELECT is((SELECT count(*)::int FROM cron.job WHERE jobname = 'portmargin-snapshot' AND command LIKE '%snapshot_margins%'), 1,
          'the job is in cron.job');

-- wait for the first run (at most 75 s)
DO $$
BEGIN
  FOR i IN 1..75 LOOP
    EXIT WHEN EXISTS (SELECT 1 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                      WHERE j.jobname = 'portmargin-snapshot' AND d.status IN ('succeeded', 'failed'));
    PERFORM pg_sleep(1);
  END LOOP;
END $$;
SELECT is((SELECT d.status FROM cron.job_run_details d JOIN cron.job j USING (jobid)
           WHERE j.jobname = 'portmargin-snapshot' ORDER BY d.start_time LIMIT 1), 'succeeded',
          'pg_cron ran snapshot_margins');
SELECT ok((SELECT count(*) FROM cronbook.margin_history) >= 1000, 'the scheduled run wrote every account to margin_history');
SELECT ok(cron.unschedule('portmargin-snapshot'), 'cron.unschedule');
DROP SCHEMA cronbook CASCADE;
SELECT * FROM finish();
