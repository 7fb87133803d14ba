"""
test/fuzz/known_findings.py -- open fuzz findings in code other people own.

The oracle of test/fuzz/fuzz.py skips a violation that matches an entry
here, counts it as "known" and prints the entry's id, so that the CI run
stays green while the fix is pending.  Each entry carries a reproducer
(plain SQL, run in a database with the extension) and the owner.  When a fix
merges, delete its entry: the fuzzer then asserts the fix (a violation that
no entry matches fails the run).  Entries that matched nothing in a run are
listed at the end of its output, so that stale ones are noticed.

Fields:
    id        short name, cited in the fuzzer's output
    function  the extension function (pg_proc.proname) the violation is in,
              or the type name for the input fuzzer
    kind      'crash' | 'sqlstate' | 'nonfinite' | 'ubsan' (a report line of
              test/run.sh sanitize, matched by message)
    sqlstate  for kind 'sqlstate': the unexpected SQLSTATE (regular
              expression, anchored)
    message   optional regular expression the error message must match
    owner     who fixes it (issue 9 points in brackets)
    repro     SQL that shows it
"""

KNOWN = [
    {
        "id": "liquidation-missing-relation",
        "function": "liquidation_prices", "kind": "sqlstate", "sqlstate": "42P01",
        "message": r"relation .* does not exist",
        "owner": "lead (liquidation.c) [9.7]",
        "repro": "SELECT portmargin.liquidation_prices('nosuch', 1, 'BTC');"
                 "  -- 42P01 relation \"nosuch.index_prices\" does not exist; want 22023 naming target",
    },
    {
        "id": "reference-schema-exists",
        "function": "create_reference_schema", "kind": "sqlstate", "sqlstate": "42P07",
        "owner": "lead (reference schema) [9.6]",
        "repro": "SELECT portmargin.create_reference_schema('r1'); SELECT portmargin.create_reference_schema('r1');"
                 "  -- 42P07 relation \"accounts\" already exists; want 22023 naming target (or idempotence)",
    },
    {
        "id": "reference-schema-reserved-name",
        "function": "create_reference_schema", "kind": "sqlstate", "sqlstate": "42939",
        "owner": "lead (reference schema) [9.6]",
        "repro": "SELECT portmargin.create_reference_schema('pg_cron');"
                 "  -- 42939 unacceptable schema name \"pg_cron\"; want 22023 naming target",
    },
    {
        "id": "reference-schema-name-splice",
        "function": "create_reference_schema", "kind": "sqlstate", "sqlstate": "42601",
        "owner": "lead (reference schema) [9.6]",
        "repro": "SELECT portmargin.create_reference_schema('$body$');"
                 "  -- 42601 syntax error: the name is spliced into dollar-quoted bodies",
    },
    {
        "id": "risk-array-nonfinite",
        "function": "risk_array", "kind": "nonfinite",
        "owner": "helper B (riskarray.c) [9.5]",
        "repro": "SELECT portmargin.risk_array(portmargin.preset('span'), 'future', NULL, NULL, 0.1, 1e308, 0.2,"
                 " 'linear', 100);  -- NaN and Infinity elements; want 22003",
    },
    {
        "id": "scenarios-nonfinite-move",
        "function": "scenarios", "kind": "nonfinite",
        "owner": "helper B (scenario.c) [9.5]",
        "repro": "SELECT * FROM portmargin.scenarios(portmargin.tims_scenarios(0.5, 1e308, 10));"
                 "  -- price_move Infinity (and a label '+Infinity%'): the set accepts up = 1e308",
    },
    {
        "id": "expected-shortfall-overflow",
        "function": "expected_shortfall", "kind": "nonfinite",
        "owner": "helper B (tailstat.c / var_sql.c) [9.5]",
        "repro": "SELECT portmargin.expected_shortfall('{1e308,1e308}', 1e-15);  -- -Infinity; want 22003",
    },
    {
        "id": "margin-state-float-to-int",
        "function": "margin_state", "kind": "ubsan",
        "message": r"margin_agg\.c:1097:.*outside the range of representable values of type 'int'",
        "owner": "helper B (margin_agg.c, receive_var_set) [9.8]",
        "repro": "under PM_SANITIZE=undefined: a margin_state of a joint set with floor_count 1e300:"
                 " SELECT portmargin.finalize_margin(overlay(s::text placing '7e37e43c8800759c' from 91)"
                 "::portmargin.margin_state) FROM (SELECT portmargin.portfolio_margin_state(1, 'X', 'future',"
                 " NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, portmargin.var_scenarios(ARRAY['X'],"
                 " ARRAY[-0.1,0,0.1])) s) x;  -- 22P03, after the UB (int) 1e300 at margin_agg.c:1097",
    },
    {
        "id": "scenario-set-recv-08P01",
        "function": "scenario_set", "kind": "sqlstate", "sqlstate": "08P01",
        "owner": "helper B (scenario.c, scenario_set_recv) [9.11]",
        "repro": "CREATE TEMP TABLE b (v portmargin.scenario_set);"
                 " COPY b FROM PROGRAM $$printf 'PGCOPY\\n\\377\\r\\n\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\1\\0\\0\\0\\5\\1span\\377\\377'$$"
                 " (FORMAT binary);  -- 08P01 invalid string in message (a text field without its NUL);"
                 " want 22P03 like margin_state",
    },
]
