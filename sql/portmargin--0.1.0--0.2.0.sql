-- portmargin 0.1.0 -> 0.2.0: scenario sets, risk arrays and the
-- portfolio-margin aggregate (CME SPAN, OCC TIMS / FINRA 4210(g),
-- Deribit-style and OKX-style risk matrices, user grids).
-- Every object lives in @extschema@ (portmargin) and is schema-qualified;
-- the one table lookup (preset) schema-qualifies its query.

\echo Use "ALTER EXTENSION portmargin UPDATE TO '0.2.0'" to load this file. \quit

-- ---------------------------------------------------------------------
-- scenario_set: a method, its parameters and its expanded scenarios
-- ---------------------------------------------------------------------

CREATE TYPE @extschema@.scenario_set;

CREATE FUNCTION @extschema@.scenario_set_in(cstring) RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_scenario_set_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.scenario_set_out(@extschema@.scenario_set) RETURNS cstring
AS 'MODULE_PATHNAME', 'portmargin_scenario_set_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.scenario_set_recv(internal) RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_scenario_set_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.scenario_set_send(@extschema@.scenario_set) RETURNS bytea
AS 'MODULE_PATHNAME', 'portmargin_scenario_set_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.scenario_set (
    INPUT = @extschema@.scenario_set_in,
    OUTPUT = @extschema@.scenario_set_out,
    RECEIVE = @extschema@.scenario_set_recv,
    SEND = @extschema@.scenario_set_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.scenario_set IS
  'a margin method (span, tims, deribit, okx, grid) with its parameters and scenarios; text form is the constructor call, e.g. deribit(price_range=0.16, ...)';
COMMENT ON FUNCTION @extschema@.scenario_set_in(cstring) IS 'text input of scenario_set: method(name=value, ...)';
COMMENT ON FUNCTION @extschema@.scenario_set_out(@extschema@.scenario_set) IS 'canonical text output of scenario_set';
COMMENT ON FUNCTION @extschema@.scenario_set_recv(internal) IS 'binary input of scenario_set';
COMMENT ON FUNCTION @extschema@.scenario_set_send(@extschema@.scenario_set) IS 'binary output of scenario_set';

CREATE FUNCTION @extschema@.scenario_set_eq(@extschema@.scenario_set, @extschema@.scenario_set) RETURNS boolean
AS 'MODULE_PATHNAME', 'portmargin_scenario_set_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.scenario_set_ne(@extschema@.scenario_set, @extschema@.scenario_set) RETURNS boolean
AS 'MODULE_PATHNAME', 'portmargin_scenario_set_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.scenario_set_hash(@extschema@.scenario_set) RETURNS integer
AS 'MODULE_PATHNAME', 'portmargin_scenario_set_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.scenario_set_eq(@extschema@.scenario_set, @extschema@.scenario_set) IS 'scenario sets are equal when method, parameters and scenarios are';
COMMENT ON FUNCTION @extschema@.scenario_set_ne(@extschema@.scenario_set, @extschema@.scenario_set) IS 'negation of scenario_set_eq';
COMMENT ON FUNCTION @extschema@.scenario_set_hash(@extschema@.scenario_set) IS 'hash of a scenario set, for hash joins and GROUP BY';

