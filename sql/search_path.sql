-- pg_regress: no SQL body that portmargin creates (install scripts, the
-- reference schema) resolves an operator, function or type through the
-- caller's search_path.
--
-- A role that may CREATE in public plants, in public, a shadow of every
-- operator, function, aggregate and type name used in those bodies (for each
-- name: every signature pg_catalog and portmargin have, plus looser
-- signatures that an integer literal or a mixed-type expression would match
-- exactly), each raising an error naming itself.  The victim (a superuser)
-- then reads every view, calls every reference-schema function and the
-- extension's SQL-bodied functions with two hostile search_paths:
-- `public, pg_catalog` (public's exact copies come first) and the default
-- `"$user", public` (pg_catalog first: only a better match wins).  Nothing
-- may raise, and every result must equal the one under a clean search_path.
SET client_min_messages = warning;
\set span_sample `cat test/span/sample.pa2`
CREATE ROLE regress_pm_attacker;
CREATE SCHEMA pm_results;

-- 1. structure: every SQL body is bound when created (BEGIN ATOMIC, or a view),
-- or runs with a fixed search_path that starts with pg_catalog
SELECT portmargin.create_reference_schema('victim');
SELECT portmargin.generate_demo_book('victim', 60, 0.42);
-- stress testing (issue 15): the report's table, views and functions, before the names are collected
SELECT portmargin.create_stress_tables('victim');
INSERT INTO victim.stress_scenarios (name, scenario) SELECT name, scenario FROM portmargin.stress_library;
-- backtesting on the margin history (issue 16): its tables, triggers and functions, and prices a day after the rounds
SELECT portmargin.create_backtest_tables('victim');
INSERT INTO victim.index_price_history (underlying, at, price)
SELECT underlying, '2026-11-27 00:00+00', price * 0.97 FROM victim.index_prices;
-- statistics now, so that autovacuum does not re-plan the views between rounds (another join order sums the same
-- floats in another order: results equal to the last bit only within one plan)
ANALYZE;
-- an account holding BTC and an instrument (for the what-if), chosen before the attack
SELECT min(p.account_id) AS acct, min(p.instrument_id) AS instr
FROM victim.positions p JOIN victim.instruments i USING (instrument_id) WHERE i.underlying = 'BTC' \gset
CREATE FUNCTION pm_results.rows_differing(result text, round text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT (SELECT count(*) FROM (TABLE pm_results.%1$I EXCEPT ALL TABLE pm_results.%2$I) a)
                       + (SELECT count(*) FROM (TABLE pm_results.%2$I EXCEPT ALL TABLE pm_results.%1$I) b)',
                 result, replace(result, '_clean', '_' || round)) INTO n;
  RETURN n;
END
$f$;
CREATE FUNCTION pm_results.rows_in(result text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM pm_results.%I', result) INTO n;
  RETURN n;
END
$f$;
SELECT n.nspname, p.proname, l.lanname, p.proconfig
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
WHERE n.nspname IN ('portmargin', 'victim') AND l.lanname IN ('sql', 'plpgsql')
  AND NOT (l.lanname = 'sql' AND p.prosqlbody IS NOT NULL)
  AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
ORDER BY 1, 2;

-- 2. the names used in those bodies: operators and called names in every
-- function body and view definition of both schemas, and in the queries
-- that portmargin's C functions run through SPI
CREATE TABLE pm_results.bodies AS
SELECT pg_get_functiondef(p.oid) AS body
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace IN ('portmargin'::regnamespace, 'victim'::regnamespace) AND l.lanname IN ('sql', 'plpgsql')
UNION ALL
SELECT pg_get_viewdef(c.oid) FROM pg_class c WHERE c.relnamespace = 'victim'::regnamespace AND c.relkind = 'v'
UNION ALL
-- src/scenario.c (preset) and src/liquidation.c
VALUES ('SELECT scenarios FROM portmargin.scenario_presets WHERE name OPERATOR(pg_catalog.=) $1'),
       ('SELECT price FROM victim.index_prices WHERE underlying OPERATOR(pg_catalog.=) $1'),
       ('SELECT victim.equity_excess_at($1, $2, $3)');
CREATE TABLE pm_results.op_names AS
SELECT DISTINCT m[1] AS name
FROM pm_results.bodies, regexp_matches(regexp_replace(body, '--[^\n]*', '', 'g'), '([-+*/<>=~!@#%^&|?]+)', 'g') m
WHERE EXISTS (SELECT 1 FROM pg_operator o WHERE o.oprname = m[1]);
CREATE TABLE pm_results.fn_names AS
SELECT DISTINCT lower(m[1]) AS name
FROM pm_results.bodies, regexp_matches(body, '([A-Za-z_][A-Za-z0-9_]*)\s*\(', 'g') m
WHERE EXISTS (SELECT 1 FROM pg_proc p WHERE p.proname = lower(m[1])
              AND p.pronamespace IN ('pg_catalog'::regnamespace, 'portmargin'::regnamespace))
UNION
-- names the parser turns into function calls
VALUES ('date_part'), ('extract'), ('timezone'), ('overlaps'), ('position'), ('substring'), ('btrim'), ('like_escape');
-- type names (not SQL keywords, so looked up in search_path) written in the bodies
CREATE TABLE pm_results.type_names AS
SELECT t.typname AS name
FROM pg_type t
WHERE t.typnamespace = 'pg_catalog'::regnamespace AND t.typtype = 'b' AND t.typname !~ '^_'
  AND t.typname IN ('float8', 'float4', 'int8', 'int4', 'int2', 'text', 'timestamptz', 'timestamp', 'date',
                    'bool', 'interval', 'jsonb', 'json', 'name', 'oid', 'regclass', 'regnamespace', 'bytea');
SELECT count(*) >= 10 AS many_operator_names, count(*) FILTER (WHERE name IN ('>', '-', '=', '*', '/')) = 5 AS arithmetic_and_comparison
FROM pm_results.op_names;
SELECT count(*) > 40 AS many_function_names,
       count(*) FILTER (WHERE name IN ('unnest', 'sum', 'year_fraction', 'cardinality', 'black76_price', 'lag')) AS of_six_known
FROM pm_results.fn_names;

-- 3. the attacker plants the shadows in public
GRANT CREATE ON SCHEMA public TO regress_pm_attacker;
GRANT USAGE ON SCHEMA pm_results TO regress_pm_attacker;
GRANT SELECT ON ALL TABLES IN SCHEMA pm_results TO regress_pm_attacker;
SET ROLE regress_pm_attacker;
CREATE FUNCTION public.pm_shadow_ran(what text) RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
  RAISE EXCEPTION 'SHADOW RAN: % as %', what, session_user;
END
$f$;
DO $plant$
DECLARE
  r record;
  l text;
  rr text;
  creatable text := '^(int2|int4|int8|float4|float8|numeric|text|bool|date|timestamptz|timestamp|interval|bytea|jsonb|name|oid|'
                    || 'anyelement|anyarray|anynonarray|anycompatible|anycompatiblearray|_int4|_int8|_float8|_text|_bool)$';
  loose text[] := '{int2,int4,int8,float4,float8,numeric,text,bool,date,timestamptz,interval}';
  n int := 0;
  sig text;
  args text;
  res text;
BEGIN
  -- operators: every signature pg_catalog has for a name, and every pair of common types
  FOR r IN SELECT DISTINCT o.oprname, o.oprleft::regtype::text AS lt, o.oprright::regtype::text AS rt,
                  o.oprleft, o.oprright, o.oprresult::regtype::text AS res
           FROM pg_operator o JOIN pm_results.op_names n ON n.name = o.oprname
           WHERE o.oprnamespace = 'pg_catalog'::regnamespace
  LOOP
    IF (r.oprleft = 0 OR format_type(r.oprleft, NULL) ~ '^[a-z0-9 ]+(\[\])?$')
       AND format_type(r.oprright, NULL) ~ '^[a-z0-9 ]+(\[\])?$'
       AND r.res NOT IN ('internal', '"any"') AND r.lt NOT IN ('internal', '"any"') AND r.rt NOT IN ('internal', '"any"') THEN
      sig := CASE WHEN r.oprleft = 0 THEN r.rt ELSE r.lt || ',' || r.rt END;
      BEGIN
        EXECUTE format('CREATE FUNCTION public.pm_shadow_op_%s(%s) RETURNS %s LANGUAGE sql AS %L',
                       n, sig, r.res, format('SELECT CASE WHEN public.pm_shadow_ran(%L) THEN NULL END::%s',
                                             format('operator %s(%s)', r.oprname, sig), r.res));
        EXECUTE format('CREATE OPERATOR public.%s (%s rightarg = %s, function = public.pm_shadow_op_%s)',
                       r.oprname, CASE WHEN r.oprleft = 0 THEN '' ELSE format('leftarg = %s,', r.lt) END, r.rt, n);
        n := n + 1;
      EXCEPTION WHEN others THEN NULL;  -- a signature that cannot be declared in SQL (e.g. pseudo-types)
      END;
    END IF;
  END LOOP;
  -- looser signatures: each pair of common types that pg_catalog serves only through an implicit cast
  -- (e.g. float8 > int4 for `x > 0`); the shadow returns the type pg_catalog's operator would
  FOR r IN SELECT name FROM pm_results.op_names LOOP
    FOREACH l IN ARRAY loose LOOP
      FOREACH rr IN ARRAY loose || '{""}'::text[] LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_operator o WHERE o.oprname = r.name
                              AND o.oprleft = CASE WHEN rr = '' THEN 0 ELSE l::regtype END
                              AND o.oprright = CASE WHEN rr = '' THEN l ELSE rr END::regtype
                              AND o.oprnamespace IN ('pg_catalog'::regnamespace, 'public'::regnamespace));
        BEGIN
          IF rr = '' THEN  -- prefix
            EXECUTE format('SELECT pg_typeof(%s NULL::pg_catalog.%s)::text', r.name, l) INTO res;
            sig := l;
          ELSE
            EXECUTE format('SELECT pg_typeof(NULL::pg_catalog.%s %s NULL::pg_catalog.%s)::text', l, r.name, rr) INTO res;
            sig := l || ', ' || rr;
          END IF;
          EXECUTE format('CREATE FUNCTION public.pm_shadow_op_%s(%s) RETURNS %s LANGUAGE sql AS %L',
                         n, sig, res, format('SELECT CASE WHEN public.pm_shadow_ran(%L) THEN NULL END::%s',
                                             format('operator %s(%s)', r.name, sig), res));
          EXECUTE format('CREATE OPERATOR public.%s (%s rightarg = %s, function = public.pm_shadow_op_%s)', r.name,
                         CASE WHEN rr = '' THEN '' ELSE format('leftarg = %s,', l) END, CASE WHEN rr = '' THEN l ELSE rr END, n);
          n := n + 1;
        EXCEPTION WHEN others THEN NULL;  -- pg_catalog has no operator for the pair: no body can use it
        END;
      END LOOP;
    END LOOP;
  END LOOP;
  -- functions and aggregates: every signature pg_catalog and portmargin have for a name
  FOR r IN SELECT p.oid, p.proname, p.prokind, p.proretset, pg_get_function_identity_arguments(p.oid) AS ident,
                  p.proargtypes, p.prorettype::regtype::text AS ret
           FROM pg_proc p JOIN pm_results.fn_names f ON f.name = p.proname
           WHERE p.pronamespace IN ('pg_catalog'::regnamespace, 'portmargin'::regnamespace)
  LOOP
    IF NOT EXISTS (SELECT 1 FROM unnest(r.proargtypes::oid[]) a WHERE NOT format_type(a, NULL) ~ creatable
                   AND format_type(a, NULL) NOT LIKE 'portmargin.%')
       AND (r.ret ~ creatable OR r.ret IN ('void', 'record') OR r.ret LIKE 'portmargin.%') THEN
      args := (SELECT coalesce(string_agg(format_type(a, NULL), ', ' ORDER BY o), '')
               FROM unnest(r.proargtypes::oid[]) WITH ORDINALITY AS x(a, o));
      BEGIN
        IF r.prokind = 'a' AND args <> '' AND r.ret ~ creatable AND r.ret !~ '^any' THEN
          EXECUTE format('CREATE FUNCTION public.pm_shadow_sf_%s(%s, %s) RETURNS %s LANGUAGE sql AS %L',
                         n, r.ret, args, r.ret, format('SELECT CASE WHEN public.pm_shadow_ran(%L) THEN NULL END::%s',
                                                        format('aggregate %s(%s)', r.proname, args), r.ret));
          EXECUTE format('CREATE AGGREGATE public.%I(%s) (sfunc = public.pm_shadow_sf_%s, stype = %s)', r.proname, args, n, r.ret);
        ELSIF r.prokind IN ('f', 'w') AND r.ret NOT IN ('record') THEN
          EXECUTE format('CREATE FUNCTION public.%I(%s) RETURNS %s %s LANGUAGE plpgsql AS %L',
                         r.proname, args, CASE WHEN r.proretset THEN 'SETOF' ELSE '' END, r.ret,
                         format('BEGIN PERFORM public.pm_shadow_ran(%L); END', format('function %s(%s)', r.proname, args)));
        END IF;
        n := n + 1;
      EXCEPTION WHEN others THEN NULL;
      END;
    END IF;
  END LOOP;
  -- types: a domain of the same name whose check raises
  FOR r IN SELECT name FROM pm_results.type_names LOOP
    EXECUTE format('CREATE DOMAIN public.%I AS pg_catalog.%I CHECK (public.pm_shadow_ran(%L))', r.name, r.name, 'type ' || r.name);
    n := n + 1;
  END LOOP;
  RAISE NOTICE 'planted % shadows', n;
END
$plant$;
RESET ROLE;
SELECT count(*) > 500 AS operators_planted FROM pg_operator WHERE oprnamespace = 'public'::regnamespace;
SELECT count(*) > 500 AS functions_planted FROM pg_proc WHERE pronamespace = 'public'::regnamespace;
SELECT count(*) AS domains_planted FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype = 'd';
-- a planted shadow does run where a body is parsed with the caller's search_path (the attack, on a plain SQL function)
CREATE FUNCTION pm_results.naive(x double precision) RETURNS boolean LANGUAGE sql AS 'SELECT x > 0';
SET search_path = "$user", public;
SELECT pm_results.naive(1);
RESET search_path;

-- 4. the victim works under two hostile search_paths and a clean one; the
-- results are stored by statements that use no operator, function or type
-- of their own (sql/search_path_run.psql; pg_regress runs psql in the top directory)
SET search_path = public, pg_catalog;
\set round h1
\set at '2026-11-25 09:00+00'
\i sql/search_path_run.psql
SET search_path = "$user", public;
\set round h2
\set at '2026-11-25 10:00+00'
\i sql/search_path_run.psql
SET search_path = pg_catalog;
\set round clean
\set at '2026-11-25 11:00+00'
\i sql/search_path_run.psql
RESET search_path;

-- 5. every result under a hostile search_path equals the clean one
SELECT c.relname AS result,
       pm_results.rows_differing(c.relname, 'h1') AS differ_h1, pm_results.rows_differing(c.relname, 'h2') AS differ_h2,
       pm_results.rows_in(c.relname) > 0 AS has_rows
FROM pg_class c
WHERE c.relnamespace = 'pm_results'::regnamespace AND c.relkind = 'r' AND c.relname LIKE '%\_clean'
ORDER BY 1;

-- clean up
DROP SCHEMA victim, victim2, victim_span CASCADE;
DROP SCHEMA pm_results CASCADE;
DROP OWNED BY regress_pm_attacker CASCADE;
DROP ROLE regress_pm_attacker;
