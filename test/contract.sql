-- test/contract.sql: the extension's SQL contract.  Functions are marked
-- truthfully: IMMUTABLE (preset() reads a table: STABLE), STRICT unless
-- they accept documented NULLs, all PARALLEL SAFE; aggregates can run in
-- parallel; every object lives in schema portmargin and has a COMMENT; the
-- extension is not relocatable.
BEGIN;
SELECT plan(12);

CREATE TEMP VIEW pm_functions AS
SELECT p.oid, p.proname, p.prokind, p.provolatile, p.proisstrict, p.proparallel, l.lanname,
       obj_description(p.oid, 'pg_proc') AS comment
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'portmargin'
JOIN pg_language l ON l.oid = p.prolang;

SELECT ok((SELECT count(*) FROM pm_functions) >= 18, 'the extension defines its pricing functions');
SELECT is((SELECT count(*)::int FROM pm_functions WHERE prokind = 'a'), 13,
          'thirteen aggregates: portfolio_margin and portfolio_margin_state (12 arguments or a position, over a scenario set or a rulebook), merge_margin_states, backtest, span_portfolio, span_margin, stress_pnl');
SELECT is_empty($$SELECT a.aggfnoid FROM pg_aggregate a JOIN pm_functions f ON f.oid = a.aggfnoid
                  WHERE a.aggcombinefn = 0 OR a.aggserialfn = 0 OR a.aggdeserialfn = 0$$,
                'every aggregate has combine, serialize and deserialize functions (parallel query)');

SELECT is_empty($$SELECT proname FROM pm_functions WHERE prokind = 'f' AND provolatile <> 'i'
                  AND proname NOT IN ('preset', 'rulebook_preset', 'liquidation_prices', 'create_reference_schema', 'upgrade_reference_schema', 'generate_demo_book',
                                      'protect_shipped_rows', 'check_reference_schema_owner', 'grant_reader', 'grant_writer',
                                      'revoke_reference_access', 'grant_configuration', 'enable_live_margin', 'disable_live_margin', 'start_live_margin_worker', 'stop_live_margin_worker', 'live_margin_worker_launch', 'live_margin_workers',
                                      'create_span_tables', 'load_span_file', 'span_parameters_of', 'create_shard_view', 'create_sharded_book', 'use_sharded_positions',
                                      'create_stress_tables', 'create_backtest_tables', 'reference_schema_arg')$$,
                'every function is IMMUTABLE, except preset(), rulebook_preset(), liquidation_prices() and span_parameters_of() (read tables: STABLE), the reference-schema and SPAN-table builders, the SPAN file loader, the grant helpers and the configuration tables'' trigger (VOLATILE)');
SELECT is((SELECT provolatile::text FROM pm_functions WHERE proname = 'preset'), 's',
          'preset() reads scenario_presets: STABLE');
SELECT is_empty($$SELECT proname FROM pm_functions WHERE prokind = 'f' AND NOT proisstrict
                  AND proname NOT IN ('grid_scenarios', 'risk_array', 'margin_sfunc', 'margin_rules_sfunc', 'margin_combine',
                                      'margin_position_sfunc', 'margin_position_rules_sfunc',
                                      -- NULL = default (and a NULL quantity: a row the aggregate skips)
                                      'position',
                                      'margin_ffunc', 'margin_state_ffunc', 'margin_merge_sfunc',
                                      -- NULL = default: weights, vol shifts, lookback, ewma_lambda, df
                                      'var_scenarios', 'historical_scenarios', 'monte_carlo_scenarios',
                                      'value_at_risk', 'expected_shortfall',
                                      -- NULL = default (weights, quantities); a NULL set or P&L is 22004 naming it
                                      'tail_scenarios', 'position_contributions',
                                      -- names DEFAULT NULL
                                      'rulebook',
                                      'backtest_sfunc', 'backtest_combine', 'backtest_ffunc',
                                      -- name their NULL argument in the error / use defaults
                                      'liquidation_prices', 'create_reference_schema', 'upgrade_reference_schema', 'generate_demo_book',
                                      'check_reference_schema_owner', 'grant_reader', 'grant_writer', 'revoke_reference_access',
                                      'grant_configuration', 'enable_live_margin', 'disable_live_margin', 'live_margin_workers',
                                      'start_live_margin_worker', 'stop_live_margin_worker',
                                      -- a trigger function
                                      'protect_shipped_rows',
                                      -- SPAN: the aggregate's support functions; SQL functions that name their NULL argument
                                      'span_sfunc', 'span_combine', 'span_ffunc', 'create_span_tables', 'load_span_file',
                                      'span_margin_sfunc', 'span_margin_combine', 'span_margin_ffunc',
                                      'span_parameters_of', 'create_shard_view', 'create_sharded_book', 'use_sharded_positions',
                                      -- stress testing: the aggregate's support functions (NULL option fields of a future);
                                      -- SQL functions that name their NULL argument
                                      'stress_pnl_sfunc', 'stress_pnl_combine', 'stress_pnl_ffunc', 'check_stress_scenario',
                                      'hypothetical_stress', 'mirrored', 'stress_set', 'historical_stresses', 'stressed_correlation',
                                      'create_stress_tables',
                                      -- the stressed period: days DEFAULT NULL; a plpgsql function that names its NULL argument
                                      'stressed_window', 'historical_scenario_days', 'concentration_factor', 'concentration_addon',
                                      'create_backtest_tables', 'vol_shifts_from',
                                      -- anti-procyclicality over a margin series: SQL functions that name their NULL argument
                                      'apc_margin_series', 'apc_buffered_margin', 'peak_to_trough', 'largest_margin_increase',
                                      -- NULL = default: ewma_lambda, lookback, previous
                                      'estimate_correlation',
                                      -- the reference-schema argument check, which names a NULL target
                                      'reference_schema_arg')$$,
                'every function is STRICT, except those that take documented NULLs');