CREATE OPERATOR @extschema@.= (
    LEFTARG = @extschema@.scenario_set, RIGHTARG = @extschema@.scenario_set,
    FUNCTION = @extschema@.scenario_set_eq, COMMUTATOR = OPERATOR(@extschema@.=),
    NEGATOR = OPERATOR(@extschema@.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES
);
CREATE OPERATOR @extschema@.<> (
    LEFTARG = @extschema@.scenario_set, RIGHTARG = @extschema@.scenario_set,
    FUNCTION = @extschema@.scenario_set_ne, COMMUTATOR = OPERATOR(@extschema@.<>),
    NEGATOR = OPERATOR(@extschema@.=), RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR @extschema@.= (@extschema@.scenario_set, @extschema@.scenario_set) IS 'scenario sets are equal';
COMMENT ON OPERATOR @extschema@.<> (@extschema@.scenario_set, @extschema@.scenario_set) IS 'scenario sets differ';
CREATE FUNCTION @extschema@.scenario_set_cmp(@extschema@.scenario_set, @extschema@.scenario_set) RETURNS integer
AS 'MODULE_PATHNAME', 'portmargin_scenario_set_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.scenario_set_cmp(@extschema@.scenario_set, @extschema@.scenario_set) IS 'total order of scenario sets (by their binary form), for sorting, DISTINCT and btree indexes';
CREATE FUNCTION @extschema@.scenario_set_lt(@extschema@.scenario_set, @extschema@.scenario_set) RETURNS boolean
AS 'MODULE_PATHNAME', 'portmargin_scenario_set_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.scenario_set_lt(@extschema@.scenario_set, @extschema@.scenario_set) IS 'scenario_set_cmp(a, b) < 0';
CREATE OPERATOR @extschema@.< (
    LEFTARG = @extschema@.scenario_set, RIGHTARG = @extschema@.scenario_set,
    FUNCTION = @extschema@.scenario_set_lt, COMMUTATOR = OPERATOR(@extschema@.>),
    NEGATOR = OPERATOR(@extschema@.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
COMMENT ON OPERATOR @extschema@.< (@extschema@.scenario_set, @extschema@.scenario_set) IS 'the left scenario set sorts before the right one';
CREATE FUNCTION @extschema@.scenario_set_le(@extschema@.scenario_set, @extschema@.scenario_set) RETURNS boolean
AS 'MODULE_PATHNAME', 'portmargin_scenario_set_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.scenario_set_le(@extschema@.scenario_set, @extschema@.scenario_set) IS 'scenario_set_cmp(a, b) <= 0';
CREATE OPERATOR @extschema@.<= (
    LEFTARG = @extschema@.scenario_set, RIGHTARG = @extschema@.scenario_set,
    FUNCTION = @extschema@.scenario_set_le, COMMUTATOR = OPERATOR(@extschema@.>=),
    NEGATOR = OPERATOR(@extschema@.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
COMMENT ON OPERATOR @extschema@.<= (@extschema@.scenario_set, @extschema@.scenario_set) IS 'the left scenario set sorts before or equals the right one';
CREATE FUNCTION @extschema@.scenario_set_gt(@extschema@.scenario_set, @extschema@.scenario_set) RETURNS boolean
AS 'MODULE_PATHNAME', 'portmargin_scenario_set_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.scenario_set_gt(@extschema@.scenario_set, @extschema@.scenario_set) IS 'scenario_set_cmp(a, b) > 0';
CREATE OPERATOR @extschema@.> (
    LEFTARG = @extschema@.scenario_set, RIGHTARG = @extschema@.scenario_set,
    FUNCTION = @extschema@.scenario_set_gt, COMMUTATOR = OPERATOR(@extschema@.<),
    NEGATOR = OPERATOR(@extschema@.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
COMMENT ON OPERATOR @extschema@.> (@extschema@.scenario_set, @extschema@.scenario_set) IS 'the left scenario set sorts after the right one';
CREATE FUNCTION @extschema@.scenario_set_ge(@extschema@.scenario_set, @extschema@.scenario_set) RETURNS boolean
AS 'MODULE_PATHNAME', 'portmargin_scenario_set_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.scenario_set_ge(@extschema@.scenario_set, @extschema@.scenario_set) IS 'scenario_set_cmp(a, b) >= 0';
CREATE OPERATOR @extschema@.>= (
    LEFTARG = @extschema@.scenario_set, RIGHTARG = @extschema@.scenario_set,
    FUNCTION = @extschema@.scenario_set_ge, COMMUTATOR = OPERATOR(@extschema@.<=),
    NEGATOR = OPERATOR(@extschema@.<), RESTRICT = scalargesel, JOIN = scalargejoinsel
);
COMMENT ON OPERATOR @extschema@.>= (@extschema@.scenario_set, @extschema@.scenario_set) IS 'the left scenario set sorts after or equals the right one';
CREATE OPERATOR CLASS @extschema@.scenario_set_btree_ops DEFAULT FOR TYPE @extschema@.scenario_set USING btree AS
    OPERATOR 1 @extschema@.< (@extschema@.scenario_set, @extschema@.scenario_set),
    OPERATOR 2 @extschema@.<= (@extschema@.scenario_set, @extschema@.scenario_set),
    OPERATOR 3 @extschema@.= (@extschema@.scenario_set, @extschema@.scenario_set),
    OPERATOR 4 @extschema@.>= (@extschema@.scenario_set, @extschema@.scenario_set),
    OPERATOR 5 @extschema@.> (@extschema@.scenario_set, @extschema@.scenario_set),
    FUNCTION 1 @extschema@.scenario_set_cmp(@extschema@.scenario_set, @extschema@.scenario_set);
COMMENT ON OPERATOR CLASS @extschema@.scenario_set_btree_ops USING btree IS 'total order of scenario sets';
COMMENT ON OPERATOR FAMILY @extschema@.scenario_set_btree_ops USING btree IS 'total order of scenario sets';
CREATE OPERATOR CLASS @extschema@.scenario_set_ops DEFAULT FOR TYPE @extschema@.scenario_set USING hash AS
    OPERATOR 1 @extschema@.= (@extschema@.scenario_set, @extschema@.scenario_set),
    FUNCTION 1 @extschema@.scenario_set_hash(@extschema@.scenario_set);
COMMENT ON OPERATOR CLASS @extschema@.scenario_set_ops USING hash IS 'hash equality of scenario sets';
COMMENT ON OPERATOR FAMILY @extschema@.scenario_set_ops USING hash IS 'hash equality of scenario sets';

-- constructors ---------------------------------------------------------

CREATE FUNCTION @extschema@.span_scenarios(
    price_scan_range float8, vol_scan_range float8,
    extreme_multiple float8 DEFAULT 2, cover_fraction float8 DEFAULT 0.35,
    short_option_minimum float8 DEFAULT 0, lookahead_days float8 DEFAULT 1,
    im_ratio float8 DEFAULT 1.10)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_span_scenarios' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.span_scenarios(float8, float8, float8, float8, float8, float8, float8) IS
  'CME SPAN: 16 scenarios (price 0, +/-1/3, +/-2/3, +/-1 x price scan range with vol +/- vol scan range; +/- extreme_multiple x range counted at cover_fraction); price_scan_range relative to the forward, vol_scan_range in vol points';

CREATE FUNCTION @extschema@.tims_scenarios(
    down float8, up float8, points integer DEFAULT 10,
    per_contract_minimum float8 DEFAULT 0.375,
    vol_down float8 DEFAULT 0, vol_up float8 DEFAULT 0)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_tims_scenarios' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tims_scenarios(float8, float8, integer, float8, float8, float8) IS
  'OCC TIMS / FINRA Rule 4210(g): points/2 equidistant valuation points down to -down and points/2 up to +up; requirement at least per_contract_minimum x multiplier per option contract';

CREATE FUNCTION @extschema@.deribit_scenarios(
    price_range float8 DEFAULT 0.16, buckets integer DEFAULT 4,
    vol_range_up float8 DEFAULT 0.5, vol_range_down float8 DEFAULT 0.25,
    short_term_power float8 DEFAULT 0.30, long_term_power float8 DEFAULT 0.13,
    dte_floor float8 DEFAULT 1,
    extended_moves float8[] DEFAULT '{-0.66,-0.33,0.5,1,2,3,4,5}',
    extended_factor float8 DEFAULT 1,
    option_contingency float8 DEFAULT 0.01, futures_contingency float8 DEFAULT 0.01,
    roll_move_risk float8 DEFAULT 0.075, roll_min_move float8 DEFAULT 0.01,
    pnl_offset float8 DEFAULT 0, max_offsetable_pnl float8 DEFAULT 0,
    mm_factor float8 DEFAULT 0.8)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_deribit_scenarios' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.deribit_scenarios(float8, integer, float8, float8, float8, float8, float8, float8[], float8, float8, float8, float8, float8, float8, float8, float8) IS
  'Deribit-style risk matrix: 2 x buckets + 1 price moves in [-price_range, +price_range] x vol up/same/down with the (30/DTE)^p term rule, plus extended moves (vol up) weighted extended_factor x price_range / |move|; contingencies, roll shock, cross-currency offset';

CREATE FUNCTION @extschema@.okx_scenarios(
    spot_moves float8[] DEFAULT '{-0.12,-0.08,-0.04,0,0.04,0.08,0.12}',
    vol_up float8 DEFAULT 0, vol_down float8 DEFAULT 0,
    extreme_move float8 DEFAULT 0.24, extreme_fraction float8 DEFAULT 0.5,
    basis_move_risk float8 DEFAULT 0.05,
    minimum_charge_rate float8 DEFAULT 0,
    minimum_charge_tiers float8[] DEFAULT '{0,250000,500000,1000000,2000000,3000000,4000000}',
    minimum_charge_multipliers float8[] DEFAULT '{1,2,4,6,8,10,12}',
    imr_ratio float8 DEFAULT 1.3)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_okx_scenarios' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.okx_scenarios(float8[], float8, float8, float8, float8, float8, float8, float8[], float8[], float8) IS
  'OKX-style portfolio margin: MR1 spot moves x vol up/same/down (relative shocks), MR6 extreme move counted at extreme_fraction, MR4 basis risk, MR7 tiered minimum charge; IMR = imr_ratio x MMR';

CREATE FUNCTION @extschema@.grid_scenarios(
    moves float8[], vol_shifts float8[], weights float8[] DEFAULT NULL,
    vol_rule text DEFAULT 'absolute', im_ratio float8 DEFAULT 1, mm_ratio float8 DEFAULT 1)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_grid_scenarios' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.grid_scenarios(float8[], float8[], float8[], text, float8, float8) IS
  'a user grid: scenario i moves the price by moves[i] (relative) and the vol by vol_shifts[i] (absolute points or relative, per vol_rule), counted at weights[i] (default 1)';

-- inspection -----------------------------------------------------------

CREATE FUNCTION @extschema@.scenarios(scenario_set @extschema@.scenario_set,
    OUT idx integer, OUT label text, OUT price_move float8, OUT vol_rule text,
    OUT vol_shift float8, OUT weight float8, OUT extended boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'portmargin_scenarios' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 35;
COMMENT ON FUNCTION @extschema@.scenarios(@extschema@.scenario_set) IS
  'the scenarios of a set, one row each: index (1-based), label, relative price move, volatility rule and shift, weight, extended-table flag';

CREATE FUNCTION @extschema@.scenario_count(@extschema@.scenario_set) RETURNS integer
AS 'MODULE_PATHNAME', 'portmargin_scenario_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.scenario_count(@extschema@.scenario_set) IS 'number of scenarios in a set';

CREATE FUNCTION @extschema@.scenario_method(@extschema@.scenario_set) RETURNS text
AS 'MODULE_PATHNAME', 'portmargin_scenario_method' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.scenario_method(@extschema@.scenario_set) IS 'the margin method of a set: span, tims, deribit, okx or grid';

CREATE FUNCTION @extschema@.scenario_vols(scenario_set @extschema@.scenario_set, vol float8, t float8)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'portmargin_scenario_vols' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.scenario_vols(@extschema@.scenario_set, float8, float8) IS
  'the volatility each scenario applies to an option with implied vol vol and t years to expiry';

-- row-wise P&L: the risk array -----------------------------------------

CREATE FUNCTION @extschema@.risk_array(
    scenarios @extschema@.scenario_set, kind text, option_type text, strike float8,
    t float8, forward float8, vol float8,
    settlement text DEFAULT 'linear', multiplier float8 DEFAULT 1)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'portmargin_risk_array' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.risk_array(@extschema@.scenario_set, text, text, float8, float8, float8, float8, text, float8) IS
  'P&L of one long contract under each scenario, in the settlement currency (coin for inverse), gains positive; kind option/future/perpetual/spot, settlement linear/inverse';

-- presets --------------------------------------------------------------

CREATE TABLE @extschema@.scenario_presets (
    name        text PRIMARY KEY,
    scenarios   @extschema@.scenario_set NOT NULL,
    description text NOT NULL,
    source      text NOT NULL,
    shipped     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.scenario_presets IS
  'named scenario sets; rows with shipped = true come with the extension, user rows (shipped = false) are kept by pg_dump';

INSERT INTO @extschema@.scenario_presets (name, scenarios, description, source, shipped) VALUES
  ('span', @extschema@.span_scenarios(0.08, 0.04),
   'CME SPAN 16 scenarios, 8% price scan range, 4 vol points, extreme 2x at 35%, IM = 1.10 x MM',
   'CME SPAN methodology (cmegroup.com, SPAN components); scan ranges are per product: set yours', true),
  ('finra-equity', @extschema@.tims_scenarios(0.15, 0.15),
   'FINRA 4210(g) / OCC TIMS: equity and narrow-based index options, +/-15%, 10 points, $0.375 x multiplier minimum',
   'FINRA Rule 4210(g)(2); OCC CPM disclosure', true),
  ('finra-broad-index', @extschema@.tims_scenarios(0.10, 0.10),
   'FINRA 4210(g) / OCC TIMS: non-high-cap broad-based index, +/-10%, 10 points',
   'FINRA Rule 4210(g)(2); OCC CPM disclosure', true),
  ('finra-high-cap-index', @extschema@.tims_scenarios(0.08, 0.06),
   'FINRA 4210(g) / OCC TIMS: high-capitalization broad-based index, -8% / +6%, 10 points',
   'FINRA Rule 4210(g)(2); OCC CPM disclosure', true),
  ('deribit-btc', @extschema@.deribit_scenarios(0.16),
   'Deribit-style BTC risk matrix: +/-16% in 4 buckets per side x vol up/same/down, extended table, contingencies, roll shock; MM = 0.8 x IM',
   'Deribit private/simulate_portfolio API example; Deribit portfolio margin documentation', true),
  ('deribit-eth', @extschema@.deribit_scenarios(0.18, pnl_offset => 0.6),
   'Deribit-style ETH risk matrix: +/-18%, pnl_offset 0.6',
   'Deribit private/simulate_portfolio API example (2026 ETH set)', true),
  ('okx-btc', @extschema@.okx_scenarios(),
   'OKX-style BTC/ETH risk unit: MR1 0, +/-4, 8, 12%; MR6 +/-24% at 50%; MR4 5% a year; MR7 tiers of January 2025 (raw minimum charge rate not published: 0); vol shocks not published: 0',
   'OKX announcement "OKX will further adjust portfolio margin parameters" (2 Jan 2025)', true);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.scenario_presets', 'WHERE NOT shipped');

CREATE FUNCTION @extschema@.preset(name text) RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_preset' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.preset(text) IS 'the scenario set stored under a name in portmargin.scenario_presets';

-- ---------------------------------------------------------------------
-- the margin aggregate
-- ---------------------------------------------------------------------

CREATE TYPE @extschema@.margin AS (
    currency              text,
    initial_margin        float8,
    maintenance_margin    float8,
    scan_loss             float8,
    short_option_minimum  float8,
    net_option_value      float8,
    per_contract_minimum  float8,
    option_contingency    float8,
    futures_contingency   float8,
    roll_shock            float8,
    basis_risk            float8,
    minimum_charge        float8,
    cross_margin_offset   float8,
    worst_scenario        integer,
    worst_label           text,
    worst_unit            text,
    risk_units            text[],
    unit_margins          float8[],
    pnl                   float8[]
);
COMMENT ON TYPE @extschema@.margin IS
  'an account''s requirement: initial and maintenance margin, scan loss and each add-on, the worst scenario and the risk unit that drove it, per-unit margins and the aggregated P&L vector, in currency';

-- the public partial state, for merging results computed elsewhere
CREATE TYPE @extschema@.margin_state;
CREATE FUNCTION @extschema@.margin_state_in(cstring) RETURNS @extschema@.margin_state
AS 'MODULE_PATHNAME', 'portmargin_margin_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.margin_state_out(@extschema@.margin_state) RETURNS cstring
AS 'MODULE_PATHNAME', 'portmargin_margin_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.margin_state_recv(internal) RETURNS @extschema@.margin_state
AS 'MODULE_PATHNAME', 'portmargin_margin_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.margin_state_send(@extschema@.margin_state) RETURNS bytea
AS 'MODULE_PATHNAME', 'portmargin_margin_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.margin_state (
    INPUT = @extschema@.margin_state_in,
    OUTPUT = @extschema@.margin_state_out,
    RECEIVE = @extschema@.margin_state_recv,
    SEND = @extschema@.margin_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.margin_state IS
  'partial portfolio-margin state (versioned portable binary; text form is hex): compute on each shard with portfolio_margin_state, combine with merge_margin_states, finish with finalize_margin';
COMMENT ON FUNCTION @extschema@.margin_state_in(cstring) IS 'text input of margin_state (hex of the portable binary form)';
COMMENT ON FUNCTION @extschema@.margin_state_out(@extschema@.margin_state) IS 'text output of margin_state (hex)';
COMMENT ON FUNCTION @extschema@.margin_state_recv(internal) IS 'binary input of margin_state';
COMMENT ON FUNCTION @extschema@.margin_state_send(@extschema@.margin_state) IS 'binary output of margin_state';

CREATE FUNCTION @extschema@.margin_sfunc(internal, float8, text, text, text, float8, float8,
                                         float8, float8, text, float8, float8, @extschema@.scenario_set)
RETURNS internal AS 'MODULE_PATHNAME', 'portmargin_margin_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.margin_combine(internal, internal) RETURNS internal
AS 'MODULE_PATHNAME', 'portmargin_margin_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.margin_serial(internal) RETURNS bytea
AS 'MODULE_PATHNAME', 'portmargin_margin_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.margin_deserial(bytea, internal) RETURNS internal
AS 'MODULE_PATHNAME', 'portmargin_margin_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.margin_ffunc(internal) RETURNS @extschema@.margin
AS 'MODULE_PATHNAME', 'portmargin_margin_ffunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.margin_state_ffunc(internal) RETURNS @extschema@.margin_state
AS 'MODULE_PATHNAME', 'portmargin_margin_state_ffunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.margin_merge_sfunc(internal, @extschema@.margin_state) RETURNS internal
AS 'MODULE_PATHNAME', 'portmargin_margin_merge_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.margin_sfunc(internal, float8, text, text, text, float8, float8, float8, float8, text, float8, float8, @extschema@.scenario_set) IS 'state transition of portfolio_margin: folds quantity x the instrument''s cached risk array into its risk unit';
COMMENT ON FUNCTION @extschema@.margin_combine(internal, internal) IS 'combines two partial portfolio_margin states (parallel query)';
COMMENT ON FUNCTION @extschema@.margin_serial(internal) IS 'serialises a portfolio_margin state (portable, versioned)';
COMMENT ON FUNCTION @extschema@.margin_deserial(bytea, internal) IS 'deserialises a portfolio_margin state, rejecting truncated or inconsistent input';
COMMENT ON FUNCTION @extschema@.margin_ffunc(internal) IS 'final function of portfolio_margin: the requirement';
COMMENT ON FUNCTION @extschema@.margin_state_ffunc(internal) IS 'final function of portfolio_margin_state: the state as a margin_state value';
COMMENT ON FUNCTION @extschema@.margin_merge_sfunc(internal, @extschema@.margin_state) IS 'state transition of merge_margin_states';

CREATE AGGREGATE @extschema@.portfolio_margin(
    quantity float8, underlying text, kind text, option_type text, strike float8, t float8,
    forward float8, vol float8, settlement text, multiplier float8, index_price float8,
    scenarios @extschema@.scenario_set) (
    SFUNC = @extschema@.margin_sfunc,
    STYPE = internal,
    FINALFUNC = @extschema@.margin_ffunc,
    COMBINEFUNC = @extschema@.margin_combine,
    SERIALFUNC = @extschema@.margin_serial,
    DESERIALFUNC = @extschema@.margin_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.portfolio_margin(float8, text, text, text, float8, float8, float8, float8, text, float8, float8, @extschema@.scenario_set) IS
  'portfolio margin of the positions in a group under one scenario set: per risk unit the weighted worst scenario loss plus the method''s add-ons, summed across units';

CREATE AGGREGATE @extschema@.portfolio_margin_state(
    quantity float8, underlying text, kind text, option_type text, strike float8, t float8,
    forward float8, vol float8, settlement text, multiplier float8, index_price float8,
    scenarios @extschema@.scenario_set) (
    SFUNC = @extschema@.margin_sfunc,
    STYPE = internal,
    FINALFUNC = @extschema@.margin_state_ffunc,
    COMBINEFUNC = @extschema@.margin_combine,
    SERIALFUNC = @extschema@.margin_serial,
    DESERIALFUNC = @extschema@.margin_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.portfolio_margin_state(float8, text, text, text, float8, float8, float8, float8, text, float8, float8, @extschema@.scenario_set) IS
  'the partial state of portfolio_margin as a value, to merge across servers';

CREATE AGGREGATE @extschema@.merge_margin_states(@extschema@.margin_state) (
    SFUNC = @extschema@.margin_merge_sfunc,
    STYPE = internal,
    FINALFUNC = @extschema@.margin_state_ffunc,
    COMBINEFUNC = @extschema@.margin_combine,
    SERIALFUNC = @extschema@.margin_serial,
    DESERIALFUNC = @extschema@.margin_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.merge_margin_states(@extschema@.margin_state) IS
  'combines margin states computed separately (e.g. on shards) into one';

CREATE FUNCTION @extschema@.finalize_margin(@extschema@.margin_state) RETURNS @extschema@.margin
AS 'MODULE_PATHNAME', 'portmargin_finalize_margin' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.finalize_margin(@extschema@.margin_state) IS 'the requirement of a margin state';
