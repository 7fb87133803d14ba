-- portmargin 0.3.1 -> 0.4.0: rulebooks (a scenario set per risk unit).
-- Every object lives in @extschema@ (portmargin) and is schema-qualified.

\echo Use "ALTER EXTENSION portmargin UPDATE TO '0.4.0'" to load this file. \quit

-- ---------------------------------------------------------------------
-- rulebook: which scenario set applies to each risk unit
-- ---------------------------------------------------------------------

CREATE TYPE @extschema@.rulebook;
CREATE FUNCTION @extschema@.rulebook_in(cstring) RETURNS @extschema@.rulebook
AS 'MODULE_PATHNAME', 'portmargin_rulebook_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rulebook_out(@extschema@.rulebook) RETURNS cstring
AS 'MODULE_PATHNAME', 'portmargin_rulebook_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rulebook_recv(internal) RETURNS @extschema@.rulebook
AS 'MODULE_PATHNAME', 'portmargin_rulebook_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.rulebook_send(@extschema@.rulebook) RETURNS bytea
AS 'MODULE_PATHNAME', 'portmargin_rulebook_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.rulebook (
    INPUT = @extschema@.rulebook_in,
    OUTPUT = @extschema@.rulebook_out,
    RECEIVE = @extschema@.rulebook_recv,
    SEND = @extschema@.rulebook_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.rulebook IS
  'the scenario set (margin method and parameters) of each risk unit: rules keyed by (underlying or *, linear / inverse / *); a unit takes the most specific matching rule; text form rulebook(BTC/inverse "name": deribit(...); */*: span(...))';
COMMENT ON FUNCTION @extschema@.rulebook_in(cstring) IS 'text input of rulebook';
COMMENT ON FUNCTION @extschema@.rulebook_out(@extschema@.rulebook) IS 'canonical text output of rulebook';
COMMENT ON FUNCTION @extschema@.rulebook_recv(internal) IS 'binary input of rulebook';
COMMENT ON FUNCTION @extschema@.rulebook_send(@extschema@.rulebook) IS 'binary output of rulebook';

CREATE FUNCTION @extschema@.rulebook_eq(@extschema@.rulebook, @extschema@.rulebook) RETURNS boolean
AS 'MODULE_PATHNAME', 'portmargin_rulebook_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rulebook_eq(@extschema@.rulebook, @extschema@.rulebook) IS 'rulebooks are equal when their rules are';
CREATE OPERATOR @extschema@.= (
    LEFTARG = @extschema@.rulebook, RIGHTARG = @extschema@.rulebook,
    FUNCTION = @extschema@.rulebook_eq, COMMUTATOR = OPERATOR(@extschema@.=)
);
COMMENT ON OPERATOR @extschema@.= (@extschema@.rulebook, @extschema@.rulebook) IS 'rulebooks are equal';

CREATE FUNCTION @extschema@.rulebook(underlyings text[], settlements text[], scenarios @extschema@.scenario_set[],
                                     names text[] DEFAULT NULL)
RETURNS @extschema@.rulebook
AS 'MODULE_PATHNAME', 'portmargin_rulebook_build' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rulebook(text[], text[], @extschema@.scenario_set[], text[]) IS
  'a rulebook: rule k applies scenarios[k] to risk units of underlyings[k] (* = any) settled settlements[k] (linear, inverse, * = any), named names[k] in reports';

CREATE FUNCTION @extschema@.rulebook(scenarios @extschema@.scenario_set)
RETURNS @extschema@.rulebook
AS 'MODULE_PATHNAME', 'portmargin_rulebook_of_set' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rulebook(@extschema@.scenario_set) IS
  'the rulebook whose only rule, */*, is the scenario set (the implicit cast)';
CREATE CAST (@extschema@.scenario_set AS @extschema@.rulebook)
    WITH FUNCTION @extschema@.rulebook(@extschema@.scenario_set) AS IMPLICIT;
COMMENT ON CAST (@extschema@.scenario_set AS @extschema@.rulebook) IS 'a scenario set is the rulebook of one default rule';

CREATE FUNCTION @extschema@.rules(rulebook @extschema@.rulebook,
    OUT underlying text, OUT settlement text, OUT name text, OUT scenarios @extschema@.scenario_set)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'portmargin_rules' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.rules(@extschema@.rulebook) IS 'the rules of a rulebook: key (underlying, settlement; * = any), name and scenario set';

CREATE FUNCTION @extschema@.rule_for(rulebook @extschema@.rulebook, underlying text, settlement text)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_rule_for' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rule_for(@extschema@.rulebook, text, text) IS
  'the scenario set a risk unit (underlying, linear or inverse) takes: the rule of (underlying, settlement), else (underlying, *), else (*, settlement), else (*, *)';

CREATE TABLE @extschema@.rulebook_rules (
    rulebook    text NOT NULL,
    underlying  text NOT NULL DEFAULT '*',
    settlement  text NOT NULL DEFAULT '*' CHECK (settlement IN ('linear', 'inverse', '*')),
    preset      text NOT NULL REFERENCES @extschema@.scenario_presets (name),
    shipped     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (rulebook, underlying, settlement)
);
COMMENT ON TABLE @extschema@.rulebook_rules IS
  'named rulebooks: each row applies a scenario_presets row to the risk units of (underlying, settlement), * for any; rulebook_preset(rulebook) builds the value; shipped rows carry venues'' published parameters, user rows are kept by pg_dump';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.rulebook_rules', 'WHERE NOT shipped');

CREATE FUNCTION @extschema@.rulebook_preset(name text) RETURNS @extschema@.rulebook
AS 'MODULE_PATHNAME', 'portmargin_rulebook_preset' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rulebook_preset(text) IS 'the rulebook stored under a name in portmargin.rulebook_rules (each rule named after its preset)';

-- ---------------------------------------------------------------------
-- the aggregate: rulebooks, per-unit breakdown, account-level rows
-- ---------------------------------------------------------------------

-- (aggregate section)

-- ---------------------------------------------------------------------
-- Deribit: the current portfolio-margin model and its published parameters
-- ---------------------------------------------------------------------

-- (deribit section)

-- ---------------------------------------------------------------------
-- OKX: MR1 to MR9 and the published tiers
-- ---------------------------------------------------------------------

-- (okx section)
