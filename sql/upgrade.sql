-- pg_regress: every released version upgrades to the current one.
-- 0.1.0 (pricing) -> 0.2.0 (scenario sets and the margin aggregate)
-- -> 0.3.0 (joint scenarios, VaR / ES margin, backtesting).
CREATE FUNCTION pg_temp.ext_objects() RETURNS SETOF text LANGUAGE sql AS $$
  SELECT pg_describe_object(classid, objid, objsubid)
  FROM pg_depend WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'portmargin') AND deptype = 'e'
$$;
CREATE FUNCTION pg_temp.margin_fields() RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = (SELECT typrelid FROM pg_type WHERE oid = 'portmargin.margin'::regtype) AND attnum > 0 AND NOT attisdropped
$$;
DROP EXTENSION portmargin;
CREATE EXTENSION portmargin VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'portmargin';
SELECT count(*) AS functions_0_1_0 FROM pg_proc WHERE pronamespace = 'portmargin'::regnamespace;
ALTER EXTENSION portmargin UPDATE TO '0.2.0';
SELECT extversion FROM pg_extension WHERE extname = 'portmargin';
ALTER EXTENSION portmargin UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'portmargin';
CREATE TEMP TABLE from_010 AS SELECT * FROM pg_temp.ext_objects() o;
CREATE TEMP TABLE fields_010 AS SELECT pg_temp.margin_fields() f;
-- 0.2.0 -> current
DROP EXTENSION portmargin;
CREATE EXTENSION portmargin VERSION '0.2.0';
ALTER EXTENSION portmargin UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'portmargin';
CREATE TEMP TABLE from_020 AS SELECT * FROM pg_temp.ext_objects() o;
-- a fresh install of the current version has the same objects and margin fields
DROP EXTENSION portmargin;
CREATE EXTENSION portmargin;
SELECT extversion FROM pg_extension WHERE extname = 'portmargin';
SELECT (SELECT count(*) FROM (SELECT o FROM from_010 EXCEPT ALL SELECT * FROM pg_temp.ext_objects()) d)
     + (SELECT count(*) FROM (SELECT * FROM pg_temp.ext_objects() EXCEPT ALL SELECT o FROM from_010) d) AS differ_from_0_1_0,
       (SELECT count(*) FROM (SELECT o FROM from_020 EXCEPT ALL SELECT * FROM pg_temp.ext_objects()) d)
     + (SELECT count(*) FROM (SELECT * FROM pg_temp.ext_objects() EXCEPT ALL SELECT o FROM from_020) d) AS differ_from_0_2_0;
SELECT (SELECT f FROM fields_010) = pg_temp.margin_fields() AS same_margin_fields;
SELECT pg_temp.margin_fields();
SELECT count(*) AS presets FROM portmargin.scenario_presets WHERE shipped;
