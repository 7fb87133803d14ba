-- pg_regress: every released version upgrades to the current one, and the
-- current version's full install script (portmargin--0.3.1.sql) creates the
-- same objects as 0.1.0 followed by every upgrade script: each member of the
-- extension is compared by its whole definition (function definitions with
-- volatility, strictness, parallel safety, cost and SET clauses; aggregate
-- support functions; type I/O functions, storage and attributes; table
-- columns, defaults, constraints, indexes and the shipped preset rows;
-- operators with their support functions; operator classes with their
-- members; comments), not only by name.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.ext_objects() RETURNS TABLE (object text, definition text) LANGUAGE sql AS $$
  SELECT pg_describe_object(d.classid, d.objid, d.objsubid),
         coalesce(CASE d.classid
           WHEN 'pg_proc'::regclass THEN
             (SELECT CASE WHEN p.prokind = 'a' THEN
                       (SELECT format('aggregate(%s) sfunc %s stype %s combine %s serial %s deserial %s final %s finalextra %s parallel %s',
                                      pg_get_function_identity_arguments(p.oid), a.aggtransfn, format_type(a.aggtranstype, NULL),
                                      a.aggcombinefn, a.aggserialfn, a.aggdeserialfn, a.aggfinalfn, a.aggfinalextra, p.proparallel)
                        FROM pg_aggregate a WHERE a.aggfnoid = p.oid)
                     ELSE pg_get_functiondef(p.oid) END
              FROM pg_proc p WHERE p.oid = d.objid)
           WHEN 'pg_type'::regclass THEN
             (SELECT format('%s in %s out %s recv %s send %s len %s align %s storage %s category %s cols (%s)',
                            t.typtype, t.typinput, t.typoutput, t.typreceive, t.typsend, t.typlen, t.typalign, t.typstorage,
                            t.typcategory,
                            (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                             FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped))
              FROM pg_type t WHERE t.oid = d.objid)
           WHEN 'pg_class'::regclass THEN
             (SELECT format('%s cols (%s) constraints (%s) indexes (%s)', c.relkind,
                            (SELECT string_agg(format('%s %s %s %s', a.attname, format_type(a.atttypid, a.atttypmod),
                                                      CASE WHEN a.attnotnull THEN 'not null' END, pg_get_expr(ad.adbin, ad.adrelid)),
                                               ', ' ORDER BY a.attnum)
                             FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                            (SELECT string_agg(pg_get_constraintdef(k.oid), '; ' ORDER BY k.conname) FROM pg_constraint k WHERE k.conrelid = c.oid),
                            (SELECT string_agg(pg_get_indexdef(i.indexrelid), '; ' ORDER BY i.indexrelid::regclass::text) FROM pg_index i WHERE i.indrelid = c.oid))
              FROM pg_class c WHERE c.oid = d.objid)
           WHEN 'pg_operator'::regclass THEN
             (SELECT format('%s(%s,%s) -> %s code %s com %s neg %s rest %s join %s merge %s hash %s', o.oprname,
                            format_type(o.oprleft, NULL), format_type(o.oprright, NULL), format_type(o.oprresult, NULL), o.oprcode,
                            o.oprcom::regoperator, o.oprnegate::regoperator, o.oprrest, o.oprjoin, o.oprcanmerge, o.oprcanhash)
              FROM pg_operator o WHERE o.oid = d.objid)
           WHEN 'pg_opclass'::regclass THEN
             (SELECT format('default %s for %s family %s ops (%s) procs (%s)', oc.opcdefault, format_type(oc.opcintype, NULL),
                            (SELECT f.opfname FROM pg_opfamily f WHERE f.oid = oc.opcfamily),
                            (SELECT string_agg(ao.amopstrategy || ' ' || ao.amopopr::regoperator, ', ' ORDER BY ao.amopstrategy)
                             FROM pg_amop ao WHERE ao.amopfamily = oc.opcfamily),
                            (SELECT string_agg(ap.amprocnum || ' ' || ap.amproc::regprocedure, ', ' ORDER BY ap.amprocnum)
                             FROM pg_amproc ap WHERE ap.amprocfamily = oc.opcfamily))
              FROM pg_opclass oc WHERE oc.oid = d.objid)
         END, '')
         || ' comment ' || coalesce(obj_description(d.objid, d.classid::regclass::name), '(none)')
  FROM pg_depend d
  WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'portmargin') AND d.deptype = 'e'
  UNION ALL
  SELECT 'shipped presets', string_agg(format('%s|%s|%s|%s', name, scenarios, description, source), E'\n' ORDER BY name)
  FROM portmargin.scenario_presets WHERE shipped
  UNION ALL
  SELECT 'extension configuration', format('%s %s', extconfig::regclass[], extcondition) FROM pg_extension WHERE extname = 'portmargin'
