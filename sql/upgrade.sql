-- pg_regress: every released version upgrades to the current one.
-- 0.1.0 (pricing) -> 0.2.0 (scenario sets and the margin aggregate).
DROP EXTENSION portmargin;
CREATE EXTENSION portmargin VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'portmargin';
SELECT count(*) AS functions_0_1_0 FROM pg_proc WHERE pronamespace = 'portmargin'::regnamespace;
ALTER EXTENSION portmargin UPDATE TO '0.2.0';
SELECT extversion FROM pg_extension WHERE extname = 'portmargin';
-- the upgraded extension has the same objects as a fresh 0.2.0 install
CREATE TEMP TABLE upgraded AS
SELECT pg_describe_object(classid, objid, objsubid) AS object
FROM pg_depend WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'portmargin') AND deptype = 'e';
DROP EXTENSION portmargin;
CREATE EXTENSION portmargin;
SELECT extversion FROM pg_extension WHERE extname = 'portmargin';
SELECT count(*) AS only_in_one
FROM (SELECT object FROM upgraded
      EXCEPT ALL
      SELECT pg_describe_object(classid, objid, objsubid)
      FROM pg_depend WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'portmargin') AND deptype = 'e') d;
SELECT count(*) AS presets FROM portmargin.scenario_presets WHERE shipped;