SELECT is_empty($$SELECT proname FROM pm_functions WHERE prokind = 'f' AND NOT proisstrict
                  AND proname IN ('bs_price', 'bs_greeks', 'black76_price', 'implied_vol', 'inverse_price')$$,
                'the pricing functions are STRICT');
SELECT is_empty($$SELECT proname FROM pm_functions WHERE proparallel <> 's'
                  AND proname NOT IN ('liquidation_prices', 'create_reference_schema', 'upgrade_reference_schema', 'generate_demo_book',
                                      'protect_shipped_rows', 'grant_reader', 'grant_writer', 'revoke_reference_access',
                                      'grant_configuration', 'enable_live_margin', 'disable_live_margin',
                                      'live_margin_worker_launch', 'live_margin_workers', 'start_live_margin_worker',
                                      'stop_live_margin_worker', 'create_span_tables', 'load_span_file', 'create_shard_view', 'create_sharded_book', 'use_sharded_positions',
                                      'create_stress_tables', 'create_backtest_tables')$$,
                'every function is PARALLEL SAFE, except those that run SPI queries, DDL or GRANT and the configuration tables'' trigger');
SELECT is_empty($$SELECT proname FROM pm_functions WHERE prokind = 'f' AND lanname <> 'c'
                  AND proname NOT IN ('create_reference_schema', 'upgrade_reference_schema', 'generate_demo_book', 'protect_shipped_rows',
                                      'reference_schema_objects', 'check_reference_schema_owner', 'grant_reader', 'grant_writer',
                                      'revoke_reference_access', 'grant_configuration', 'enable_live_margin', 'disable_live_margin', 'start_live_margin_worker', 'stop_live_margin_worker', 'live_margin_worker_launch', 'live_margin_workers',
                                      'create_span_tables', 'load_span_file', 'span_parameters_of', 'create_shard_view', 'create_sharded_book', 'margin_summary', 'use_sharded_positions',
                                      'check_stress_scenario', 'hypothetical_stress', 'mirrored', 'stress_set', 'historical_stresses',
                                      'stressed_correlation', 'create_stress_tables', 'historical_scenario_days',
                                      'concentration_factor', 'concentration_addon', 'create_backtest_tables', 'reference_schema_arg',
                                      'apc_margin_series', 'apc_buffered_margin', 'peak_to_trough', 'largest_margin_increase')$$,
                'every function is written in C, except the PL/pgSQL builders and grant helpers of the reference schema and the configuration tables'' trigger');

SELECT is_empty($$
  SELECT pg_describe_object(d.classid, d.objid, d.objsubid)
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'portmargin'
  WHERE d.deptype = 'e'
    AND obj_description(d.objid, d.classid::regclass::name) IS NULL
    -- composite types carry their comment on the type; their implicit array
    -- types and row types are not separate user-visible objects
    AND NOT (d.classid = 'pg_type'::regclass AND EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = d.objid AND t.typcategory = 'A'))
$$, 'every object of the extension has a COMMENT');

SELECT is_empty($$
  SELECT p.proname FROM pm_functions f JOIN pg_proc p ON p.oid = f.oid
  WHERE p.pronamespace <> 'portmargin'::regnamespace
$$, 'every function lives in schema portmargin');

SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'portmargin'), false,
          'the extension is not relocatable');

SELECT * FROM finish();
ROLLBACK;