$$;
CREATE FUNCTION pg_temp.differences(saved text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format('SELECT ''only after upgrade: '' || object FROM (SELECT * FROM %1$I EXCEPT SELECT * FROM pg_temp.ext_objects()) a
                               UNION ALL
                               SELECT ''only in fresh install: '' || object FROM (SELECT * FROM pg_temp.ext_objects() EXCEPT SELECT * FROM %1$I) b
                               ORDER BY 1', saved);
END
$$;
DROP EXTENSION portmargin;
CREATE EXTENSION portmargin VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'portmargin';
SELECT count(*) AS functions_0_1_0 FROM pg_proc WHERE pronamespace = 'portmargin'::regnamespace;
ALTER EXTENSION portmargin UPDATE TO '0.2.0';
SELECT extversion FROM pg_extension WHERE extname = 'portmargin';
ALTER EXTENSION portmargin UPDATE TO '0.3.0';
SELECT extversion FROM pg_extension WHERE extname = 'portmargin';
-- a reference schema made by 0.3.0 is reported by the update (its functions are not the extension's to replace)
SELECT portmargin.create_reference_schema('ref030');
ALTER EXTENSION portmargin UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'portmargin';
CREATE TEMP TABLE from_010 AS SELECT * FROM pg_temp.ext_objects();
-- ... and upgrade_reference_schema() rebuilds it: every SQL function body bound (BEGIN ATOMIC)
SELECT portmargin.upgrade_reference_schema('ref030');
SELECT p.proname, p.prosqlbody IS NOT NULL AS bound
FROM pg_proc p WHERE p.pronamespace = 'ref030'::regnamespace AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql')
ORDER BY 1;
-- ... and brings it to this version's shape: accounts.collateral_schedule and rulebook (0.4.0), account_margin's gross_equity,
-- collateral_discount and rulebook, the view account_unit_margin; a 0.3.0 book reads through the new views (2 BTC at 0.98 x 97,000 = 190,120)
SELECT attname FROM pg_attribute WHERE attrelid = 'ref030.accounts'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT attname FROM pg_attribute WHERE attrelid = 'ref030.account_margin'::regclass AND attnum > 0 ORDER BY attnum;
INSERT INTO ref030.index_prices VALUES ('BTC', 97000, '2026-11-25 08:00+00');
INSERT INTO ref030.accounts (account_id, name) VALUES (1, 'one');
INSERT INTO ref030.collateral VALUES (1, 'BTC', 2);
INSERT INTO ref030.instruments (instrument_id, name, underlying, kind, settlement) VALUES (1, 'BTC-PERPETUAL', 'BTC', 'perpetual', 'inverse');
INSERT INTO ref030.positions VALUES (1, 1, 1, 97000);
INSERT INTO portmargin.collateral_schedules VALUES ('api-example', 'discounted', NULL, NULL, false);
INSERT INTO portmargin.collateral_tiers (schedule, currency, tier, lower_bound, upper_bound, discount_rate) VALUES ('api-example', 'BTC', 1, 0, NULL, 0.98);
UPDATE ref030.accounts SET collateral_schedule = 'api-example';
SELECT account_id, equity, gross_equity, collateral_discount, status FROM ref030.account_margin;
SELECT account_id, unit, underlying, settlement, rule, method, currency FROM ref030.account_unit_margin;
DROP SCHEMA ref030 CASCADE;
DELETE FROM portmargin.collateral_tiers WHERE NOT shipped;
DELETE FROM portmargin.collateral_schedules WHERE NOT shipped;
-- 0.2.0 -> current
DROP EXTENSION portmargin;
CREATE EXTENSION portmargin VERSION '0.2.0';
ALTER EXTENSION portmargin UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'portmargin';
CREATE TEMP TABLE from_020 AS SELECT * FROM pg_temp.ext_objects();
-- 0.3.0 -> current
DROP EXTENSION portmargin;
CREATE EXTENSION portmargin VERSION '0.3.0';
ALTER EXTENSION portmargin UPDATE;
CREATE TEMP TABLE from_030 AS SELECT * FROM pg_temp.ext_objects();
-- 0.3.1 -> current
DROP EXTENSION portmargin;
CREATE EXTENSION portmargin VERSION '0.3.1';
ALTER EXTENSION portmargin UPDATE;
CREATE TEMP TABLE from_031 AS SELECT * FROM pg_temp.ext_objects();
-- a fresh install of the current version runs the full script, and has the same objects and definitions
DROP EXTENSION portmargin;
CREATE EXTENSION portmargin;
SELECT extversion FROM pg_extension WHERE extname = 'portmargin';
SELECT count(*) >= 90 AS many_objects, count(*) FILTER (WHERE object LIKE 'function %') >= 70 AS many_functions
FROM pg_temp.ext_objects();
SELECT * FROM pg_temp.differences('from_010');
SELECT * FROM pg_temp.differences('from_020');
SELECT * FROM pg_temp.differences('from_030');
SELECT * FROM pg_temp.differences('from_031');
SELECT count(*) AS presets FROM portmargin.scenario_presets WHERE shipped;
