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

-- the per-unit breakdown: one row per risk unit, every component in the unit's currency
CREATE TYPE @extschema@.unit_margin AS (
    underlying            text,
    settlement            text,
    rule                  text,
    rule_name             text,
    method                text,
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
    delta_shock           float8,
    open_orders_margin    float8,
    mmp_margin            float8,
    extreme_move          float8,
    theta_decay           float8,
    vega_term_structure   float8,
    basis_risk            float8,
    interest_rate         float8,
    minimum_charge        float8,
    borrowing             float8,
    depeg                 float8,
    intra_spread_charge   float8,
    spot_month_charge     float8,
    inter_spread_credit   float8,
    margin_report         float8,
    worst_scenario        integer,
    worst_label           text
);
COMMENT ON TYPE @extschema@.unit_margin IS
  'one risk unit of a portfolio_margin result: underlying, settlement, the rulebook rule that applied (key and name; NULL for a plain scenario set), the method, the unit''s currency (its coin when inverse, USD when linear), every component of its requirement in that currency (NULL where the method has none: initial_margin = the unit''s initial margin; maintenance_margin = its maintenance margin; scan_loss = worst weighted scenario loss: SPAN scan risk, Deribit worst case, OKX MR1; short_option_minimum = SPAN short option minimum; net_option_value = value of the unit''s options; per_contract_minimum = TIMS / FINRA per-contract minimum; option_contingency = Deribit option contingency; futures_contingency = Deribit futures contingency; roll_shock = Deribit roll shock; delta_shock = Deribit delta shock; open_orders_margin = initial margin of resting orders; mmp_margin = Deribit market-maker protection margin; extreme_move = OKX MR6; theta_decay = OKX MR2; vega_term_structure = OKX MR3; basis_risk = OKX MR4; interest_rate = OKX MR5; minimum_charge = OKX MR7; borrowing = OKX MR8; depeg = OKX MR9; intra_spread_charge, spot_month_charge, inter_spread_credit = SPAN from published risk arrays (span_margin): intra-commodity spread charge, delivery month charge, inter-commodity spread credit), margin_report = its requirement in the margin''s currency, and its worst scenario';

ALTER TYPE @extschema@.margin ADD ATTRIBUTE units @extschema@.unit_margin[];
COMMENT ON TYPE @extschema@.margin IS
  'result of portfolio_margin (in currency: the coin when every unit settles in one coin, else USD): initial and maintenance margin, their components summed over risk units, cross-unit offset, the worst scenario and unit, per-unit requirements (risk_units, unit_margins), the account P&L per scenario (NULL for a rulebook whose units have different sets), VaR/ES fields for the var method, and units: the per-unit breakdown (unit_margin[])';

CREATE FUNCTION @extschema@.margin_rules_sfunc(internal, float8, text, text, text, float8, float8,
                                               float8, float8, text, float8, float8, @extschema@.rulebook)
RETURNS internal AS 'MODULE_PATHNAME', 'portmargin_margin_rules_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.margin_rules_sfunc(internal, float8, text, text, text, float8, float8, float8, float8, text, float8, float8, @extschema@.rulebook) IS
  'state transition of portfolio_margin over a rulebook: folds the row into its risk unit under the unit''s rule';

CREATE AGGREGATE @extschema@.portfolio_margin(
    quantity float8, underlying text, kind text, option_type text, strike float8, t float8,
    forward float8, vol float8, settlement text, multiplier float8, index_price float8,
    rules @extschema@.rulebook) (
    SFUNC = @extschema@.margin_rules_sfunc,
    STYPE = internal,
    FINALFUNC = @extschema@.margin_ffunc,
    COMBINEFUNC = @extschema@.margin_combine,
    SERIALFUNC = @extschema@.margin_serial,
    DESERIALFUNC = @extschema@.margin_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.portfolio_margin(float8, text, text, text, float8, float8, float8, float8, text, float8, float8, @extschema@.rulebook) IS
  'portfolio margin of the rows of a group under a rulebook: each risk unit (underlying, settlement) under its own rule''s scenario set, units of one method and account parameters margined together (cross-unit offsets apply among them), the groups summed; rows of kind order:<kind> are resting orders (quantity > 0 buy, < 0 sell), mmp and liability rows the unit''s market-maker protection size and borrowed amount';

CREATE AGGREGATE @extschema@.portfolio_margin_state(
    quantity float8, underlying text, kind text, option_type text, strike float8, t float8,
    forward float8, vol float8, settlement text, multiplier float8, index_price float8,
    rules @extschema@.rulebook) (
    SFUNC = @extschema@.margin_rules_sfunc,
    STYPE = internal,
    FINALFUNC = @extschema@.margin_state_ffunc,
    COMBINEFUNC = @extschema@.margin_combine,
    SERIALFUNC = @extschema@.margin_serial,
    DESERIALFUNC = @extschema@.margin_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.portfolio_margin_state(float8, text, text, text, float8, float8, float8, float8, text, float8, float8, @extschema@.rulebook) IS
  'the partial state of portfolio_margin over a rulebook as a value, to merge across servers';

-- ---------------------------------------------------------------------
-- Deribit: the current portfolio-margin model and its published parameters
-- ---------------------------------------------------------------------

-- (deribit section)
-- deribit_scenarios gains min_volatility_for_shock_up (the shocked-up
-- volatility's floor) and mmp_rate (market-maker-protection margin per unit
-- of MMP size); both default to 0.3.x's behaviour (no floor; no MMP rows
-- existed).  Stored 0.3.x sets read back unchanged (src/method_deribit.c).
-- doc/venues/deribit.md: every parameter with its source and date.
DROP FUNCTION @extschema@.deribit_scenarios(float8, integer, float8, float8, float8, float8, float8, float8[],
                                            float8, float8, float8, float8, float8, float8, float8, float8);
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
    mm_factor float8 DEFAULT 0.8,
    min_volatility_for_shock_up float8 DEFAULT 0, mmp_rate float8 DEFAULT 0.03)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_deribit_scenarios' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.deribit_scenarios(float8, integer, float8, float8, float8, float8, float8, float8[], float8, float8, float8, float8, float8, float8, float8, float8, float8, float8) IS
  'Deribit-style risk matrix: 2 x buckets + 1 price moves in [-price_range, +price_range] x vol up/same/down with the (30/DTE)^p term rule (vol up at least min_volatility_for_shock_up), plus extended moves (vol up) weighted extended_factor x price_range / |move|; roll shock, legacy contingencies, MMP margin mmp_rate x MMP size (initial margin only), cross-currency offset; MM = mm_factor x the risk-matrix margin';

-- The presets: Deribit's current model (private/pme/simulate) has no option
-- or futures contingency (its risk_matrix_margin is worst_case + roll_shock
-- + delta_shock + correlation_contingency), so both are 0.
UPDATE @extschema@.scenario_presets
   SET scenarios = @extschema@.deribit_scenarios(0.16, option_contingency => 0, futures_contingency => 0,
                                                 min_volatility_for_shock_up => 0.5),
       description = 'Deribit BTC (coin-settled) portfolio margin: +/-16% in 4 buckets per side x vol up 0.5 / same / down 0.25 (vol up at least 50%), extended table (undampened), roll shock 0.075 a year, at least 0.01; no contingencies; MMP margin 3% of MMP size; MM = 0.8 x risk-matrix margin',
       source = 'Deribit API private/pme/simulate response example (model_params of 2024-06-17), docs.deribit.com/api-reference/account-management/private-simulate; MMP: support.deribit.com/hc/en-us/articles/31600682719645 (2025-11); doc/venues/deribit.md'
 WHERE name = 'deribit-btc';
UPDATE @extschema@.scenario_presets
   SET scenarios = @extschema@.deribit_scenarios(0.18, vol_range_up => 0.4, option_contingency => 0, futures_contingency => 0,
                                                 roll_move_risk => 0.05, roll_min_move => 0.005,
                                                 pnl_offset => 0.6, max_offsetable_pnl => 20000000,
                                                 min_volatility_for_shock_up => 0.5),
       description = 'Deribit ETH (coin-settled) portfolio margin: +/-18% in 4 buckets per side x vol up 0.4 / same / down 0.25 (vol up at least 50%), extended table (undampened), roll shock 0.05 a year, at least 0.005; pnl_offset 0.6 up to 20,000,000; no contingencies; MMP margin 3% of MMP size; MM = 0.8 x risk-matrix margin',
       source = 'Deribit API private/pme/simulate response, currency ETH (model_params of 2026-02-15; Deribit''s documentation publishes the BTC set only); MMP: support.deribit.com/hc/en-us/articles/31600682719645 (2025-11); doc/venues/deribit.md'
 WHERE name = 'deribit-eth';

-- rulebook 'deribit': coin-settled BTC and ETH.  The USDC-settled linear
-- products have no rule: Deribit publishes their settlement currency's
-- parameters (roll shock 0.1 / 0.01) but not their pairs' price and
-- volatility ranges, so a linear unit needs a rule of the user's
-- (doc/venues/deribit.md); without one it is an error, not margined at zero.
INSERT INTO @extschema@.rulebook_rules (rulebook, underlying, settlement, preset, shipped) VALUES
  ('deribit', 'BTC', 'inverse', 'deribit-btc', true),
  ('deribit', 'ETH', 'inverse', 'deribit-eth', true);

-- ---------------------------------------------------------------------
-- OKX: MR1 to MR9 and the published tiers
-- ---------------------------------------------------------------------

-- (okx section)
-- okx_scenarios gains MR4's floor for perpetuals (basis_minimum) and MR8's
-- borrowing rates, appended with defaults: a 0.3.x set (stored without them)
-- reads back with these defaults, and calls that name 0.3.x's arguments are
-- unchanged.
DROP FUNCTION @extschema@.okx_scenarios(float8[], float8, float8, float8, float8, float8, float8, float8[], float8[], float8);
CREATE FUNCTION @extschema@.okx_scenarios(
    spot_moves float8[] DEFAULT '{-0.12,-0.08,-0.04,0,0.04,0.08,0.12}',
    vol_up float8 DEFAULT 0, vol_down float8 DEFAULT 0,
    extreme_move float8 DEFAULT 0.24, extreme_fraction float8 DEFAULT 0.5,
    basis_move_risk float8 DEFAULT 0.05,
    minimum_charge_rate float8 DEFAULT 0,
    minimum_charge_tiers float8[] DEFAULT '{0,250000,500000,1000000,2000000,3000000,4000000}',
    minimum_charge_multipliers float8[] DEFAULT '{1,2,4,6,8,10,12}',
    imr_ratio float8 DEFAULT 1.3,
    basis_minimum float8 DEFAULT 0,
    borrowing_mmr_rate float8 DEFAULT 0.02,
    borrowing_imr_rate float8 DEFAULT 0.10)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_okx_scenarios' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.okx_scenarios(float8[], float8, float8, float8, float8, float8, float8, float8[], float8[], float8, float8, float8, float8) IS
  'OKX portfolio margin per risk unit: MR1 spot moves x vol up/same/down (relative shocks), MR6 extreme move counted at extreme_fraction, MR4 |cash delta| x max(basis_minimum, basis_move_risk x t) per expiry (perpetuals: basis_minimum), MR7 tiered minimum charge, MR8 borrowing_mmr_rate x liability; MMR = max(max(MR1, MR6) + MR4, MR7) + MR8, IMR = imr_ratio x (MMR - MR8) + borrowing_imr_rate x liability';

-- Presets per OKX tier (doc/venues/okx.md: every value with its source and
-- date).  MR1 / MR6 / MR4 annual rates: "OKX will further adjust portfolio
-- margin parameters" (2 January 2025); MR4's perpetual floor, MR7's raw rate
-- and MR8's rates: OKX's published position-builder example (API v5 docs,
-- response of 15 January 2025), where they are the only rates its numbers
-- admit (BTC: MR4 0.2%, MR7 0.45% of |cash delta|; LTC: 0.8%, 0.70%).
UPDATE @extschema@.scenario_presets
   SET scenarios = @extschema@.okx_scenarios(basis_minimum => 0.002, minimum_charge_rate => 0.0045),
       description = 'OKX BTC/ETH tier: MR1 0, +/-4, 8, 12%; MR6 +/-24% at 50%; MR4 5% a year, perpetuals 0.2% of |cash delta|; MR7 0.45% of gross notional, tiers of January 2025; MR8 2% / 10% of liabilities; IMR 1.3 x MMR; MR1 vol shocks not published: 0',
       source = 'OKX "OKX will further adjust portfolio margin parameters" (2 Jan 2025); OKX API v5 position builder example (riskUnitData BTC, Jan 2025)'
 WHERE name = 'okx-btc';

INSERT INTO @extschema@.scenario_presets (name, scenarios, description, source, shipped) VALUES
  ('okx-mid', @extschema@.okx_scenarios('{-0.18,-0.12,-0.06,0,0.06,0.12,0.18}', extreme_move => 0.36,
                                        basis_move_risk => 0.15, basis_minimum => 0.008,
                                        minimum_charge_rate => 0.007),
   'OKX mid-cap tier as LTC, BCH, XRP, ADA (on both of the January 2025 mid-cap lists): MR1 0, +/-6, 12, 18%; MR6 +/-36% at 50%; MR4 15% a year, perpetuals 0.8% of |cash delta|; MR7 0.70% of gross notional (tiers: the BTC/ETH table, mid-cap tiers not confirmed); MR8 2% / 10%; vol shocks not published: 0',
   'OKX "OKX will further adjust portfolio margin parameters" (2 Jan 2025); OKX API v5 position builder example (riskUnitData LTC, Jan 2025)', true),
  ('okx-mid-mr1', @extschema@.okx_scenarios('{-0.18,-0.12,-0.06,0,0.06,0.12,0.18}', extreme_move => 0.5,
                                            basis_move_risk => 0.30),
   'OKX: underlyings on the January 2025 MR1 mid-cap list only (EOS, OKB, DOT, BSV, LINK, FIL, TRX, UNI): MR1 0, +/-6, 12, 18%; MR6 +/-50% at 50%; MR4 30% a year. INCOMPLETE: MR4 perpetual floor and MR7 rate not published for this tier (0 here: copy the preset with your values); not in the okx rulebook',
   'OKX "OKX will further adjust portfolio margin parameters" (2 Jan 2025)', true),
  ('okx-mid-mr6', @extschema@.okx_scenarios('{-0.25,-0.16,-0.08,0,0.08,0.16,0.25}', extreme_move => 0.36,
                                            basis_move_risk => 0.15),
   'OKX: underlyings on the January 2025 MR6/MR4 mid-cap list only (SOL, DOGE, PEPE, BNB, SHIB, ORDI, WLD): MR1 0, +/-8, 16, 25%; MR6 +/-36% at 50%; MR4 15% a year. INCOMPLETE: MR4 perpetual floor and MR7 rate not published for this tier (0 here: copy the preset with your values); not in the okx rulebook',
   'OKX "OKX will further adjust portfolio margin parameters" (2 Jan 2025)', true),
  ('okx-others', @extschema@.okx_scenarios('{-0.25,-0.16,-0.08,0,0.08,0.16,0.25}', extreme_move => 0.5,
                                           basis_move_risk => 0.30),
   'OKX "others" tier: MR1 0, +/-8, 16, 25%; MR6 +/-50% at 50%; MR4 30% a year. INCOMPLETE: MR4 perpetual floor and MR7 rate not published for this tier (0 here: copy the preset with your values); not in the okx rulebook',
   'OKX "OKX will further adjust portfolio margin parameters" (2 Jan 2025)', true);

-- The okx rulebook: the underlyings whose every shipped parameter has a
-- source.  Units of other underlyings find no rule (ERROR): add a rule with
-- your own preset (doc/venues/okx.md).
INSERT INTO @extschema@.rulebook_rules (rulebook, underlying, settlement, preset, shipped) VALUES
  ('okx', 'BTC', '*', 'okx-btc', true),
  ('okx', 'ETH', '*', 'okx-btc', true),
  ('okx', 'LTC', '*', 'okx-mid', true),
  ('okx', 'BCH', '*', 'okx-mid', true),
  ('okx', 'XRP', '*', 'okx-mid', true),
  ('okx', 'ADA', '*', 'okx-mid', true);

-- ---------------------------------------------------------------------
-- collateral: tiered discounts and haircuts; the reference schema
-- ---------------------------------------------------------------------

-- (reference section)

CREATE FUNCTION @extschema@.tiered_value(amount float8, lower_bounds float8[], upper_bounds float8[], rates float8[],
                                         rate_beyond float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_tiered_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tiered_value(float8, float8[], float8[], float8[], float8) IS
  'the value of amount (>= 0) under discount tiers, as OKX defines its discount rates: tier k counts the part of the amount in [lower_bounds[k], upper_bounds[k]) at rates[k] (upper NULL: no bound, last tier only; tiers start at 0 and are contiguous), the part above the last bound at rate_beyond; a haircut h is one tier at rate 1 - h';

CREATE TABLE @extschema@.collateral_schedules (
    schedule          text PRIMARY KEY,
    maintenance_basis text NOT NULL CHECK (maintenance_basis IN ('gross', 'discounted')),
    description       text,
    source            text,
    shipped           boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.collateral_schedules IS
  'collateral schedules: a venue''s (shipped) or the user''s set of per-currency discount tiers (collateral_tiers); maintenance_basis says whether maintenance margin is compared with the discounted equity (OKX: adjusted equity) or the gross one (Deribit: haircuts apply to initial margin)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.collateral_schedules', 'WHERE NOT shipped');

CREATE TABLE @extschema@.collateral_tiers (
    schedule      text NOT NULL REFERENCES @extschema@.collateral_schedules (schedule) ON UPDATE CASCADE,
    currency      text NOT NULL,
    tier          integer NOT NULL CHECK (tier >= 1),
    lower_bound   float8 NOT NULL CHECK (lower_bound >= 0),
    upper_bound   float8 CHECK (upper_bound > lower_bound),
    discount_rate float8 NOT NULL CHECK (discount_rate >= 0 AND discount_rate <= 1),
    bound_unit    text NOT NULL DEFAULT 'currency' CHECK (bound_unit IN ('currency', 'usd')),
    source        text,
    published     date,
    shipped       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (schedule, currency, tier)
);
COMMENT ON TABLE @extschema@.collateral_tiers IS
  'discount tiers per collateral schedule and currency: the part of a currency''s equity in [lower_bound, upper_bound) (NULL: no bound) counts at discount_rate; bounds in the currency (bound_unit currency, as OKX publishes them since 2025) or in USD; a flat haircut h is one tier [0, NULL) at 1 - h; shipped rows carry a venue''s published values with source and date (doc/collateral.md), user rows are kept by pg_dump';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.collateral_tiers', 'WHERE NOT shipped');

INSERT INTO @extschema@.collateral_schedules (schedule, maintenance_basis, description, source, shipped) VALUES
  ('deribit', 'gross',
   'Deribit cross collateral (X:SM, X:PM): a haircut per currency on its USD value for initial margin; only the haircuts portmargin could read in Deribit''s own publications are shipped, add the others (doc/collateral.md)',
   'https://support.deribit.com/hc/en-us/articles/25944777203869-Cross-collateral-specifications', true),
  ('okx', 'discounted',
   'OKX multi-currency and portfolio margin: each currency''s equity counts at its tiered discount rates (adjusted equity, used for order checks and liquidation); OKX publishes the live tiers through GET /api/v5/public/discount-rate-interest-free-quota, load them as in doc/collateral.md',
   'https://www.okx.com/docs-v5/en/#public-data-rest-api-get-discount-rate-and-interest-free-quota', true);

INSERT INTO @extschema@.collateral_tiers (schedule, currency, tier, lower_bound, upper_bound, discount_rate, bound_unit, source, published, shipped) VALUES
  -- "Cross-collateral haircut for stETH reduced from 15% to 7.5%", in effect from 2026-01-13
  ('deribit', 'STETH', 1, 0, NULL, 0.925, 'currency',
   'https://insights.deribit.com/exchange-updates/portfolio-margin-improvements-for-steth-and-cross-collateral-haircuts', '2026-01-13', true),
  -- OKX, BETH, tiers in USD, in effect from 2024-07-18: 0 ~ 2,000,000 0.95; 2,000,000 ~ 4,000,000 0.85; 4,000,000 ~ 8,000,000 0.5; > 8,000,000 0
  ('okx', 'BETH', 1, 0, 2000000, 0.95, 'usd',
   'https://www.globenewswire.com/news-release/2024/07/18/2915393/0/en/OKX-Adjusts-Discount-Rates-for-BETH.html', '2024-07-18', true),
  ('okx', 'BETH', 2, 2000000, 4000000, 0.85, 'usd',
   'https://www.globenewswire.com/news-release/2024/07/18/2915393/0/en/OKX-Adjusts-Discount-Rates-for-BETH.html', '2024-07-18', true),
  ('okx', 'BETH', 3, 4000000, 8000000, 0.5, 'usd',
   'https://www.globenewswire.com/news-release/2024/07/18/2915393/0/en/OKX-Adjusts-Discount-Rates-for-BETH.html', '2024-07-18', true),
  ('okx', 'BETH', 4, 8000000, NULL, 0, 'usd',
   'https://www.globenewswire.com/news-release/2024/07/18/2915393/0/en/OKX-Adjusts-Discount-Rates-for-BETH.html', '2024-07-18', true);

-- the argument check of the functions that work on a reference schema: a one-line ERROR naming target
CREATE FUNCTION @extschema@.reference_schema_arg(target text, needed text[],
    hint text DEFAULT 'Create one with portmargin.create_reference_schema().')
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  missing text;
BEGIN
  IF target IS NULL THEN
    RAISE EXCEPTION 'argument "target" must not be NULL' USING ERRCODE = '22004';
  END IF;
  SELECT string_agg(t, ', ' ORDER BY k) INTO missing
  FROM unnest(needed) WITH ORDINALITY u(t, k)
  WHERE to_regclass(format('%I.%I', target, t)) IS NULL;
  IF to_regnamespace(quote_ident(target)) IS NULL OR missing IS NOT NULL THEN
    RAISE EXCEPTION 'invalid value for argument "target": %', quote_literal(target) USING ERRCODE = '22023',
      DETAIL = CASE WHEN to_regnamespace(quote_ident(target)) IS NULL THEN 'The schema does not exist.'
                    ELSE format('The schema has no %s: it is not a reference schema.', missing) END,
      HINT = hint;
  END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.reference_schema_arg(text, text[], text) IS
  'raises ERROR 22004 when target is NULL and 22023 naming it when the schema does not exist or lacks one of the tables or views needed (with hint): the argument check of upgrade_reference_schema, create_shard_view, use_sharded_positions, create_stress_tables and create_backtest_tables';

-- the reference schema: accounts.collateral_schedule, account_margin's gross_equity and collateral_discount
CREATE OR REPLACE FUNCTION @extschema@.upgrade_reference_schema(target text DEFAULT 'venue')
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  pm   text := (SELECT n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
                WHERE e.extname = 'portmargin');
  body text;
  q_market text;     -- the query of instrument_market_at, parameters as %3$s .. %4$s
  q_positions text;  -- of position_values_at, parameters as %3$s .. %7$s, market data from %8$s
  q_margin text;     -- of account_margin_at, parameters as %3$s .. %7$s, positions from %8$s, market data from %9$s
  fn_args text[] := ARRAY['shift_underlying', 'shift_price', 'only_account', 'order_ids', 'order_qty'];
  acct_fn text := '\1.account_id BETWEEN coalesce(only_account, -9223372036854775807) AND coalesce(only_account, 9223372036854775807)';
  view_args text[] := ARRAY['NULL::text', 'NULL::float8', 'NULL::bigint', 'NULL::bigint[]', 'NULL::float8[]'];
  stmt text;
  stmt_keep text;
  stmt_drop text;
  st text; msg text; det text; hnt text;
BEGIN
  PERFORM @extschema@.reference_schema_arg(target, ARRAY['accounts', 'positions', 'margin_history']);
  -- an error below (e.g. by a role that does not own the schema) in one line, without the DDL it came from
  BEGIN
  -- 0.4.0: accounts name a collateral schedule (NULL: collateral at full value, as before) and a rulebook (NULL: the
  -- method's preset); account_margin_at returns gross_equity, collateral_discount and rulebook, so a 0.3.x one
  -- is dropped with the views over it (recreated below)
  EXECUTE format('ALTER TABLE %1$I.accounts ADD COLUMN IF NOT EXISTS collateral_schedule text REFERENCES %2$I.collateral_schedules (schedule)',
                 target, pm);
  EXECUTE format('COMMENT ON COLUMN %1$I.accounts.collateral_schedule IS %2$L', target,
                 'the collateral schedule (portmargin.collateral_schedules) that discounts the account''s equity per currency; NULL: every currency at its full USD value');
  EXECUTE format('ALTER TABLE %1$I.accounts ADD COLUMN IF NOT EXISTS rulebook text', target);
  EXECUTE format('COMMENT ON COLUMN %1$I.accounts.rulebook IS %2$L', target,
                 'the rulebook (a name in portmargin.rulebook_rules) that margins the account, each risk unit under its own rule; NULL: the preset named by method, as the rulebook of one default rule');
  IF to_regprocedure(format('%I.account_margin_at(text, float8, bigint, bigint[], float8[])', target)) IS NOT NULL
     AND pg_get_function_result(to_regprocedure(format('%I.account_margin_at(text, float8, bigint, bigint[], float8[])', target))) NOT LIKE '%, maintenance_equity double precision)' THEN
    EXECUTE format('DROP FUNCTION %I.account_margin_at(text, float8, bigint, bigint[], float8[]) CASCADE', target);
  END IF;

  -- 0.4.0: resting orders (pretrade_check reserves accepted orders here; the margin counts them)
  EXECUTE format($ddl$
CREATE TABLE IF NOT EXISTS %1$I.open_orders (
    order_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES %1$I.accounts ON DELETE CASCADE,
    instrument_id bigint NOT NULL REFERENCES %1$I.instruments,
    quantity      float8 NOT NULL CHECK (quantity <> 0),
    created_at    timestamptz NOT NULL DEFAULT now()
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);  -- a queue: vacuumed by row churn, not size
CREATE INDEX IF NOT EXISTS open_orders_account ON %1$I.open_orders (account_id);
COMMENT ON TABLE %1$I.open_orders IS 'resting orders (quantity > 0 buy, < 0 sell, in contracts), e.g. accepted by pretrade_check: the margin counts them as portmargin order rows (the requirement''s rise if all buys or all sells fill); delete a row when the order fills (and becomes a position) or is cancelled';
$ddl$, target);

  -- the three queries behind the reference schema, each used twice: as the body of a *_at function (what-if:
  -- parameters) and as the body of a view (current prices, every account).  The views read the tables with
  -- their owner's rights, so a role with SELECT on the views alone (grant_reader) reads every view; the *_at
  -- functions run with the caller's rights (whatif_margin, liquidation prices: roles that may read positions).
  q_market := $q$
  SELECT i.instrument_id, i.underlying, i.kind, i.option_type, i.strike, i.expiry, i.settlement, i.multiplier,
         ix.price * x.scale, coalesce(f.forward, ix.price) * x.scale,
         CASE WHEN i.kind IN ('option', 'future') THEN greatest(0, %2$I.year_fraction(ix.as_of, i.expiry)) ELSE 0 END,
         v.vol, coalesce(r.rate, 0)
  FROM %1$I.instruments i
  JOIN %1$I.index_prices ix ON ix.underlying = i.underlying
  CROSS JOIN LATERAL (SELECT CASE WHEN i.underlying = %3$s THEN %4$s / ix.price ELSE 1 END AS scale) x
  LEFT JOIN %1$I.forwards f ON f.underlying = i.underlying AND f.expiry = i.expiry
  LEFT JOIN %1$I.implied_vols v ON v.instrument_id = i.instrument_id
  LEFT JOIN %1$I.rates r ON r.currency = CASE WHEN i.settlement = 'linear' THEN 'USD' ELSE i.underlying END
$q$;
  q_positions := $q$
  WITH pos AS (
    SELECT p.account_id, p.instrument_id, p.quantity, p.entry_price, false AS is_order
    FROM %1$I.positions p WHERE @ACCT(p)@
    UNION ALL
    SELECT %5$s, o.id, o.q, NULL, true FROM unnest(%6$s, %7$s) AS o(id, q) WHERE %5$s IS NOT NULL
  ), net AS (
    -- an order on an instrument already held changes that position, as an upsert would
    SELECT account_id, instrument_id, sum(quantity) AS quantity, max(entry_price) AS entry_price,
           sum(CASE WHEN is_order THEN 0 ELSE quantity END) AS held
    FROM pos GROUP BY account_id, instrument_id
  )
  SELECT n.account_id, n.instrument_id, n.quantity, n.entry_price, m.underlying, m.kind, m.option_type, m.strike, m.t,
         m.forward, m.vol, m.settlement, m.multiplier, m.index_price, m.rate, v.unit_value,
         -- equity counts the held quantity: a proposed order is assumed filled at the mark (no P&L, premium paid from collateral)
         n.held * m.multiplier * v.unit_value
  FROM net n JOIN %8$s m USING (instrument_id)
  CROSS JOIN LATERAL (SELECT CASE m.kind
      WHEN 'option' THEN CASE WHEN m.settlement = 'inverse'
                              THEN %2$I.inverse_price(m.option_type, m.forward, m.strike, m.t, coalesce(m.vol, 0)) * m.index_price
                              ELSE %2$I.black76_price(m.option_type, m.forward, m.strike, m.t, coalesce(m.vol, 0), m.rate) END
      WHEN 'spot' THEN m.forward
      ELSE CASE WHEN m.settlement = 'inverse'
                THEN (1 - coalesce(n.entry_price, m.forward) / m.forward) * m.index_price
                ELSE m.forward - coalesce(n.entry_price, m.forward) END
    END AS unit_value) v
$q$;
  q_margin := $q$
  WITH pv AS (SELECT * FROM %8$s),
  -- the accounts asked for (all, or only_account), filtered where each join reads them (a what-if plans one account).
  -- The ACCT markers of these queries become, in the functions, a range on the key (not "IS NULL OR =", so that a
  -- cached generic plan still looks the account up by index) and, in the views, true
  acc AS NOT MATERIALIZED (SELECT * FROM %1$I.accounts a WHERE @ACCT(a)@),
  -- the named rulebooks in use, each built once per query (rulebook_preset)
  books AS MATERIALIZED (
    SELECT n.rulebook, %2$I.rulebook_preset(n.rulebook) AS rules
    FROM (SELECT DISTINCT a.rulebook FROM acc a WHERE a.rulebook IS NOT NULL) n),
  -- an account with a rulebook is margined over it, each risk unit under its own rule; one without, over its method's
  -- preset (the scenario-set aggregate: the same as its rulebook of one default rule); one aggregate per group
  -- what the aggregate margins: the positions, and the resting orders of open_orders (kind order:<kind>: the
  -- requirement's rise if all buys or all sells fill), which have no value of their own
  mrows AS (
    SELECT x.account_id,
           %2$I.position(quantity => x.quantity, underlying => x.underlying, kind => x.kind, settlement => x.settlement,
                         option_type => x.option_type, forward => x.forward, strike => x.strike, t => x.t, vol => x.vol,
                         multiplier => x.multiplier, index_price => x.index_price) AS pos
    FROM (SELECT pv.account_id, pv.quantity, pv.underlying, pv.kind, pv.settlement, pv.option_type, pv.forward, pv.strike,
                 pv.t, pv.vol, pv.multiplier, pv.index_price
          FROM pv
          UNION ALL
          SELECT o.account_id, o.quantity, mk.underlying, 'order:' || mk.kind, mk.settlement, mk.option_type, mk.forward,
                 mk.strike, mk.t, mk.vol, mk.multiplier, mk.index_price
          FROM %1$I.open_orders o JOIN %9$s mk ON mk.instrument_id = o.instrument_id
          WHERE @ACCT(o)@) x),
  -- the aggregate's state (live margin keeps it: an order is then checked by merging its own state) and the margin
  -- finalised from it (the same value as portfolio_margin's, bit for bit)
  m AS (
    SELECT g.account_id, fm.m, g.st
    FROM (
      SELECT r.account_id, %2$I.portfolio_margin_state(r.pos, ps.scenarios) AS st
      FROM mrows r JOIN acc a ON a.account_id = r.account_id
      JOIN %2$I.scenario_presets ps ON ps.name = a.method
      WHERE a.rulebook IS NULL
      GROUP BY r.account_id
      UNION ALL
      SELECT r.account_id, %2$I.portfolio_margin_state(r.pos, b.rules) AS st
      FROM mrows r JOIN acc a ON a.account_id = r.account_id
      JOIN books b ON b.rulebook = a.rulebook
      GROUP BY r.account_id) g
    -- finalised once a row (OFFSET 0: not pulled up, so not once per field read of the result)
    CROSS JOIN LATERAL (SELECT %2$I.finalize_margin(g.st) AS m OFFSET 0) fm),
  fx AS (SELECT ix.underlying, ix.price * CASE WHEN ix.underlying = %3$s THEN %4$s / ix.price ELSE 1 END AS usd
         FROM %1$I.index_prices ix),
  -- equity per account and currency: the balance plus the mark-to-market of the positions settled in it
  -- (coin-settled: in the coin; linear: in USD)
  ccy AS (
    SELECT x.account_id, x.currency, sum(x.amount) AS amount
    FROM (SELECT c.account_id, c.currency, c.balance AS amount
          FROM %1$I.collateral c WHERE @ACCT(c)@
          UNION ALL
          SELECT pv.account_id, CASE WHEN pv.settlement = 'inverse' THEN pv.underlying ELSE 'USD' END,
                 CASE WHEN pv.settlement = 'inverse' THEN pv.value_usd / pv.index_price ELSE pv.value_usd END
          FROM pv) x
    GROUP BY x.account_id, x.currency),
  -- its USD value gross, and under the account's collateral schedule (NULL: none): a positive equity in a currency other
  -- than USD counts at portmargin.tiered_value of the schedule's tiers for it (in the currency, or in USD for tiers in USD);
  -- a currency the schedule has no tiers for is an error (no tiers), not a silent zero or full value
  -- the tier tables, one row per schedule and currency
  tiers AS (
    SELECT ct.schedule, ct.currency, min(ct.bound_unit) AS unit, array_agg(ct.lower_bound ORDER BY ct.tier) AS lo,
           array_agg(ct.upper_bound ORDER BY ct.tier) AS hi, array_agg(ct.discount_rate ORDER BY ct.tier) AS rt
    FROM %2$I.collateral_tiers ct GROUP BY ct.schedule, ct.currency),
  val AS (
    SELECT ccy.account_id, ccy.amount * px.usd AS gross_usd,
           CASE WHEN a.collateral_schedule IS NULL OR ccy.currency = 'USD' OR ccy.amount <= 0 THEN ccy.amount * px.usd
                WHEN t.unit = 'usd' THEN %2$I.tiered_value(ccy.amount * px.usd, t.lo, t.hi, t.rt)
                ELSE %2$I.tiered_value(ccy.amount, coalesce(t.lo, '{}'), coalesce(t.hi, '{}'), coalesce(t.rt, '{}')) * px.usd
           END AS adjusted_usd
    FROM ccy
    JOIN acc a ON a.account_id = ccy.account_id
    LEFT JOIN fx ON fx.underlying = ccy.currency
    CROSS JOIN LATERAL (SELECT CASE WHEN ccy.currency IN ('USD', 'USDC', 'USDT') THEN 1 ELSE fx.usd END AS usd) px
    LEFT JOIN tiers t ON t.schedule = a.collateral_schedule AND t.currency = ccy.currency),
  eq AS (SELECT val.account_id, sum(val.gross_usd) AS gross, sum(val.adjusted_usd) AS adjusted FROM val GROUP BY val.account_id),
  r AS (
    SELECT a.account_id, a.name, a.method, a.call_level, a.liquidation_level, m.m, m.st, a.rulebook,
           coalesce(eq.gross, 0) AS gross_equity, coalesce(eq.adjusted, 0) AS equity,
           -- the equity maintenance margin is compared with: the discounted one where the schedule says so (OKX's adjusted
           -- equity), else the gross one (Deribit's haircuts apply to initial margin)
           CASE WHEN cs.maintenance_basis = 'discounted' THEN coalesce(eq.adjusted, 0) ELSE coalesce(eq.gross, 0) END AS mm_equity,
           CASE WHEN m.m IS NULL THEN 1 WHEN (m.m).currency IS NULL OR (m.m).currency = 'USD' THEN 1
                ELSE (SELECT fx.usd FROM fx WHERE fx.underlying = (m.m).currency) END AS to_usd
    FROM acc a LEFT JOIN m ON m.account_id = a.account_id LEFT JOIN eq ON eq.account_id = a.account_id
    LEFT JOIN %2$I.collateral_schedules cs ON cs.schedule = a.collateral_schedule
    WHERE @ACCT(a)@)
  SELECT r.account_id, r.name, r.method, r.equity,
         coalesce((r.m).initial_margin, 0) * r.to_usd, coalesce((r.m).maintenance_margin, 0) * r.to_usd,
         r.equity - coalesce((r.m).initial_margin, 0) * r.to_usd,
         CASE WHEN r.mm_equity > 0 THEN coalesce((r.m).maintenance_margin, 0) * r.to_usd / r.mm_equity END,
         CASE WHEN r.mm_equity <= r.liquidation_level * coalesce((r.m).maintenance_margin, 0) * r.to_usd THEN 'liquidation'
              WHEN r.equity < r.call_level * coalesce((r.m).initial_margin, 0) * r.to_usd THEN 'call'
              ELSE 'healthy' END,
         r.m, r.gross_equity, r.gross_equity - r.equity, r.rulebook, r.st, r.to_usd, r.mm_equity
  FROM r
$q$;

  -- market data per instrument, optionally with one underlying moved to another price
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.instrument_market_at(shift_underlying text DEFAULT NULL, shift_price float8 DEFAULT NULL)
RETURNS TABLE (instrument_id bigint, underlying text, kind text, option_type text, strike float8, expiry timestamptz,
               settlement text, multiplier float8, index_price float8, forward float8, t float8, vol float8, rate float8)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
%4$s;
END;
COMMENT ON FUNCTION %1$I.instrument_market_at(text, float8) IS 'market data per instrument (index, forward, years to expiry ACT/365, vol, rate); with shift_underlying and shift_price, that underlying''s index and forwards scaled to shift_price';

CREATE OR REPLACE VIEW %1$I.instrument_market (instrument_id, underlying, kind, option_type, strike, expiry, settlement,
    multiplier, index_price, forward, t, vol, rate) AS
%5$s;
COMMENT ON VIEW %1$I.instrument_market IS 'market data per instrument at the current prices';

-- positions with market data and mark-to-market value (USD), optionally one account with proposed orders
CREATE OR REPLACE FUNCTION %1$I.position_values_at(shift_underlying text DEFAULT NULL, shift_price float8 DEFAULT NULL,
                                       only_account bigint DEFAULT NULL, order_ids bigint[] DEFAULT NULL, order_qty float8[] DEFAULT NULL)
RETURNS TABLE (account_id bigint, instrument_id bigint, quantity float8, entry_price float8, underlying text, kind text,
               option_type text, strike float8, t float8, forward float8, vol float8, settlement text, multiplier float8,
               index_price float8, rate float8, unit_value float8, value_usd float8)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
%6$s;
END;
CREATE OR REPLACE VIEW %1$I.position_values (account_id, instrument_id, quantity, entry_price, underlying, kind, option_type,
    strike, t, forward, vol, settlement, multiplier, index_price, rate, unit_value, value_usd) AS
%7$s;
COMMENT ON VIEW %1$I.position_values IS 'positions with market data and USD mark-to-market value per contract at the current prices (position_values_at() without arguments, read with the view owner''s rights)';

COMMENT ON FUNCTION %1$I.position_values_at(text, float8, bigint, bigint[], float8[]) IS 'positions with market data and USD mark-to-market value per contract (options: value; futures, perpetuals: unrealised P&L from entry_price; spot: price); optionally with one underlying moved, and for one account with proposed orders';

CREATE OR REPLACE FUNCTION %1$I.account_margin_at(shift_underlying text DEFAULT NULL, shift_price float8 DEFAULT NULL,
                                      only_account bigint DEFAULT NULL, order_ids bigint[] DEFAULT NULL, order_qty float8[] DEFAULT NULL)
RETURNS TABLE (account_id bigint, name text, method text, equity float8, initial_margin float8, maintenance_margin float8,
               excess float8, margin_ratio float8, status text, margin %2$I.margin, gross_equity float8, collateral_discount float8,
               rulebook text, margin_state %2$I.margin_state, margin_to_usd float8, maintenance_equity float8)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
%8$s;
END;
CREATE OR REPLACE VIEW %1$I.account_margin_detail (account_id, name, method, equity, initial_margin, maintenance_margin,
    excess, margin_ratio, status, margin, gross_equity, collateral_discount, rulebook, margin_state, margin_to_usd,
    maintenance_equity) AS
%9$s;
COMMENT ON VIEW %1$I.account_margin_detail IS 'account_margin with the full portmargin.margin result (column margin, in its own currency: per-unit breakdown, P&L per scenario), at the current prices: account_margin_at() without arguments, read with the view owner''s rights';

COMMENT ON FUNCTION %1$I.account_margin_at(text, float8, bigint, bigint[], float8[]) IS 'account_margin computed with one underlying moved to shift_price and/or for one account with proposed orders (what-if); the margin column is the full portmargin.margin result in its own currency (units: each risk unit with the rule that applied, named after its preset), rulebook the account''s (NULL: its method''s preset); equity is discounted by the account''s collateral schedule (gross_equity before it); margin_state is the aggregate''s state (finalize_margin(margin_state) = margin), margin_to_usd the USD rate of the margin''s currency, maintenance_equity the equity maintenance margin is compared with (gross or discounted, by the schedule)';

CREATE OR REPLACE VIEW %1$I.account_margin AS
SELECT account_id, name, method, equity, initial_margin, maintenance_margin, excess, margin_ratio, status,
       (margin).currency AS margin_currency, (margin).worst_label, (margin).worst_unit, gross_equity, collateral_discount, rulebook
FROM %1$I.account_margin_detail;
COMMENT ON VIEW %1$I.account_margin IS 'one row per account: equity (collateral + mark-to-market, USD, each currency discounted by the account''s collateral schedule), initial and maintenance margin under the account''s method (USD), excess = equity - initial margin, margin_ratio = maintenance / equity (gross equity where the schedule discounts for initial margin only), status healthy / call / liquidation by the account''s thresholds, the margin''s own currency, worst scenario and risk unit, gross_equity (no discount) and collateral_discount = gross_equity - equity, the account''s rulebook (NULL: its method''s preset)';

CREATE OR REPLACE VIEW %1$I.account_risk_matrix AS
SELECT a.account_id, s.idx AS scenario, s.label, s.price_move, s.vol_rule, s.vol_shift, s.weight,
       (a.margin).pnl[s.idx] AS pnl, (a.margin).currency
FROM %1$I.account_margin_detail a
JOIN %1$I.accounts acc USING (account_id)
-- the set the units share: their rule's preset (a rulebook_rules rule is named after its preset), else the method's
JOIN %2$I.scenario_presets ps ON ps.name = coalesce(((a.margin).units[1]).rule_name, acc.method)
CROSS JOIN LATERAL %2$I.scenarios(ps.scenarios) s
WHERE (a.margin).initial_margin IS NOT NULL AND cardinality((a.margin).pnl) > 0;
COMMENT ON VIEW %1$I.account_risk_matrix IS 'one row per account and scenario of its method (of the rule its units share under a rulebook; an account whose units take different scenario sets has no account P&L vector and no rows): the scenario (index, label, price move, vol rule and shift, weight) and the account''s P&L in it, gains positive, in the margin''s currency: the source of a risk-matrix heatmap';

CREATE OR REPLACE VIEW %1$I.position_greeks AS
SELECT p.account_id, p.instrument_id, i.name, p.underlying, p.kind, p.settlement, p.quantity,
       p.quantity * p.multiplier * g.delta AS delta,
       p.quantity * p.multiplier * g.delta * p.index_price AS delta_usd,
       p.quantity * p.multiplier * g.gamma AS gamma,
       p.quantity * p.multiplier * g.vega / 100 AS vega_usd,
       p.quantity * p.multiplier * g.vega / 100 / p.index_price AS vega_coin,
       p.quantity * p.multiplier * g.theta_day AS theta_day_usd,
       p.quantity * p.multiplier * g.theta_day / p.index_price AS theta_day_coin,
       p.quantity * p.multiplier * p.unit_value AS value_usd,
       p.quantity * p.multiplier * p.unit_value / p.index_price AS value_coin
FROM %1$I.position_values p
JOIN %1$I.instruments i USING (instrument_id)
LEFT JOIN LATERAL %2$I.black76_greeks(p.option_type, p.forward, p.strike, p.t, coalesce(p.vol, 0),
                                      CASE WHEN p.settlement = 'linear' THEN p.rate ELSE 0 END) g0 ON p.kind = 'option'
CROSS JOIN LATERAL (
  -- a coin-settled option pays its Black-76 USD value / forward in coin, worth index / forward of it in USD
  SELECT CASE WHEN p.settlement = 'inverse' THEN p.index_price / p.forward ELSE 1 END AS scale) sc
CROSS JOIN LATERAL (
  SELECT CASE WHEN p.kind = 'option' THEN g0.delta * sc.scale ELSE 1 END AS delta,
         CASE WHEN p.kind = 'option' THEN g0.gamma * sc.scale ELSE 0 END AS gamma,
         CASE WHEN p.kind = 'option' THEN g0.vega * sc.scale ELSE 0 END AS vega,
         CASE WHEN p.kind = 'option' THEN g0.theta_day * sc.scale ELSE 0 END AS theta_day) g;
COMMENT ON VIEW %1$I.position_greeks IS 'Greeks per position (Black-76 on the forward; coin-settled options: of the coin payoff valued at the index): delta in underlying units and USD, gamma per underlying unit, vega per vol point and theta per day in USD and in coin, mark-to-market value in USD and coin; futures and perpetuals have delta = quantity x multiplier';

CREATE OR REPLACE VIEW %1$I.account_greeks AS
SELECT account_id, underlying, sum(delta) AS delta, sum(delta_usd) AS delta_usd, sum(gamma) AS gamma,
       sum(vega_usd) AS vega_usd, sum(vega_coin) AS vega_coin, sum(theta_day_usd) AS theta_day_usd,
       sum(theta_day_coin) AS theta_day_coin, sum(value_usd) AS value_usd, count(*) AS positions
FROM %1$I.position_greeks GROUP BY account_id, underlying;
COMMENT ON VIEW %1$I.account_greeks IS 'position_greeks summed per account and underlying';

CREATE OR REPLACE VIEW %1$I.margin_attribution AS
SELECT a.account_id, p.instrument_id, i.name, p.underlying, p.quantity, w.scenario,
       -p.quantity * (%2$I.risk_array(ps.scenarios, p.kind, p.option_type, p.strike, p.t,
                                      p.forward, p.vol, p.settlement, p.multiplier, p.underlying))[w.scenario]
         * CASE WHEN (a.margin).currency = 'USD' AND p.settlement = 'inverse' THEN p.index_price ELSE 1 END AS loss,
       (a.margin).currency, w.scope
FROM %1$I.account_margin_detail a
JOIN %1$I.accounts acc USING (account_id)
JOIN %1$I.position_values p ON p.account_id = a.account_id
JOIN %1$I.instruments i ON i.instrument_id = p.instrument_id
-- the position's unit: the rule that applied to it (named after its preset; NULL for the method's preset) and its worst
-- scenario; the account's worst scenario when its units share one scenario set (the account has a P&L vector), else
-- the unit's own
CROSS JOIN LATERAL (SELECT u.rule_name, u.worst_scenario FROM unnest((a.margin).units) u
                    WHERE u.underlying = p.underlying AND u.settlement = p.settlement) pu
JOIN %2$I.scenario_presets ps ON ps.name = coalesce(pu.rule_name, acc.method)
CROSS JOIN LATERAL (
  SELECT CASE WHEN (a.margin).pnl IS NOT NULL THEN (a.margin).worst_scenario ELSE pu.worst_scenario END AS scenario,
         CASE WHEN (a.margin).pnl IS NOT NULL THEN 'account' ELSE 'unit' END AS scope) w
WHERE w.scenario IS NOT NULL;
COMMENT ON VIEW %1$I.margin_attribution IS 'each position''s loss in its account''s worst scenario (the scenario of worst_label; scope account), in the margin''s currency: what drives the requirement; the losses add up to the account''s loss in that scenario.  Under a rulebook whose units take different scenario sets (no account P&L vector), each position''s loss in its risk unit''s worst scenario under the unit''s rule (scope unit): the losses of a unit add up to its loss there';

CREATE OR REPLACE VIEW %1$I.account_unit_margin AS
SELECT a.account_id, a.rulebook, u.ordinality::integer AS unit, u.underlying, u.settlement, u.rule, u.rule_name, u.method,
       u.currency, u.initial_margin, u.maintenance_margin, u.scan_loss, u.short_option_minimum, u.net_option_value,
       u.per_contract_minimum, u.option_contingency, u.futures_contingency, u.roll_shock, u.delta_shock,
       u.open_orders_margin, u.mmp_margin, u.extreme_move, u.theta_decay, u.vega_term_structure, u.basis_risk,
       u.interest_rate, u.minimum_charge, u.borrowing, u.depeg, u.worst_scenario, u.worst_label,
       u.margin_report, (a.margin).currency AS report_currency,
       u.margin_report * CASE WHEN (a.margin).currency = 'USD' THEN 1
                              ELSE (SELECT ix.price FROM %1$I.index_prices ix WHERE ix.underlying = (a.margin).currency) END AS margin_usd
FROM %1$I.account_margin_detail a
CROSS JOIN LATERAL unnest((a.margin).units) WITH ORDINALITY u;
COMMENT ON VIEW %1$I.account_unit_margin IS 'the per-unit breakdown for BI tools: one row per account and risk unit (underlying, settlement) with the rulebook rule that applied (key and name), its method and every component of the unit''s requirement in the unit''s currency (its coin when inverse, USD when linear; NULL where the method has none: Deribit worst case = scan_loss, roll and delta shock, contingencies, open orders, MMP; OKX MR1 = scan_loss, MR2 to MR9; SPAN scan, short option minimum, net option value), its requirement in the account margin''s currency (margin_report) and in USD';

CREATE OR REPLACE FUNCTION %1$I.liquidation_prices(account_id bigint, underlying text, search_range float8 DEFAULT 0.9,
                                       OUT lower float8, OUT upper float8)
LANGUAGE sql STABLE PARALLEL UNSAFE
BEGIN ATOMIC
  SELECT l.lower, l.upper FROM %2$I.liquidation_prices(%3$L, account_id, underlying, search_range) l;
END;
COMMENT ON FUNCTION %1$I.liquidation_prices(bigint, text, float8) IS 'the underlying prices nearest to the index, below and above, at which the account''s equity falls to its maintenance margin (other underlyings fixed); NULL when there is none within [index x (1 - search_range), index / (1 - search_range)]';

CREATE OR REPLACE VIEW %1$I.margin_daily AS
WITH last_of_day AS (
  SELECT DISTINCT ON (account_id, snapshot_at::date) account_id, snapshot_at::date AS day, snapshot_at, equity,
         initial_margin, maintenance_margin, excess, margin_ratio, status
  FROM %1$I.margin_history ORDER BY account_id, snapshot_at::date, snapshot_at DESC)
SELECT account_id, day, snapshot_at, equity, initial_margin, maintenance_margin, excess, margin_ratio, status,
       lag(initial_margin) OVER w AS prev_initial_margin,
       initial_margin - lag(initial_margin) OVER w AS initial_margin_change,
       lag(status) OVER w AS prev_status,
       status IS DISTINCT FROM lag(status) OVER w AND lag(status) OVER w IS NOT NULL AS status_changed,
       status <> 'healthy' AND coalesce(lag(status) OVER w, 'healthy') = 'healthy' AS crossed_threshold
FROM last_of_day
WINDOW w AS (PARTITION BY account_id ORDER BY day);
COMMENT ON VIEW %1$I.margin_daily IS 'the last snapshot of each account per day with the day-over-day change of initial margin and status; crossed_threshold marks a healthy account that went to call or liquidation';
-- issue 16, point 5 (added to this section by that point's block): procyclicality per account over margin_daily
CREATE OR REPLACE VIEW %1$I.margin_procyclicality AS
SELECT a.account_id, a.first_day, a.last_day, a.days, a.peak_margin, a.trough_margin,
       %2$I.peak_to_trough(a.margins) AS peak_to_trough,
       i1.relative AS largest_1d_increase, i1.amount AS largest_1d_increase_amount,
       i5.relative AS largest_5d_increase, i5.amount AS largest_5d_increase_amount,
       i30.relative AS largest_30d_increase, i30.amount AS largest_30d_increase_amount
FROM (SELECT d.account_id, min(d.day) AS first_day, max(d.day) AS last_day, count(*)::integer AS days,
             max(d.initial_margin) AS peak_margin, min(d.initial_margin) AS trough_margin,
             array_agg(d.day) AS day_list, array_agg(d.initial_margin) AS margins
      FROM %1$I.margin_daily d GROUP BY d.account_id) a
CROSS JOIN LATERAL %2$I.largest_margin_increase(a.day_list, a.margins, 1) i1
CROSS JOIN LATERAL %2$I.largest_margin_increase(a.day_list, a.margins, 5) i5
CROSS JOIN LATERAL %2$I.largest_margin_increase(a.day_list, a.margins, 30) i30;
COMMENT ON VIEW %1$I.margin_procyclicality IS 'procyclicality of each account''s initial margin over its history (margin_daily: the last snapshot of each day; n-day = n observations): first and last day, days, peak and trough, peak_to_trough = peak / trough (NULL when the trough is 0), and the largest 1-, 5- and 30-day increases, relative (M_t / M_(t-n) - 1) and in amount (M_t - M_(t-n)) (portmargin.peak_to_trough, portmargin.largest_margin_increase; Murphy, Vasios and Vause 2014)';
$ddl$, target, pm, target,
    format(q_market, target, pm, fn_args[1], fn_args[2]), format(q_market, target, pm, view_args[1], view_args[2]),
    regexp_replace(format(q_positions, target, pm, fn_args[1], fn_args[2], fn_args[3], fn_args[4], fn_args[5],
           format('%I.instrument_market_at(shift_underlying, shift_price)', target)), '@ACCT\((\w+)\)@', acct_fn, 'g'),
    regexp_replace(format(q_positions, target, pm, view_args[1], view_args[2], view_args[3], view_args[4], view_args[5],
           format('%I.instrument_market', target)), '@ACCT\((\w+)\)@', 'true', 'g'),
    regexp_replace(format(q_margin, target, pm, fn_args[1], fn_args[2], fn_args[3], fn_args[4], fn_args[5],
           format('%I.position_values_at(shift_underlying, shift_price, only_account, order_ids, order_qty)', target),
           format('%I.instrument_market_at(shift_underlying, shift_price)', target)), '@ACCT\((\w+)\)@', acct_fn, 'g'),
    regexp_replace(format(q_margin, target, pm, view_args[1], view_args[2], view_args[3], view_args[4], view_args[5],
           format('%I.position_values', target), format('%I.instrument_market', target)), '@ACCT\((\w+)\)@', 'true', 'g'));

  -- PL/pgSQL functions: their queries (with the *_at functions inlined) are planned once per session; their
  -- bodies are text, built here with %I and passed as one literal (%L), and run with search_path = pg_catalog
  body := format($b$
BEGIN
  IF whatif_margin.account_id IS NULL OR instrument_ids IS NULL OR quantities IS NULL THEN
    RAISE EXCEPTION 'argument "%%" must not be NULL',
      CASE WHEN whatif_margin.account_id IS NULL THEN 'account_id' WHEN instrument_ids IS NULL THEN 'instrument_ids' ELSE 'quantities' END
      USING ERRCODE = '22004';
  END IF;
  IF cardinality(instrument_ids) <> cardinality(quantities) THEN
    RAISE EXCEPTION 'invalid value for argument "quantities": %% quantities for %% instrument_ids', cardinality(quantities), cardinality(instrument_ids)
      USING ERRCODE = '22023', DETAIL = 'One quantity per instrument.';
  END IF;
  IF array_position(instrument_ids, NULL) IS NOT NULL OR array_position(quantities, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'invalid value for argument "%%": element %% is NULL',
      CASE WHEN array_position(instrument_ids, NULL) IS NOT NULL THEN 'instrument_ids' ELSE 'quantities' END,
      coalesce(array_position(instrument_ids, NULL), array_position(quantities, NULL))
      USING ERRCODE = '22004';
  END IF;
  RETURN (SELECT a.margin FROM %1$I.account_margin_at(NULL, NULL, whatif_margin.account_id, instrument_ids, quantities) a);
EXCEPTION WHEN insufficient_privilege THEN
  RAISE EXCEPTION 'role %% cannot read the tables of reference schema %%: what-if reads the positions', current_user, %2$L
    USING ERRCODE = '42501', HINT = format('The schema''s owner grants it with portmargin.grant_writer(%%L, %%L).', %2$L, current_user);
END
$b$, target, target);
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.whatif_margin(account_id bigint, instrument_ids bigint[], quantities float8[])
RETURNS %2$I.margin
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS %3$L;
COMMENT ON FUNCTION %1$I.whatif_margin(bigint, bigint[], float8[]) IS 'the margin of an account plus proposed orders (instrument_ids[k], quantities[k] contracts, negative = sell), without writing positions; equals inserting the orders (added to a position already held) and recomputing';
$ddl$, target, pm, body);

  body := format($b$
BEGIN
  IF equity_excess_at.account_id IS NULL OR equity_excess_at.underlying IS NULL THEN
    RAISE EXCEPTION 'argument "%%" must not be NULL', CASE WHEN equity_excess_at.account_id IS NULL THEN 'account_id' ELSE 'underlying' END
      USING ERRCODE = '22004';
  END IF;
  IF price IS NULL OR NOT (price > 1e-300 AND price < 1e300) THEN
    RAISE EXCEPTION 'invalid value for argument "price": %%', price USING ERRCODE = '22023',
      DETAIL = 'A price must be a finite number greater than zero.';
  END IF;
  RETURN (SELECT a.equity - a.maintenance_margin
          FROM %1$I.account_margin_at(equity_excess_at.underlying, price, equity_excess_at.account_id) a);
EXCEPTION WHEN insufficient_privilege THEN
  RAISE EXCEPTION 'role %% cannot read the tables of reference schema %%', current_user, %2$L
    USING ERRCODE = '42501', HINT = format('The schema''s owner grants it with portmargin.grant_writer(%%L, %%L).', %2$L, current_user);
END
$b$, target, target);
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.equity_excess_at(account_id bigint, underlying text, price float8)
RETURNS float8
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS %2$L;
COMMENT ON FUNCTION %1$I.equity_excess_at(bigint, text, float8) IS 'equity minus maintenance margin (USD) of an account with the underlying''s index and forwards moved to price, other underlyings fixed';
$ddl$, target, body);

  -- a second snapshot at the same timestamp is refused by name (never overwritten)
  body := format($b$
DECLARE
  n integer;
BEGIN
  IF at IS NULL THEN
    RAISE EXCEPTION 'argument "at" must not be NULL' USING ERRCODE = '22004';
  END IF;
  INSERT INTO %1$I.margin_history (snapshot_at, account_id, method, equity, initial_margin, maintenance_margin,
                                   excess, margin_ratio, status)
  SELECT at, m.account_id, m.method, m.equity, m.initial_margin, m.maintenance_margin, m.excess, m.margin_ratio, m.status
  FROM %1$I.account_margin m;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION 'a margin snapshot at %% is already in %%', at, %2$L USING ERRCODE = '23505',
    DETAIL = 'Snapshots are never overwritten.',
    HINT = 'Pass another timestamp, or delete the rows of that snapshot_at first.';
WHEN insufficient_privilege THEN
  RAISE EXCEPTION 'role %% cannot write %%', current_user, %2$L
    USING ERRCODE = '42501', HINT = format('The schema''s owner grants it with portmargin.grant_writer(%%L, %%L).', %3$L, current_user);
END
$b$, target, format('%I.margin_history', target), target);
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.snapshot_margins(at timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS %2$L;
COMMENT ON FUNCTION %1$I.snapshot_margins(timestamptz) IS 'writes every account''s margin at a timestamp into margin_history and returns the number of rows (schedule with pg_cron); a timestamp already snapshotted is refused (23505), never overwritten';
$ddl$, target, body);

  -- live margin (issue 12): a table of every account's current requirement, kept by triggers on trades
  -- (enable_live_margin) and by process_margin_queue after market data changes
  EXECUTE format($ddl$
CREATE TABLE IF NOT EXISTS %1$I.margin_live (
    account_id         bigint PRIMARY KEY REFERENCES %1$I.accounts ON DELETE CASCADE,
    equity             float8,
    initial_margin     float8,
    maintenance_margin float8,
    excess             float8,
    margin_ratio       float8,
    status             text,
    margin_currency    text,
    worst_label        text,
    cause              text NOT NULL,
    updated_at         timestamptz NOT NULL
);
COMMENT ON TABLE %1$I.margin_live IS 'every account''s current margin (the columns of account_margin), kept current once portmargin.enable_live_margin has run: recomputed in the transaction of each change to its positions, collateral or account row (cause = the table), and after market data changes by process_margin_queue (cause tick); updated_at is when';

CREATE TABLE IF NOT EXISTS %1$I.margin_live_state (
    account_id         bigint PRIMARY KEY REFERENCES %1$I.accounts ON DELETE CASCADE,
    margin_state       %2$I.margin_state,
    margin_to_usd      float8,
    maintenance_equity float8
) WITH (toast_tuple_target = 8160, fillfactor = 40);
-- a state is a few kB of doubles: kept in the row up to a page (no TOAST table insert per trade), never compressed;
-- fillfactor 40 leaves room for the next version of a few-kB row on its page (HOT updates: the table does not grow
-- with every trade or check)
ALTER TABLE %1$I.margin_live_state ALTER COLUMN margin_state SET STORAGE EXTERNAL;
COMMENT ON TABLE %1$I.margin_live_state IS 'what live margin keeps beside margin_live to check an order without recomputing the account: the aggregate''s state over its positions and resting orders, the USD rate of the margin''s currency and the equity maintenance margin is compared with, as of the account''s last recompute; written with margin_live, under its row''s lock; not granted to readers';

CREATE TABLE IF NOT EXISTS %1$I.margin_calls (
    call_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id         bigint NOT NULL,
    called_at          timestamptz NOT NULL,
    old_status         text,
    new_status         text NOT NULL,
    equity             float8,
    initial_margin     float8,
    maintenance_margin float8,
    margin_ratio       float8,
    cause              text NOT NULL
);
COMMENT ON TABLE %1$I.margin_calls IS 'one row per change of an account''s status in margin_live (healthy, call, liquidation and back; old_status NULL for an account''s first computation), written in the transaction that changed it, with the NOTIFY on channel portmargin_margin_calls: the durable record a listener catches up from (call_id increases)';

CREATE TABLE IF NOT EXISTS %1$I.margin_queue (
    underlying text PRIMARY KEY,
    queued_at  timestamptz NOT NULL
);
COMMENT ON TABLE %1$I.margin_queue IS 'underlyings whose market data changed since process_margin_queue last ran (* = every account: a USD rate), each with the time of its oldest unprocessed change; filled by triggers on index_prices, forwards, implied_vols and rates once live margin is enabled';
$ddl$, target, pm);

  -- the statement of refresh_live_margin, its fresh rows (@FRESH@) from one of two sources
  stmt := $s$
  WITH fresh AS MATERIALIZED (@FRESH@),
  -- the live rows written, with their status before (o: the same row as this statement's snapshot saw it)
  up AS (
    UPDATE %1$I.margin_live l
    SET equity = f.equity, initial_margin = f.initial_margin, maintenance_margin = f.maintenance_margin,
        excess = f.excess, margin_ratio = f.margin_ratio, status = f.status, margin_currency = f.margin_currency,
        worst_label = f.worst_label, cause = refresh_live_margin.cause, updated_at = clock_timestamp()
    FROM fresh f JOIN %1$I.margin_live o ON o.account_id = f.account_id
    WHERE l.account_id = f.account_id
    RETURNING l.account_id, o.status AS old_status, l.status, l.equity, l.initial_margin, l.maintenance_margin,
              l.margin_ratio),
  -- what an order's check merges with (margin_live_state): written with the live row, or dropped
  kept AS (@KEPT@),
  calls AS (
    INSERT INTO %1$I.margin_calls (account_id, called_at, old_status, new_status, equity, initial_margin,
                                   maintenance_margin, margin_ratio, cause)
    SELECT u.account_id, clock_timestamp(), u.old_status, u.status, u.equity, u.initial_margin, u.maintenance_margin,
           u.margin_ratio, refresh_live_margin.cause
    FROM up u
    WHERE u.status IS DISTINCT FROM coalesce(u.old_status, 'healthy')
    RETURNING *)
  SELECT (SELECT count(*) FROM up)::integer,
         (SELECT count(pg_notify('portmargin_margin_calls', json_build_object(
                  'schema', %2$L, 'call_id', c.call_id, 'account_id', c.account_id, 'called_at', c.called_at,
                  'old_status', c.old_status, 'new_status', c.new_status, 'equity', c.equity,
                  'initial_margin', c.initial_margin, 'maintenance_margin', c.maintenance_margin,
                  'margin_ratio', c.margin_ratio, 'cause', c.cause)::text)) FROM calls c)::integer
  INTO k, notified;
$s$;
  -- the few-accounts statements keep each account's state; the whole-book one drops the kept states (a tick over
  -- many accounts would rewrite a few kB per account): an account's next order recomputes it
  stmt_keep := replace(stmt, '@KEPT@', $k$
    INSERT INTO %1$I.margin_live_state AS k (account_id, margin_state, margin_to_usd, maintenance_equity)
    SELECT f.account_id, f.margin_state, f.margin_to_usd, f.maintenance_equity FROM fresh f
    ON CONFLICT (account_id) DO UPDATE
    SET margin_state = EXCLUDED.margin_state, margin_to_usd = EXCLUDED.margin_to_usd,
        maintenance_equity = EXCLUDED.maintenance_equity$k$);
  stmt_drop := replace(stmt, '@KEPT@', $k$
    DELETE FROM %1$I.margin_live_state k USING fresh f WHERE k.account_id = f.account_id$k$);
  body := format($b$
DECLARE
  n integer;
  k integer;
  notified integer;
  live_account bigint;
BEGIN
  IF accounts IS NULL OR cardinality(accounts) = 0 THEN
    RETURN 0;
  END IF;
  -- lock each account's live row (created if missing), in account order, before computing: a concurrent change of
  -- the same account waits here and then computes from a snapshot that includes this one's committed change
  INSERT INTO %1$I.margin_live (account_id, cause, updated_at)
  SELECT a.account_id, 'new', clock_timestamp() FROM unnest(accounts) AS x(id) JOIN %1$I.accounts a ON a.account_id = x.id
  ON CONFLICT (account_id) DO NOTHING;
  -- a few accounts: each computed by a statement that looks every table up by the account's key (live_account), at
  -- what-if speed; many: one pass over the book (separate statements, so that each plan is only the one it runs)
  IF cardinality(accounts) <= 32 THEN
    PERFORM 1 FROM %1$I.margin_live l WHERE l.account_id = ANY (accounts) ORDER BY l.account_id FOR UPDATE OF l;
    n := 0;
    FOR live_account IN SELECT DISTINCT x.id FROM unnest(accounts) AS x(id) JOIN %1$I.accounts a ON a.account_id = x.id
                        ORDER BY x.id LOOP
%3$s      n := n + k;
    END LOOP;
  ELSE
    -- (each account looked up by its key: not a scan of the array per row, which a book-wide tick would make quadratic)
    PERFORM 1 FROM unnest(accounts) AS x(id) JOIN %1$I.margin_live l ON l.account_id = x.id ORDER BY l.account_id FOR UPDATE OF l;
%4$s    n := k;
  END IF;
  RETURN n;
END
$b$, target, target,
    -- the account's margin: account_margin_at inlined, for live_account (its generic plan looks the account up by
    -- its key range; one with equalities instead measured 0.2 ms slower)
    replace(format(stmt_keep, target, target), '@FRESH@',
            format('SELECT m.account_id, m.equity, m.initial_margin, m.maintenance_margin, m.excess, m.margin_ratio, m.status, (m.margin).currency AS margin_currency, (m.margin).worst_label AS worst_label, m.margin_state, m.margin_to_usd, m.maintenance_equity FROM %I.account_margin_at(NULL, NULL, live_account) m', target)),
    replace(format(stmt_drop, target, target), '@FRESH@',
            -- the whole book in one pass, then the accounts asked for (a filter pushed into the view plans it
            -- per account and takes longer than the whole book); no state kept (a tick would rewrite every
            -- account's, a few kB each): an account's next order recomputes it
            format('SELECT d.account_id, d.equity, d.initial_margin, d.maintenance_margin, d.excess, d.margin_ratio, d.status, (d.margin).currency AS margin_currency, (d.margin).worst_label AS worst_label, NULL::%I.margin_state AS margin_state, d.margin_to_usd, d.maintenance_equity FROM (SELECT * FROM %I.account_margin_detail OFFSET 0) d WHERE d.account_id IN (SELECT unnest(accounts))', pm, target)));
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.refresh_live_margin(accounts bigint[], cause text DEFAULT 'refresh')
RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS %2$L;
COMMENT ON FUNCTION %1$I.refresh_live_margin(bigint[], text) IS 'recomputes the live margin of the given accounts (locking their margin_live rows in account order first) and logs and notifies every status change (margin_calls, NOTIFY portmargin_margin_calls); returns the number of accounts written';
$ddl$, target, body);

  -- orders added to open_orders: each account's kept state merged with the orders' own (one row each), not the
  -- account recomputed; an account without a kept state (none computed yet, or no rows) is recomputed
  body := format($b$
DECLARE
  ids bigint[];
  n integer := 0;
  k integer;
  notified integer;
  live_account bigint;
BEGIN
  -- the trigger passes its new rows; a direct call is held to the same shape (one element per order, no NULL)
  IF account_ids IS NULL OR instrument_ids IS NULL OR quantities IS NULL THEN
    RAISE EXCEPTION 'argument "%%" must not be NULL',
      CASE WHEN account_ids IS NULL THEN 'account_ids' WHEN instrument_ids IS NULL THEN 'instrument_ids' ELSE 'quantities' END
      USING ERRCODE = '22004';
  END IF;
  IF cardinality(instrument_ids) <> cardinality(account_ids) OR cardinality(quantities) <> cardinality(account_ids) THEN
    RAISE EXCEPTION 'invalid value for argument "%%": %% elements for %% account_ids',
      CASE WHEN cardinality(instrument_ids) <> cardinality(account_ids) THEN 'instrument_ids' ELSE 'quantities' END,
      CASE WHEN cardinality(instrument_ids) <> cardinality(account_ids) THEN cardinality(instrument_ids) ELSE cardinality(quantities) END,
      cardinality(account_ids) USING ERRCODE = '22023', DETAIL = 'One instrument and one quantity per order.';
  END IF;
  IF array_position(account_ids, NULL) IS NOT NULL OR array_position(instrument_ids, NULL) IS NOT NULL
     OR array_position(quantities, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'invalid value for argument "%%": an element is NULL',
      CASE WHEN array_position(account_ids, NULL) IS NOT NULL THEN 'account_ids'
           WHEN array_position(instrument_ids, NULL) IS NOT NULL THEN 'instrument_ids' ELSE 'quantities' END
      USING ERRCODE = '22004';
  END IF;
  ids := ARRAY(SELECT DISTINCT x.id FROM unnest(account_ids) AS x(id) ORDER BY x.id);
  IF cardinality(ids) = 0 THEN
    RETURN 0;
  ELSIF cardinality(ids) > 32 THEN
    RETURN %1$I.refresh_live_margin(ids, 'open_orders');
  END IF;
  INSERT INTO %1$I.margin_live (account_id, cause, updated_at)
  SELECT a.account_id, 'new', clock_timestamp() FROM unnest(ids) AS x(id) JOIN %1$I.accounts a ON a.account_id = x.id
  ON CONFLICT (account_id) DO NOTHING;
  PERFORM 1 FROM %1$I.margin_live l WHERE l.account_id = ANY (ids) ORDER BY l.account_id FOR UPDATE OF l;
  FOREACH live_account IN ARRAY ids LOOP
    IF EXISTS (SELECT 1 FROM %1$I.margin_live_state s WHERE s.account_id = live_account AND s.margin_state IS NOT NULL) THEN
      BEGIN
%2$s      EXCEPTION WHEN invalid_parameter_value THEN
        -- a kept state of another scenario set or rulebook than the account's now (portmargin's configuration
        -- edited since), or an order the account's rules cannot margin: recomputed (which raises the latter)
        k := %1$I.refresh_live_margin(ARRAY[live_account], 'open_orders');
      END;
      n := n + k;
    ELSE
      n := n + %1$I.refresh_live_margin(ARRAY[live_account], 'open_orders');
    END IF;
  END LOOP;
  RETURN n;
END
$b$, target, replace(replace(format(stmt_keep, target, target), '@FRESH@', format($f$
  SELECT l.account_id, l.equity,
         coalesce((nm.m).initial_margin, 0) * s.margin_to_usd AS initial_margin,
         coalesce((nm.m).maintenance_margin, 0) * s.margin_to_usd AS maintenance_margin,
         l.equity - coalesce((nm.m).initial_margin, 0) * s.margin_to_usd AS excess,
         CASE WHEN s.maintenance_equity > 0 THEN coalesce((nm.m).maintenance_margin, 0) * s.margin_to_usd / s.maintenance_equity END AS margin_ratio,
         CASE WHEN s.maintenance_equity <= a.liquidation_level * coalesce((nm.m).maintenance_margin, 0) * s.margin_to_usd THEN 'liquidation'
              WHEN l.equity < a.call_level * coalesce((nm.m).initial_margin, 0) * s.margin_to_usd THEN 'call'
              ELSE 'healthy' END AS status,
         (nm.m).currency AS margin_currency, (nm.m).worst_label AS worst_label,
         ns.st AS margin_state, s.margin_to_usd, s.maintenance_equity
  FROM %1$I.margin_live l
  JOIN %1$I.margin_live_state s ON s.account_id = l.account_id
  JOIN %1$I.accounts a ON a.account_id = l.account_id
  CROSS JOIN LATERAL (
    SELECT %2$I.merge_margin_states(u.st) AS st
    FROM (SELECT s.margin_state AS st
          UNION ALL
          SELECT %2$I.portfolio_margin_state(%2$I.position(quantity => o.q, underlying => mk.underlying, kind => 'order:' || mk.kind,
                   settlement => mk.settlement, option_type => mk.option_type, forward => mk.forward, strike => mk.strike,
                   t => mk.t, vol => mk.vol, multiplier => mk.multiplier, index_price => mk.index_price), ps.scenarios)
          FROM unnest(account_ids, instrument_ids, quantities) AS o(acc, id, q)
          JOIN %1$I.instrument_market mk ON mk.instrument_id = o.id
          JOIN %2$I.scenario_presets ps ON ps.name = a.method
          WHERE o.acc = l.account_id AND a.rulebook IS NULL
          UNION ALL
          SELECT %2$I.portfolio_margin_state(%2$I.position(quantity => o.q, underlying => mk.underlying, kind => 'order:' || mk.kind,
                   settlement => mk.settlement, option_type => mk.option_type, forward => mk.forward, strike => mk.strike,
                   t => mk.t, vol => mk.vol, multiplier => mk.multiplier, index_price => mk.index_price), %2$I.rulebook_preset(a.rulebook))
          FROM unnest(account_ids, instrument_ids, quantities) AS o(acc, id, q)
          JOIN %1$I.instrument_market mk ON mk.instrument_id = o.id
          WHERE o.acc = l.account_id AND a.rulebook IS NOT NULL) u) ns
  CROSS JOIN LATERAL (SELECT %2$I.finalize_margin(ns.st) AS m OFFSET 0) nm
  WHERE l.account_id = live_account$f$, target, pm)), 'refresh_live_margin.cause', '''open_orders'''));
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.add_live_orders(account_ids bigint[], instrument_ids bigint[], quantities float8[])
RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
-- every read here is by key: a plan cached while margin_live_state was a page or two must not scan it sequentially
-- once each account's row has left dead versions behind
SET enable_seqscan = off
AS %2$L;
COMMENT ON FUNCTION %1$I.add_live_orders(bigint[], bigint[], float8[]) IS 'live margin after orders were added to open_orders (called by its insert trigger with the new rows): each account''s kept state (margin_live_state) merged with the orders'' own, the margin finalised from it with the kept USD rate and equity, the status changes logged and notified as refresh_live_margin does; an account without a kept state, or more than 32 accounts, recomputed by refresh_live_margin; returns the number of accounts written';
$ddl$, target, body);

  -- the trigger of positions, collateral and accounts: one recompute per account per statement
  body := format($b$
DECLARE
  ids bigint[];
  oi bigint[];
  oq float8[];
BEGIN
  IF TG_OP = 'INSERT' AND TG_TABLE_NAME = 'open_orders' THEN
    SELECT array_agg(r.account_id), array_agg(r.instrument_id), array_agg(r.quantity) INTO ids, oi, oq FROM new_rows r;
    PERFORM %1$I.add_live_orders(ids, oi, oq);
    RETURN NULL;
  ELSIF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT r.account_id) INTO ids FROM new_rows r;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT r.account_id) INTO ids FROM old_rows r;
  ELSE
    SELECT array_agg(DISTINCT x.account_id) INTO ids
    FROM (SELECT r.account_id FROM new_rows r UNION SELECT r.account_id FROM old_rows r) x;
  END IF;
  PERFORM %1$I.refresh_live_margin(ids, TG_TABLE_NAME);
  RETURN NULL;
END
$b$, target);
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.live_margin_on_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS %2$L;
COMMENT ON FUNCTION %1$I.live_margin_on_change() IS 'statement trigger of positions, open_orders, collateral and accounts (live margin): recomputes each account the statement touched, once; orders inserted into open_orders go to add_live_orders (merged, not recomputed)';
$ddl$, target, body);

  -- the trigger of the market data tables: the underlyings to re-margin, queued
  body := format($b$
BEGIN
  IF TG_TABLE_NAME = 'implied_vols' THEN
    INSERT INTO %1$I.margin_queue (underlying, queued_at)
    SELECT DISTINCT i.underlying, clock_timestamp()
    FROM (SELECT r.instrument_id FROM changed_rows r) x JOIN %1$I.instruments i ON i.instrument_id = x.instrument_id
    ON CONFLICT (underlying) DO NOTHING;
  ELSIF TG_TABLE_NAME = 'rates' THEN
    INSERT INTO %1$I.margin_queue (underlying, queued_at)
    SELECT DISTINCT CASE WHEN r.currency IN ('USD', 'USDC', 'USDT') THEN '*' ELSE r.currency END, clock_timestamp()
    FROM changed_rows r
    ON CONFLICT (underlying) DO NOTHING;
  ELSE
    INSERT INTO %1$I.margin_queue (underlying, queued_at)
    SELECT DISTINCT r.underlying, clock_timestamp() FROM changed_rows r
    ON CONFLICT (underlying) DO NOTHING;
  END IF;
  RETURN NULL;
END
$b$, target);
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.live_margin_on_tick() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS %2$L;
COMMENT ON FUNCTION %1$I.live_margin_on_tick() IS 'statement trigger of index_prices, forwards, implied_vols and rates (live margin): queues the underlyings whose accounts need a recompute in margin_queue';
$ddl$, target, body);

  body := format($b$
DECLARE
  unds text[];
  ids bigint[];
BEGIN
  WITH q AS (DELETE FROM %1$I.margin_queue RETURNING underlying)
  SELECT array_agg(q.underlying) INTO unds FROM q;
  IF unds IS NULL THEN
    RETURN 0;
  END IF;
  -- the accounts holding an instrument on a changed underlying (a position or a resting order), or a balance in it
  -- (its USD value moved)
  SELECT array_agg(DISTINCT x.account_id) INTO ids
  FROM (SELECT p.account_id FROM %1$I.positions p JOIN %1$I.instruments i ON i.instrument_id = p.instrument_id
        WHERE i.underlying = ANY (unds)
        UNION ALL SELECT o.account_id FROM %1$I.open_orders o JOIN %1$I.instruments i ON i.instrument_id = o.instrument_id
        WHERE i.underlying = ANY (unds)
        UNION ALL SELECT c.account_id FROM %1$I.collateral c WHERE c.currency = ANY (unds)
        UNION ALL SELECT a.account_id FROM %1$I.accounts a WHERE '*' = ANY (unds)) x;
  RETURN %1$I.refresh_live_margin(ids, 'tick');
END
$b$, target);
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.process_margin_queue()
RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS %2$L;
COMMENT ON FUNCTION %1$I.process_margin_queue() IS 'takes every queued underlying off margin_queue and recomputes the live margin of the accounts holding instruments on it or balances in it; returns the number of accounts written (run by portmargin.start_live_margin_worker, or a loop of your own)';
$ddl$, target, body);

  -- the pre-trade check: accept or reject orders against free margin, reserving accepted ones in open_orders
  body := format($b$
DECLARE
  n integer;
  k integer;
  q float8[];
  eq_before float8;
  im_before float8;
  eq_after float8;
  im_after float8;
  live boolean;
BEGIN
  IF pretrade_check.account_id IS NULL OR instrument_ids IS NULL OR sides IS NULL OR amounts IS NULL THEN
    RAISE EXCEPTION 'argument "%%" must not be NULL',
      CASE WHEN pretrade_check.account_id IS NULL THEN 'account_id' WHEN instrument_ids IS NULL THEN 'instrument_ids'
           WHEN sides IS NULL THEN 'sides' ELSE 'amounts' END USING ERRCODE = '22004';
  END IF;
  n := cardinality(instrument_ids);
  IF n = 0 OR cardinality(sides) <> n OR cardinality(amounts) <> n THEN
    RAISE EXCEPTION 'invalid value for argument "%%": %% elements for %% instrument_ids',
      CASE WHEN cardinality(sides) <> n THEN 'sides' ELSE 'amounts' END,
      CASE WHEN cardinality(sides) <> n THEN cardinality(sides) ELSE cardinality(amounts) END, n
      USING ERRCODE = '22023', DETAIL = 'One side and one amount per instrument, at least one order.';
  END IF;
  FOR k IN 1 .. n LOOP
    IF instrument_ids[k] IS NULL OR NOT EXISTS (SELECT 1 FROM %1$I.instruments i WHERE i.instrument_id = instrument_ids[k]) THEN
      RAISE EXCEPTION 'invalid value for argument "instrument_ids": %%', coalesce(instrument_ids[k]::text, 'NULL')
        USING ERRCODE = '22023', DETAIL = format('Element %%s is not an instrument of %%s.', k, %2$L);
    END IF;
    IF sides[k] IS NULL OR sides[k] NOT IN ('buy', 'sell') THEN
      RAISE EXCEPTION 'invalid value for argument "sides": %%', coalesce(quote_literal(sides[k]), 'NULL')
        USING ERRCODE = '22023', DETAIL = format('Element %%s: a side is buy or sell.', k);
    END IF;
    IF amounts[k] IS NULL OR NOT (amounts[k] > 0 AND amounts[k] < 1e300) THEN
      RAISE EXCEPTION 'invalid value for argument "amounts": %%', coalesce(amounts[k]::text, 'NULL')
        USING ERRCODE = '22023', DETAIL = format('Element %%s: an amount is a positive number of contracts.', k);
    END IF;
  END LOOP;
  -- one check of an account at a time: a second session's check of the same account waits here, and then sees
  -- the orders this one reserved
  PERFORM 1 FROM %1$I.accounts a WHERE a.account_id = pretrade_check.account_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'invalid value for argument "account_id": %%', pretrade_check.account_id
      USING ERRCODE = '22023', DETAIL = format('No such account in %%s.', %2$L);
  END IF;
  q := ARRAY(SELECT CASE WHEN s = 'buy' THEN a ELSE -a END FROM unnest(sides, amounts) AS o(s, a));
  -- with live margin on, the requirement before and after are margin_live's (the reservation's trigger
  -- recomputes it); else computed here
  live := EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = %3$L::regclass AND t.tgname = 'live_margin_insert');
  IF live THEN
    SELECT l.equity, l.initial_margin INTO eq_before, im_before FROM %1$I.margin_live l WHERE l.account_id = pretrade_check.account_id;
  END IF;
  IF eq_before IS NULL THEN
    SELECT m.equity, m.initial_margin INTO eq_before, im_before FROM %1$I.account_margin_at(NULL, NULL, pretrade_check.account_id) m;
  END IF;
  BEGIN
    INSERT INTO %1$I.open_orders (account_id, instrument_id, quantity)
    SELECT pretrade_check.account_id, o.id, o.q FROM unnest(instrument_ids, q) AS o(id, q);
    IF live THEN
      SELECT l.equity, l.initial_margin INTO eq_after, im_after FROM %1$I.margin_live l WHERE l.account_id = pretrade_check.account_id;
    ELSE
      SELECT m.equity, m.initial_margin INTO eq_after, im_after FROM %1$I.account_margin_at(NULL, NULL, pretrade_check.account_id) m;
    END IF;
    accepted := eq_after - im_after >= 0 OR im_after <= im_before;
    IF NOT accepted THEN
      RAISE EXCEPTION USING ERRCODE = 'PMR01', MESSAGE = 'rejected';   -- undoes the reservation (and its live row)
    END IF;
  EXCEPTION WHEN SQLSTATE 'PMR01' THEN
    accepted := false;
  END;
  equity := eq_before;
  initial_margin_before := im_before;
  initial_margin_after := im_after;
  free_equity_before := eq_before - im_before;
  free_equity_after := eq_after - im_after;
  reason := CASE WHEN NOT accepted THEN format('rejected: initial margin after the orders %%s USD exceeds equity %%s USD',
                                               round(im_after::numeric, 2), round(eq_after::numeric, 2))
                 WHEN eq_after - im_after >= 0 THEN format('accepted: free equity after the orders %%s USD', round((eq_after - im_after)::numeric, 2))
                 ELSE 'accepted: the orders do not raise the requirement' END;
  RETURN;
END
$b$, target, target, format('%I.open_orders', target));
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.pretrade_check(account_id bigint, instrument_ids bigint[], sides text[], amounts float8[],
    OUT accepted boolean, OUT reason text, OUT equity float8, OUT initial_margin_before float8,
    OUT initial_margin_after float8, OUT free_equity_before float8, OUT free_equity_after float8)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS %2$L;
COMMENT ON FUNCTION %1$I.pretrade_check(bigint, bigint[], text[], float8[]) IS 'checks orders (instrument_ids[k], sides[k] buy or sell, amounts[k] > 0 contracts) of an account against its free margin: accepted when equity covers the initial margin with the orders resting (open_orders) or the orders do not raise it; an accepted order is reserved in open_orders in the caller''s transaction, a rejected one changes nothing; checks of one account are serialised (its accounts row is locked), so two sessions cannot both spend the same free margin; amounts in USD';
$ddl$, target, body);
  -- stress testing (create_stress_tables), when the schema has it: its views are over account_margin_detail
  IF to_regclass(format('%I.%I', target, 'stress_scenarios')) IS NOT NULL THEN
    PERFORM @extschema@.create_stress_tables(target);
  END IF;
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    hnt := coalesce(nullif(hnt, ''), CASE WHEN st = '42501' THEN 'Run this as the schema''s owner; nothing was changed.' ELSE 'Nothing was changed.' END);
    IF det = '' THEN
      RAISE EXCEPTION '%', format('could not build the views and functions of reference schema %s: %s', quote_ident(target), msg) USING ERRCODE = st, HINT = hnt;
    ELSE
      RAISE EXCEPTION '%', format('could not build the views and functions of reference schema %s: %s', quote_ident(target), msg) USING ERRCODE = st, DETAIL = det, HINT = hnt;
    END IF;
  END;
  RETURN target;
END
$fn$;
COMMENT ON FUNCTION @extschema@.upgrade_reference_schema(text) IS
  'rebuilds the functions and views of an existing reference schema (created by create_reference_schema of this or an earlier version) at this version, keeping its tables and data; run it after ALTER EXTENSION portmargin UPDATE';

-- the demo book: crypto accounts under the venues' rulebooks where they cover every unit
CREATE OR REPLACE FUNCTION @extschema@.generate_demo_book(target text DEFAULT 'venue', accounts integer DEFAULT 1000,
                                               seed float8 DEFAULT 0.42)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $fn$
DECLARE
  s   text := quote_ident(target);
  sql text;
  nonempty boolean;
  st text; msg text; det text; hnt text;
BEGIN
  IF accounts IS NULL OR accounts < 1 OR accounts > 1000000 THEN
    RAISE EXCEPTION 'invalid value for argument "accounts": %', accounts USING ERRCODE = '22023',
      DETAIL = 'Each must be an integer from 1 to 1,000,000.';
  END IF;
  IF seed IS NULL OR NOT (seed BETWEEN -1 AND 1) THEN
    RAISE EXCEPTION 'invalid value for argument "seed": %', seed USING ERRCODE = '22023',
      DETAIL = 'The seed is passed to setseed(): between -1 and 1.';
  END IF;
  IF target IS NULL OR to_regclass(s || '.accounts') IS NULL OR to_regclass(s || '.instruments') IS NULL THEN
    RAISE EXCEPTION 'invalid value for argument "target": %', coalesce(quote_literal(target), 'NULL') USING ERRCODE = '22023',
      DETAIL = 'The schema has no reference-schema tables.', HINT = 'Run portmargin.create_reference_schema() first.';
  END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s.accounts) OR EXISTS (SELECT 1 FROM %s.instruments)', s, s) INTO nonempty;
  IF nonempty THEN
    RAISE EXCEPTION 'invalid value for argument "target": %', quote_literal(target) USING ERRCODE = '22023',
      DETAIL = 'The schema already holds accounts or instruments; the demo book goes into an empty reference schema.';
  END IF;
  PERFORM setseed(seed);
  sql := $tmpl$
-- market: BTC, ETH (coin-settled, Deribit style), SOL (USDC-settled options), SPX (index options, multiplier 100)
INSERT INTO @S@.index_prices VALUES
  ('BTC', 97000, '2026-11-25 08:00+00'), ('ETH', 3400, '2026-11-25 08:00+00'),
  ('SOL', 240, '2026-11-25 08:00+00'), ('SPX', 5900, '2026-11-25 08:00+00');
INSERT INTO @S@.rates VALUES ('USD', 0.043);
DROP TABLE IF EXISTS pg_temp.demo_und, pg_temp.demo_acct, pg_temp.demo_legs, pg_temp.demo_rank;
CREATE TEMP TABLE demo_und (underlying text, settlement text, multiplier float8, basis float8, atm float8, step float8,
                            nstrikes int, expiries int[], futures boolean);
INSERT INTO demo_und VALUES
  ('BTC', 'inverse', 1,   0.05,  0.52, 2500, 17, '{7,30,91,182}', true),
  ('ETH', 'inverse', 1,   0.06,  0.66, 100,  17, '{7,30,91,182}', true),
  ('SOL', 'linear',  10,  0.04,  0.82, 10,   13, '{7,30,91}', false),
  ('SPX', 'linear',  100, 0.03,  0.15, 100,  13, '{23,58,114}', false);
INSERT INTO @S@.instruments (instrument_id, name, underlying, kind, option_type, strike, expiry, settlement, multiplier)
SELECT row_number() OVER (ORDER BY x.underlying, x.kind, x.expiry, x.strike, x.option_type), x.*
FROM (
  SELECT u.underlying || '-' || to_char(e.expiry, 'DDMONYY') || '-' || k.strike || '-' || upper(left(ot, 1)) AS name,
         u.underlying, 'option' AS kind, ot AS option_type, k.strike, e.expiry, u.settlement, u.multiplier
  FROM demo_und u
  CROSS JOIN LATERAL (SELECT timestamptz '2026-11-25 08:00+00' + make_interval(days => d) AS expiry FROM unnest(u.expiries) d) e
  CROSS JOIN LATERAL (SELECT round(ix.price / u.step) * u.step + (j - (u.nstrikes + 1) / 2) * u.step AS strike
                      FROM @S@.index_prices ix, generate_series(1, u.nstrikes) j WHERE ix.underlying = u.underlying) k
  CROSS JOIN unnest('{call,put}'::text[]) ot
  UNION ALL
  SELECT u.underlying || '-' || to_char(timestamptz '2026-11-25 08:00+00' + make_interval(days => d), 'DDMONYY'),
         u.underlying, 'future', NULL, NULL, timestamptz '2026-11-25 08:00+00' + make_interval(days => d), u.settlement, 1
  FROM demo_und u, unnest(u.expiries) d WHERE u.futures
  UNION ALL
  SELECT u.underlying || '-PERPETUAL', u.underlying, 'perpetual', NULL, NULL, NULL, u.settlement, 1
  FROM demo_und u WHERE u.futures) x;
INSERT INTO @S@.forwards
SELECT DISTINCT i.underlying, i.expiry, ix.price * exp(u.basis * extract(epoch FROM i.expiry - ix.as_of) / (365 * 86400))
FROM @S@.instruments i JOIN @S@.index_prices ix USING (underlying) JOIN demo_und u USING (underlying)
WHERE i.expiry IS NOT NULL;
-- a smile in ln(K/F) with a put skew and a front-end term premium
INSERT INTO @S@.implied_vols
SELECT i.instrument_id,
       u.atm * (0.92 + 0.08 * sqrt(30.0 / greatest(1, extract(epoch FROM i.expiry - ix.as_of) / 86400)))
       + 0.35 * ln(i.strike / f.forward) ^ 2 - 0.12 * ln(i.strike / f.forward)
FROM @S@.instruments i JOIN @S@.index_prices ix USING (underlying) JOIN demo_und u USING (underlying)
JOIN @S@.forwards f ON f.underlying = i.underlying AND f.expiry = i.expiry
WHERE i.kind = 'option';

-- accounts: a strategy each, drawn in account order
CREATE TEMP TABLE demo_acct AS
SELECT a AS account_id, r1, r2, r3, r4, r5, r6, r7,
       CASE WHEN r1 < 0.22 THEN 'BTC' WHEN r1 < 0.38 THEN 'ETH' WHEN r1 < 0.50 THEN 'SOL'
            WHEN r1 < 0.65 THEN 'SPX' ELSE 'MIX' END AS book,
       CASE WHEN r1 >= 0.38 AND r1 < 0.65   -- SOL and SPX: options only (no futures listed)
            THEN (ARRAY['short strangle', 'short put', 'put spread'])[1 + floor(r2 * 3)::int]
            ELSE (ARRAY['covered call', 'protective put', 'short strangle', 'short put', 'calendar spread', 'naked perpetual',
                        'put spread', 'delta-hedged short call'])[1 + floor(r2 * 8)::int] END AS strategy,
       1 + floor(r3 * 20)::int AS size
FROM (SELECT a, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6,
             random() AS r7 FROM generate_series(1, @N@) a) g;
INSERT INTO @S@.accounts (account_id, name, method)
SELECT account_id, format('%s %s #%s', book, strategy, account_id),
       CASE book WHEN 'SPX' THEN CASE WHEN r3 < 0.5 THEN 'span' ELSE 'finra-broad-index' END
                 ELSE CASE WHEN r4 < 0.3 THEN 'okx-btc' ELSE 'deribit-btc' END END
FROM demo_acct;

-- positions per strategy on the account's underlying (MIX: BTC, ETH and SOL legs)
CREATE TEMP TABLE demo_legs AS
SELECT a.account_id, l.underlying, l.kind, l.option_type, l.moneyness, l.expiry_rank, l.sign * a.size * l.ratio AS quantity
FROM demo_acct a
CROSS JOIN LATERAL (
  SELECT und AS underlying, leg.*
  FROM unnest(CASE WHEN a.book = 'MIX' THEN ARRAY['BTC', 'ETH', 'SOL'] ELSE ARRAY[a.book] END) und
  CROSS JOIN LATERAL (VALUES
    -- kind, option_type, moneyness (strike / index), expiry rank, sign, ratio
    ('perpetual', NULL, NULL::float8, NULL::int, 1, 1.0, 'covered call'), ('option', 'call', 1.10, 2, -1, 1.0, 'covered call'),
    ('future', NULL, NULL, 2, 1, 1.0, 'protective put'), ('option', 'put', 0.90, 2, 1, 1.0, 'protective put'),
    ('option', 'call', 1.12, 1, -1, 1.0, 'short strangle'), ('option', 'put', 0.88, 1, -1, 1.0, 'short strangle'),
    ('option', 'put', 0.92, 2, -1, 1.0, 'short put'),
    ('future', NULL, NULL, 3, 1, 1.0, 'calendar spread'), ('future', NULL, NULL, 1, -1, 1.0, 'calendar spread'),
    ('perpetual', NULL, NULL, NULL, 1, 1.0, 'naked perpetual'),
    ('option', 'put', 0.95, 2, -1, 1.0, 'put spread'), ('option', 'put', 0.85, 2, 1, 1.0, 'put spread'),
    ('option', 'call', 1.05, 1, -1, 2.0, 'delta-hedged short call'), ('future', NULL, NULL, 1, 1, 0.8, 'delta-hedged short call')
  ) AS leg(kind, option_type, moneyness, expiry_rank, sign, ratio, strategy)
  WHERE leg.strategy = a.strategy) l;
-- expiry rank of each instrument within its underlying (1 = nearest)
CREATE TEMP TABLE demo_rank AS
SELECT instrument_id, CASE WHEN expiry IS NULL THEN NULL ELSE dense_rank() OVER (PARTITION BY underlying ORDER BY expiry) END AS expiry_rank
FROM @S@.instruments;
-- (a future or perpetual leg on an underlying without one would fall back to the nearest call)
INSERT INTO @S@.positions (account_id, instrument_id, quantity, entry_price)
SELECT l.account_id, pick.instrument_id, sum(l.quantity), max(pick.entry)
FROM demo_legs l
JOIN @S@.index_prices ix ON ix.underlying = l.underlying
CROSS JOIN LATERAL (
  SELECT i.instrument_id,
         CASE WHEN i.kind IN ('future', 'perpetual')
              THEN coalesce(f.forward, ix.price) * (1 + 0.04 * (((l.account_id * 7919) % 101) / 50.0 - 1)) END AS entry
  FROM @S@.instruments i
  JOIN demo_rank dr ON dr.instrument_id = i.instrument_id
  LEFT JOIN @S@.forwards f ON f.underlying = i.underlying AND f.expiry = i.expiry
  WHERE i.underlying = l.underlying
    AND (i.kind = l.kind OR (l.kind IN ('future', 'perpetual') AND NOT EXISTS (
           SELECT 1 FROM @S@.instruments j WHERE j.underlying = l.underlying AND j.kind IN ('future', 'perpetual'))
         AND i.kind = 'option' AND i.option_type = 'call'))
    AND (i.kind <> 'option' OR i.option_type = coalesce(l.option_type, 'call'))
  ORDER BY CASE WHEN i.expiry IS NULL THEN 0 ELSE abs(dr.expiry_rank - coalesce(l.expiry_rank, 1)) END,
           abs(coalesce(i.strike / ix.price, 1) - coalesce(l.moneyness, 1.0)), i.instrument_id
  LIMIT 1) pick
GROUP BY l.account_id, pick.instrument_id;
DELETE FROM @S@.positions WHERE quantity = 0;

-- rulebooks: an account margined with deribit-btc (okx-btc) takes the rulebook 'deribit' ('okx') of
-- portmargin.rulebook_rules when there is one with a rule for each of the account's risk units, so that every unit is
-- margined with its own currency's parameters; otherwise (no such rulebook, or a unit it has no rule for) the preset
UPDATE @S@.accounts a SET rulebook = v.rulebook
FROM (SELECT acc.account_id, CASE acc.method WHEN 'deribit-btc' THEN 'deribit' WHEN 'okx-btc' THEN 'okx' END AS rulebook
      FROM @S@.accounts acc) v
WHERE v.account_id = a.account_id AND v.rulebook IS NOT NULL
  AND EXISTS (SELECT 1 FROM @extschema@.rulebook_rules r WHERE r.rulebook = v.rulebook)
  AND NOT EXISTS (SELECT 1 FROM @S@.positions p JOIN @S@.instruments i ON i.instrument_id = p.instrument_id
                  WHERE p.account_id = a.account_id
                    AND NOT EXISTS (SELECT 1 FROM @extschema@.rulebook_rules r
                                    WHERE r.rulebook = v.rulebook AND r.underlying IN (i.underlying, '*')
                                      AND r.settlement IN (i.settlement, '*')));

-- collateral: equity = initial margin x a factor (most healthy, some in call, a few in liquidation),
-- held in the account's settlement currency (a coin for coin-settled books, USDC / USD otherwise)
INSERT INTO @S@.collateral (account_id, currency, balance)
SELECT m.account_id, c.currency,
       (greatest(m.initial_margin, 100) * f.factor - m.equity) / CASE WHEN c.currency IN ('USD', 'USDC') THEN 1 ELSE ix.price END
FROM @S@.account_margin m
JOIN demo_acct a USING (account_id)
CROSS JOIN LATERAL (SELECT CASE WHEN a.book IN ('BTC', 'ETH') THEN a.book WHEN a.book = 'SPX' THEN 'USD' ELSE 'USDC' END AS currency) c
LEFT JOIN @S@.index_prices ix ON ix.underlying = c.currency
CROSS JOIN LATERAL (SELECT CASE WHEN a.r5 < 0.06 THEN (0.6 + 0.35 * a.r6) * m.maintenance_margin / greatest(m.initial_margin, 100)
                                WHEN a.r5 < 0.16 THEN 0.85 + 0.1 * a.r6
                                ELSE 1.2 + 2.8 * a.r7 END AS factor) f;
DROP TABLE pg_temp.demo_und, pg_temp.demo_acct, pg_temp.demo_legs, pg_temp.demo_rank;
$tmpl$;
  sql := replace(replace(sql, '@S@', s), '@N@', accounts::text);
  -- an error in one line naming the schema, without the script it came from
  BEGIN
    EXECUTE sql;
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    hnt := coalesce(nullif(hnt, ''), CASE WHEN st = '42501' THEN 'The demo book is written by a role that may write the schema''s tables (its owner, or grant_writer); nothing was written.' ELSE 'Nothing was written.' END);
    IF det = '' THEN
      RAISE EXCEPTION '%', format('could not fill reference schema %s with the demo book: %s', s, msg) USING ERRCODE = st, HINT = hnt;
    ELSE
      RAISE EXCEPTION '%', format('could not fill reference schema %s with the demo book: %s', s, msg) USING ERRCODE = st, DETAIL = det, HINT = hnt;
    END IF;
  END;
  RETURN accounts;
END
$fn$;
COMMENT ON FUNCTION @extschema@.generate_demo_book(text, integer, float8) IS
  'fills an empty reference schema (create_reference_schema) with a demo book from setseed(seed): BTC and ETH coin-settled options, futures and perpetuals, SOL USDC-settled options, SPX index options; accounts with hedged and naked strategies under deribit-btc, okx-btc, span and finra-broad-index (the crypto ones under the rulebook deribit or okx of portmargin.rulebook_rules where it has a rule for each of their risk units), collateral sized so that most are healthy and some are in call or liquidation';

CREATE OR REPLACE FUNCTION @extschema@.create_reference_schema(target text DEFAULT 'venue')
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  pm text := (SELECT n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
              WHERE e.extname = 'portmargin');
  taken text;
  st text; msg text; det text; hnt text;
BEGIN
  IF target IS NULL THEN
    RAISE EXCEPTION 'argument "target" must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF target = '' OR octet_length(target) > 63 THEN
    RAISE EXCEPTION 'invalid value for argument "target": %', quote_literal(target) USING ERRCODE = '22023',
      DETAIL = format('A schema name is 1 to 63 bytes long (this one has %s).', octet_length(target));
  END IF;
  IF target = pm OR target = 'information_schema' OR target LIKE 'pg\_%' THEN
    RAISE EXCEPTION 'invalid value for argument "target": %', quote_literal(target) USING ERRCODE = '22023',
      DETAIL = CASE WHEN target = pm THEN 'The extension''s own schema cannot hold a reference schema (its objects would become part of the extension''s schema).'
                    ELSE 'System schemas cannot hold a reference schema.' END;
  END IF;
  IF to_regclass(format('%I.%I', target, 'accounts')) IS NOT NULL OR to_regclass(format('%I.%I', target, 'positions')) IS NOT NULL THEN
    RAISE EXCEPTION 'invalid value for argument "target": %', quote_literal(target) USING ERRCODE = '22023',
      DETAIL = 'The schema already holds a reference schema.',
      HINT = 'portmargin.upgrade_reference_schema() rebuilds its functions and views; drop the schema to start again.';
  END IF;
  -- any other object with the name of one of ours: one line naming them, not the DDL that would fail on them
  SELECT string_agg(quote_ident(c.relname), ', ' ORDER BY c.relname) INTO taken
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = target
    AND c.relname IN (SELECT @extschema@.reference_schema_objects('tables')
                      UNION ALL SELECT @extschema@.reference_schema_objects('account views')
                      UNION ALL SELECT @extschema@.reference_schema_objects('position views'));
  IF taken IS NOT NULL THEN
    RAISE EXCEPTION 'invalid value for argument "target": schema % already has %', quote_ident(target), taken
      USING ERRCODE = '22023', HINT = 'Create the reference schema in a new schema, or drop or rename those objects.';
  END IF;
  -- an error below (e.g. no CREATE privilege on the database) in one line, without the DDL it came from
  BEGIN
  EXECUTE format($ddl$
CREATE SCHEMA IF NOT EXISTS %1$I;

CREATE TABLE %1$I.accounts (
    account_id        bigint PRIMARY KEY,
    name              text NOT NULL,
    method            text NOT NULL DEFAULT 'deribit-btc' REFERENCES %2$I.scenario_presets (name),
    call_level        float8 NOT NULL DEFAULT 1 CHECK (call_level > 0),
    liquidation_level float8 NOT NULL DEFAULT 1 CHECK (liquidation_level > 0)
);
COMMENT ON TABLE %1$I.accounts IS 'margin accounts: the scenario preset that margins each (portmargin.scenario_presets.name) and its status thresholds: call when equity < call_level x initial margin, liquidation when equity <= liquidation_level x maintenance margin';

CREATE TABLE %1$I.collateral (
    account_id bigint NOT NULL REFERENCES %1$I.accounts ON DELETE CASCADE,
    currency   text NOT NULL,
    balance    float8 NOT NULL,
    PRIMARY KEY (account_id, currency)
);
COMMENT ON TABLE %1$I.collateral IS 'cash and coin balances per account and currency; USD, USDC and USDT count at 1 USD, a coin at its index price (index_prices.underlying = currency)';

CREATE TABLE %1$I.instruments (
    instrument_id bigint PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    underlying    text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('option', 'future', 'perpetual', 'spot')),
    option_type   text CHECK (option_type IN ('call', 'put')),
    strike        float8 CHECK (strike > 0),
    expiry        timestamptz,
    settlement    text NOT NULL DEFAULT 'linear' CHECK (settlement IN ('linear', 'inverse')),
    multiplier    float8 NOT NULL DEFAULT 1 CHECK (multiplier > 0),
    CHECK (kind <> 'option' OR (option_type IS NOT NULL AND strike IS NOT NULL AND expiry IS NOT NULL))
);
COMMENT ON TABLE %1$I.instruments IS 'static instrument data: options (call/put, strike, expiry), dated futures, perpetuals, spot; settlement linear (cash, USD) or inverse (coin-settled); contract multiplier in underlying units';

CREATE TABLE %1$I.positions (
    account_id    bigint NOT NULL REFERENCES %1$I.accounts ON DELETE CASCADE,
    instrument_id bigint NOT NULL REFERENCES %1$I.instruments,
    quantity      float8 NOT NULL,
    entry_price   float8,
    PRIMARY KEY (account_id, instrument_id)
);
COMMENT ON TABLE %1$I.positions IS 'open positions: contracts (negative = short) and, for futures and perpetuals, the average entry price (USD per underlying unit) from which unrealised P&L is counted';

CREATE TABLE %1$I.index_prices (
    underlying text PRIMARY KEY,
    price      float8 NOT NULL CHECK (price > 0),
    as_of      timestamptz NOT NULL
);
COMMENT ON TABLE %1$I.index_prices IS 'index (spot) price per underlying in USD and the time it was taken: the valuation time of every instrument on it, and the USD rate of a coin balance';

CREATE TABLE %1$I.forwards (
    underlying text NOT NULL,
    expiry     timestamptz NOT NULL,
    forward    float8 NOT NULL CHECK (forward > 0),
    PRIMARY KEY (underlying, expiry)
);
COMMENT ON TABLE %1$I.forwards IS 'forward (or futures mark) per underlying and expiry; an expiry without a row uses the index price';

CREATE TABLE %1$I.implied_vols (
    instrument_id bigint PRIMARY KEY REFERENCES %1$I.instruments ON DELETE CASCADE,
    vol           float8 NOT NULL CHECK (vol >= 0)
);
COMMENT ON TABLE %1$I.implied_vols IS 'implied volatility per option (decimal, annualised)';

CREATE TABLE %1$I.rates (
    currency text PRIMARY KEY,
    rate     float8 NOT NULL
);
COMMENT ON TABLE %1$I.rates IS 'continuously compounded rate per settlement currency (USD for linear options); discounts option values; a missing rate is 0';

CREATE TABLE %1$I.margin_history (
    snapshot_at        timestamptz NOT NULL,
    account_id         bigint NOT NULL,
    method             text NOT NULL,
    equity             float8 NOT NULL,
    initial_margin     float8 NOT NULL,
    maintenance_margin float8 NOT NULL,
    excess             float8 NOT NULL,
    margin_ratio       float8,
    status             text NOT NULL,
    PRIMARY KEY (snapshot_at, account_id)
);
COMMENT ON TABLE %1$I.margin_history IS 'snapshots of account_margin written by snapshot_margins() (e.g. from pg_cron)';
$ddl$, target, pm);
  PERFORM @extschema@.upgrade_reference_schema(target);
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    msg := CASE WHEN msg LIKE 'could not %' THEN msg ELSE format('could not create reference schema %s: %s', quote_ident(target), msg) END;
    hnt := coalesce(nullif(hnt, ''), CASE WHEN st = '42501' THEN 'Creating a reference schema takes CREATE on the database (or on an existing empty schema of that name); nothing was created.' ELSE 'Nothing was created.' END);
    IF det = '' THEN
      RAISE EXCEPTION '%', msg USING ERRCODE = st, HINT = hnt;
    ELSE
      RAISE EXCEPTION '%', msg USING ERRCODE = st, DETAIL = det, HINT = hnt;
    END IF;
  END;
  RETURN target;
END
$fn$;
COMMENT ON FUNCTION @extschema@.create_reference_schema(text) IS
  'creates the reference schema in schema target (1 to 63 bytes; not the extension''s schema or a system schema; not one that already holds a reference schema): tables accounts (with rulebook and collateral_schedule), collateral, instruments, positions, index_prices, forwards, implied_vols, rates, margin_history, margin_live, margin_live_state, margin_calls, margin_queue, open_orders; views instrument_market, position_values, account_margin, account_margin_detail, account_unit_margin, account_risk_matrix, position_greeks, account_greeks, margin_attribution, margin_daily, margin_procyclicality; functions whatif_margin, liquidation_prices, snapshot_margins, equity_excess_at, the *_at functions (their queries are also the views''), refresh_live_margin, add_live_orders, process_margin_queue, pretrade_check and the two triggers of live margin (portmargin.enable_live_margin), every SQL body bound when created';

-- ---------------------------------------------------------------------
-- privileges: ordinary roles use the extension as they use other
-- extensions' functions (issue 11, point 1, first step)
-- ---------------------------------------------------------------------

-- The functions, aggregates and types are PUBLIC by default (EXECUTE,
-- USAGE); the schema holding them was usable by its owner only, so any
-- other role got "permission denied for schema portmargin", even for
-- bs_price.  The configuration tables hold published parameters: readable
-- by all (preset(), rulebook_preset() and the reference schema read them
-- with the caller's rights), writable by the owner only.  Nothing here
-- lets an ordinary role create objects in the schema.
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;
GRANT SELECT ON @extschema@.scenario_presets, @extschema@.rulebook_rules,
                @extschema@.collateral_schedules, @extschema@.collateral_tiers TO PUBLIC;
-- A reference schema's accounts reference a preset and a collateral
-- schedule by name (foreign keys), which takes REFERENCES on the two tables:
-- without it only the extension's owner could create a reference schema.
-- Shipped rows are read-only anyway; a user row an account uses cannot be
-- deleted while it is used, which is the point of the key.
GRANT REFERENCES ON @extschema@.scenario_presets, @extschema@.collateral_schedules TO PUBLIC;

-- ---------------------------------------------------------------------
-- configuration that survives pg_dump (issue 11, point 3, first step)
-- ---------------------------------------------------------------------

-- pg_dump keeps the user's rows of the configuration tables (shipped =
-- false) and recreates the shipped ones from the install script, so an
-- edit of a shipped row was lost on restore without a word.  Shipped rows
-- are now read-only for every role, the owner included: change a copy
-- under another name.  Extension scripts that update shipped parameters set
-- portmargin.maintain_shipped = on for their transaction.
-- A user row overrides a shipped row by name: inserting a row (shipped =
-- false) with the key of a shipped row replaces it (the shipped row's
-- content is kept in shipped_overrides), and deleting that user row puts
-- the shipped one back.  The key stays unique, so foreign keys and every
-- lookup by name see the user's row.  pg_dump keeps the user row; on
-- restore, CREATE EXTENSION inserts the shipped row and loading the user
-- row overrides it again, through this same trigger.
CREATE TABLE @extschema@.shipped_overrides (
    table_name text NOT NULL,
    key        text NOT NULL,
    original   jsonb NOT NULL,
    PRIMARY KEY (table_name, key)
);
COMMENT ON TABLE @extschema@.shipped_overrides IS
  'the shipped rows of the configuration tables that a user row with the same key overrides (their content as shipped, restored when the user row is deleted); filled by protect_shipped_rows, rebuilt by the restore of a dump';
GRANT SELECT ON @extschema@.shipped_overrides TO PUBLIC;

CREATE FUNCTION @extschema@.protect_shipped_rows() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
  key_cols text[] := CASE TG_TABLE_NAME
                       WHEN 'scenario_presets' THEN ARRAY['name']
                       WHEN 'rulebook_rules' THEN ARRAY['rulebook', 'underlying', 'settlement']
                       WHEN 'collateral_schedules' THEN ARRAY['schedule']
                       WHEN 'collateral_tiers' THEN ARRAY['schedule', 'currency', 'tier']
                       WHEN 'stress_library' THEN ARRAY['name'] END;
  tbl text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
  rec jsonb;
  row_key text;
  cond text;
  shipped_row jsonb;
  original jsonb;
  cols text;
  prev text;
BEGIN
  IF key_cols IS NULL OR TG_TABLE_SCHEMA <> '@extschema@' THEN
    RAISE EXCEPTION 'protect_shipped_rows is the trigger of portmargin''s configuration tables, not of %', tbl
      USING ERRCODE = '55000';
  END IF;
  IF current_setting('portmargin.maintain_shipped', true) = 'on' THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  rec := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
  row_key := (SELECT string_agg(rec ->> k, '/' ORDER BY o) FROM unnest(key_cols) WITH ORDINALITY AS u(k, o));
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.shipped THEN
    RAISE EXCEPTION 'shipped row "%" of portmargin.% cannot be changed', row_key, TG_TABLE_NAME
      USING ERRCODE = '55000',
            HINT = 'Insert a row with the same key (shipped = false): it overrides the shipped one, and pg_dump keeps it.';
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.shipped THEN
    RAISE EXCEPTION 'rows of portmargin.% with shipped = true come with the extension', TG_TABLE_NAME
      USING ERRCODE = '55000', HINT = 'Insert the row with shipped = false.';
  END IF;
  cond := (SELECT string_agg(format('t.%I = %L', k, rec ->> k), ' AND ') FROM unnest(key_cols) AS k);
  IF TG_OP = 'INSERT' THEN
    -- a user row with the key of a shipped row overrides it: the shipped row is kept aside and removed, the
    -- user row inserted (foreign keys are checked at the end of the statement, when the key exists again)
    EXECUTE format('SELECT to_jsonb(t) FROM %s t WHERE t.shipped AND %s', tbl, cond) INTO shipped_row;
    IF shipped_row IS NOT NULL THEN
      INSERT INTO @extschema@.shipped_overrides (table_name, key, original) VALUES (TG_TABLE_NAME, row_key, shipped_row)
      ON CONFLICT (table_name, key) DO UPDATE SET original = EXCLUDED.original;
      prev := current_setting('portmargin.maintain_shipped', true);
      PERFORM set_config('portmargin.maintain_shipped', 'on', true);
      EXECUTE format('DELETE FROM %s t WHERE t.shipped AND %s', tbl, cond);
      PERFORM set_config('portmargin.maintain_shipped', coalesce(prev, ''), true);
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND (SELECT bool_or(to_jsonb(OLD) -> k IS DISTINCT FROM rec -> k) FROM unnest(key_cols) AS k)
     AND EXISTS (SELECT 1 FROM @extschema@.shipped_overrides o WHERE o.table_name = TG_TABLE_NAME
                 AND o.key = (SELECT string_agg(to_jsonb(OLD) ->> k, '/' ORDER BY n) FROM unnest(key_cols) WITH ORDINALITY AS u(k, n))) THEN
    RAISE EXCEPTION 'row "%" of portmargin.% overrides a shipped row: its key cannot change',
      (SELECT string_agg(to_jsonb(OLD) ->> k, '/' ORDER BY n) FROM unnest(key_cols) WITH ORDINALITY AS u(k, n)), TG_TABLE_NAME
      USING ERRCODE = '55000', HINT = 'Delete it (the shipped row comes back) and insert a row under the new key.';
  END IF;
  IF TG_OP = 'DELETE' THEN
    -- deleting a user row that overrides a shipped one puts the shipped row back (the row stays, with the
    -- shipped content: DELETE reports it as not deleted)
    SELECT o.original INTO original FROM @extschema@.shipped_overrides o
    WHERE o.table_name = TG_TABLE_NAME AND o.key = row_key;
    IF original IS NOT NULL THEN
      cols := (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
               WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped);
      prev := current_setting('portmargin.maintain_shipped', true);
      PERFORM set_config('portmargin.maintain_shipped', 'on', true);
      EXECUTE format('UPDATE %s t SET (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $1)) WHERE %s',
                     tbl, cols, cols, tbl, cond) USING original;
      PERFORM set_config('portmargin.maintain_shipped', coalesce(prev, ''), true);
      DELETE FROM @extschema@.shipped_overrides o WHERE o.table_name = TG_TABLE_NAME AND o.key = row_key;
      RETURN NULL;
    END IF;
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$body$;
COMMENT ON FUNCTION @extschema@.protect_shipped_rows() IS
  'trigger of the configuration tables: shipped rows cannot be updated or deleted and rows cannot be marked shipped (ERROR 55000 naming the row), because pg_dump keeps only user rows; a user row inserted with the key of a shipped row overrides it (the shipped content goes to shipped_overrides) and deleting that row restores the shipped one; extension scripts set portmargin.maintain_shipped = on';

CREATE TRIGGER protect_shipped_rows BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.scenario_presets
  FOR EACH ROW EXECUTE FUNCTION @extschema@.protect_shipped_rows();
CREATE TRIGGER protect_shipped_rows BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.rulebook_rules
  FOR EACH ROW EXECUTE FUNCTION @extschema@.protect_shipped_rows();
CREATE TRIGGER protect_shipped_rows BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.collateral_schedules
  FOR EACH ROW EXECUTE FUNCTION @extschema@.protect_shipped_rows();
CREATE TRIGGER protect_shipped_rows BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.collateral_tiers
  FOR EACH ROW EXECUTE FUNCTION @extschema@.protect_shipped_rows();

-- ---------------------------------------------------------------------
-- roles of a reference schema: helpers that grant them (issue 11, point 1)
-- ---------------------------------------------------------------------

-- The views of a reference schema read its tables with the rights of the
-- views' owner (no view calls a caller-rights function that reads a
-- table), so SELECT on the views alone is enough to read them.  A reader
-- gets the account-level views, and with positions => true also the
-- position-level ones; never the tables.  A writer gets the tables
-- (SELECT, INSERT, UPDATE, DELETE) and every view.  Only the schema's
-- owner (or a member of the owning role) grants; PostgreSQL's GRANT would
-- otherwise only warn and grant nothing.
CREATE FUNCTION @extschema@.reference_schema_objects(kind text)
RETURNS SETOF text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
  SELECT o.name FROM (VALUES
    ('tables', 'accounts'), ('tables', 'collateral'), ('tables', 'instruments'), ('tables', 'positions'),
    ('tables', 'index_prices'), ('tables', 'forwards'), ('tables', 'implied_vols'), ('tables', 'rates'),
    ('tables', 'margin_history'), ('tables', 'margin_live'), ('tables', 'margin_calls'), ('tables', 'margin_queue'),
    ('tables', 'open_orders'), ('position views', 'open_orders'), ('tables', 'margin_live_state'),
    ('account tables', 'margin_live'), ('account tables', 'margin_calls'),
    ('account views', 'account_margin'), ('account views', 'account_margin_detail'), ('account views', 'account_unit_margin'),
    ('account views', 'account_risk_matrix'), ('account views', 'account_greeks'), ('account views', 'margin_daily'),
    ('account views', 'instrument_market'), ('account views', 'margin_procyclicality'),
    ('position views', 'position_values'), ('position views', 'position_greeks'), ('position views', 'margin_attribution'),
    -- made by create_span_tables (when it has run on the schema)
    ('span tables', 'span_files'), ('span tables', 'span_combined_commodities'), ('span tables', 'span_products'),
    ('span tables', 'span_tiers'), ('span tables', 'span_intra_spreads'), ('span tables', 'span_spot_months'),
    ('span tables', 'span_inter_spreads'), ('span tables', 'span_risk_arrays'),
    ('span mappings', 'span_instruments'), ('span mappings', 'span_account_types'),
    ('span account views', 'span_account_margin'), ('span position views', 'span_position_arrays'),
    -- made by create_stress_tables (when it has run on the schema)
    ('stress tables', 'stress_scenarios'), ('stress account views', 'stress_losses'),
    ('stress account views', 'stress_scenario_cover'), ('stress account views', 'stress_cover'),
    -- made by create_backtest_tables (when it has run on the schema)
    ('backtest tables', 'position_history'), ('backtest tables', 'index_price_history')
  ) AS o(kind, name)
  WHERE o.kind = reference_schema_objects.kind;
END;
COMMENT ON FUNCTION @extschema@.reference_schema_objects(text) IS
  'the objects of a reference schema of one kind (''tables'', ''account tables'': the live tables a reader may read, ''account views'', ''position views''; those of create_span_tables: ''span tables'' (the published parameters and arrays), ''span mappings'', ''span account views'', ''span position views''; those of create_stress_tables: ''stress tables'', ''stress account views''; of create_backtest_tables: ''backtest tables''), by name: what grant_reader and grant_writer grant on';

CREATE FUNCTION @extschema@.check_reference_schema_owner(target text, grantee regrole)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  missing text;
BEGIN
  IF target IS NULL OR grantee IS NULL THEN
    RAISE EXCEPTION 'argument "%" must not be NULL', CASE WHEN target IS NULL THEN 'target' ELSE 'grantee' END
      USING ERRCODE = '22004';
  END IF;
  IF to_regnamespace(quote_ident(target)) IS NULL THEN
    RAISE EXCEPTION 'invalid value for argument "target": schema % does not exist', quote_ident(target)
      USING ERRCODE = '22023', HINT = 'Create a reference schema with portmargin.create_reference_schema().';
  END IF;
  SELECT string_agg(o, ', ') INTO missing
  FROM (SELECT o FROM @extschema@.reference_schema_objects('tables') o
        UNION ALL SELECT o FROM @extschema@.reference_schema_objects('account views') o
        UNION ALL SELECT o FROM @extschema@.reference_schema_objects('position views') o) x
  WHERE to_regclass(format('%I.%I', target, o)) IS NULL;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'invalid value for argument "target": schema % is not a reference schema of this version (no %)',
      quote_ident(target), missing
      USING ERRCODE = '22023', HINT = format('Run portmargin.upgrade_reference_schema(%L) first.', target);
  END IF;
  IF NOT pg_has_role(current_user, (SELECT nspowner FROM pg_namespace WHERE nspname = target), 'USAGE') THEN
    RAISE EXCEPTION 'only the owner of schema % can grant its objects', quote_ident(target)
      USING ERRCODE = '42501',
            HINT = format('Run this as %s (the schema''s owner) or a member of that role.',
                          (SELECT nspowner::regrole FROM pg_namespace WHERE nspname = target));
  END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.check_reference_schema_owner(text, regrole) IS
  'raises a one-line error unless target is a reference schema of this version owned by the current user (or a role it is a member of): the check of grant_reader, grant_writer and revoke_reference_access';

CREATE FUNCTION @extschema@.grant_reader(target text, grantee regrole, positions boolean DEFAULT true)
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  o text;
BEGIN
  PERFORM @extschema@.check_reference_schema_owner(target, grantee);
  IF positions IS NULL THEN
    RAISE EXCEPTION 'argument "positions" must not be NULL' USING ERRCODE = '22004';
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO %s', target, grantee);
  FOR o IN SELECT @extschema@.reference_schema_objects('account views')
           UNION ALL SELECT @extschema@.reference_schema_objects('account tables')
           UNION ALL SELECT @extschema@.reference_schema_objects('position views') WHERE positions LOOP
    EXECUTE format('GRANT SELECT ON %I.%I TO %s', target, o, grantee);
  END LOOP;
  -- SPAN (create_span_tables): its views, and the published parameters span_parameters_of reads for them
  FOR o IN SELECT @extschema@.reference_schema_objects('span tables')
           UNION ALL SELECT @extschema@.reference_schema_objects('span account views')
           UNION ALL SELECT @extschema@.reference_schema_objects('span position views') WHERE positions
           -- stress testing (create_stress_tables): the report views and the scenarios they use
           UNION ALL SELECT @extschema@.reference_schema_objects('stress tables')
           UNION ALL SELECT @extschema@.reference_schema_objects('stress account views') LOOP
    IF to_regclass(format('%I.%I', target, o)) IS NOT NULL THEN
      EXECUTE format('GRANT SELECT ON %I.%I TO %s', target, o, grantee);
    END IF;
  END LOOP;
  RETURN format('%s reads the %s views of %I', grantee, CASE WHEN positions THEN 'account and position' ELSE 'account' END, target);
END
$fn$;
COMMENT ON FUNCTION @extschema@.grant_reader(text, regrole, boolean) IS
  'grants a read-only (BI / reporting) role USAGE on the reference schema target and SELECT on its views: the account-level ones (account_margin, account_margin_detail, account_unit_margin, account_risk_matrix, account_greeks, margin_daily, margin_procyclicality, instrument_market, and the live tables margin_live and margin_calls) and, with positions (default true), position_values, position_greeks and margin_attribution; where create_span_tables or create_stress_tables has run, their views (and the published SPAN parameters, the stress scenarios); never the other tables.  Run by the schema''s owner; re-run after upgrade_reference_schema';

CREATE FUNCTION @extschema@.grant_writer(target text, grantee regrole)
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  o text;
BEGIN
  PERFORM @extschema@.check_reference_schema_owner(target, grantee);
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO %s', target, grantee);
  FOR o IN SELECT @extschema@.reference_schema_objects('tables') LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.%I TO %s', target, o, grantee);
  END LOOP;
  FOR o IN SELECT @extschema@.reference_schema_objects('account views')
           UNION ALL SELECT @extschema@.reference_schema_objects('position views') LOOP
    EXECUTE format('GRANT SELECT ON %I.%I TO %s', target, o, grantee);
  END LOOP;
  -- SPAN (create_span_tables): load files, map instruments and account types, read the views
  FOR o IN SELECT @extschema@.reference_schema_objects('span tables')
           UNION ALL SELECT @extschema@.reference_schema_objects('span mappings')
           UNION ALL SELECT @extschema@.reference_schema_objects('stress tables')
           UNION ALL SELECT @extschema@.reference_schema_objects('backtest tables') LOOP
    IF to_regclass(format('%I.%I', target, o)) IS NOT NULL THEN
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.%I TO %s', target, o, grantee);
    END IF;
  END LOOP;
  FOR o IN SELECT @extschema@.reference_schema_objects('span account views')
           UNION ALL SELECT @extschema@.reference_schema_objects('span position views')
           UNION ALL SELECT @extschema@.reference_schema_objects('stress account views') LOOP
    IF to_regclass(format('%I.%I', target, o)) IS NOT NULL THEN
      EXECUTE format('GRANT SELECT ON %I.%I TO %s', target, o, grantee);
    END IF;
  END LOOP;
  RETURN format('%s writes the tables and reads the views of %I', grantee, target);
END
$fn$;
COMMENT ON FUNCTION @extschema@.grant_writer(text, regrole) IS
  'grants a margin-writing application role USAGE on the reference schema target, SELECT, INSERT, UPDATE and DELETE on its tables (so it loads positions and prices and runs whatif_margin, liquidation_prices, snapshot_margins) and SELECT on its views.  Run by the schema''s owner; re-run after upgrade_reference_schema';

CREATE FUNCTION @extschema@.revoke_reference_access(target text, grantee regrole)
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  o text;
BEGIN
  PERFORM @extschema@.check_reference_schema_owner(target, grantee);
  FOR o IN SELECT @extschema@.reference_schema_objects('tables')
           UNION ALL SELECT @extschema@.reference_schema_objects('account views')
           UNION ALL SELECT @extschema@.reference_schema_objects('position views') LOOP
    EXECUTE format('REVOKE ALL ON %I.%I FROM %s', target, o, grantee);
  END LOOP;
  FOR o IN SELECT @extschema@.reference_schema_objects(k)
           FROM unnest(ARRAY['span tables', 'span mappings', 'span account views', 'span position views',
                             'stress tables', 'stress account views', 'backtest tables']) k LOOP
    IF to_regclass(format('%I.%I', target, o)) IS NOT NULL THEN
      EXECUTE format('REVOKE ALL ON %I.%I FROM %s', target, o, grantee);
    END IF;
  END LOOP;
  EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM %s', target, grantee);
  RETURN format('%s has no access to %I', grantee, target);
END
$fn$;
COMMENT ON FUNCTION @extschema@.revoke_reference_access(text, regrole) IS
  'revokes what grant_reader or grant_writer granted a role on the reference schema target (its tables, views and USAGE on the schema)';

CREATE FUNCTION @extschema@.grant_configuration(grantee regrole)
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF grantee IS NULL THEN
    RAISE EXCEPTION 'argument "grantee" must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF NOT pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = '@extschema@.scenario_presets'::regclass), 'USAGE') THEN
    RAISE EXCEPTION 'only the owner of extension portmargin can grant its configuration tables'
      USING ERRCODE = '42501', HINT = format('Run this as %s.',
        (SELECT c.relowner::regrole FROM pg_class c WHERE c.oid = '@extschema@.scenario_presets'::regclass));
  END IF;
  EXECUTE format('GRANT INSERT, UPDATE, DELETE ON @extschema@.scenario_presets, @extschema@.rulebook_rules, '
                 '@extschema@.collateral_schedules, @extschema@.collateral_tiers, @extschema@.stress_library, @extschema@.shipped_overrides TO %s', grantee);
  RETURN format('%s adds and changes user rows of the configuration tables (shipped rows stay read-only)', grantee);
END
$fn$;
COMMENT ON FUNCTION @extschema@.grant_configuration(regrole) IS
  'grants a role INSERT, UPDATE and DELETE on the configuration tables scenario_presets, rulebook_rules, collateral_schedules, collateral_tiers and stress_library (its own presets, rulebooks, collateral schedules and stresses, and rows that override shipped ones by key; shipped rows stay read-only for every role) and on shipped_overrides, where an override keeps the shipped row.  Run by the extension''s owner';

-- ---------------------------------------------------------------------
-- live margin (issue 12): triggers that keep a reference schema's
-- margin_live current
-- ---------------------------------------------------------------------
CREATE FUNCTION @extschema@.enable_live_margin(target text)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  t text;
  n integer;
BEGIN
  PERFORM @extschema@.check_reference_schema_owner(target, current_user::regrole);
  PERFORM @extschema@.disable_live_margin(target);
  -- trades: one recompute per account per statement, in the statement's transaction
  FOREACH t IN ARRAY ARRAY['positions', 'open_orders', 'collateral', 'accounts'] LOOP
    EXECUTE format('CREATE TRIGGER live_margin_insert AFTER INSERT ON %1$I.%2$I REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %1$I.live_margin_on_change()', target, t);
    EXECUTE format('CREATE TRIGGER live_margin_update AFTER UPDATE ON %1$I.%2$I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %1$I.live_margin_on_change()', target, t);
    IF t <> 'accounts' THEN   -- a deleted account's live row goes with it (foreign key)
      EXECUTE format('CREATE TRIGGER live_margin_delete AFTER DELETE ON %1$I.%2$I REFERENCING OLD TABLE AS old_rows '
                     'FOR EACH STATEMENT EXECUTE FUNCTION %1$I.live_margin_on_change()', target, t);
    END IF;
  END LOOP;
  -- market data: the underlyings queued for process_margin_queue
  FOREACH t IN ARRAY ARRAY['index_prices', 'forwards', 'implied_vols', 'rates'] LOOP
    EXECUTE format('CREATE TRIGGER live_margin_insert AFTER INSERT ON %1$I.%2$I REFERENCING NEW TABLE AS changed_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %1$I.live_margin_on_tick()', target, t);
    EXECUTE format('CREATE TRIGGER live_margin_update AFTER UPDATE ON %1$I.%2$I REFERENCING NEW TABLE AS changed_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %1$I.live_margin_on_tick()', target, t);
    EXECUTE format('CREATE TRIGGER live_margin_delete AFTER DELETE ON %1$I.%2$I REFERENCING OLD TABLE AS changed_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %1$I.live_margin_on_tick()', target, t);
  END LOOP;
  EXECUTE format('SELECT %1$I.refresh_live_margin(array_agg(a.account_id ORDER BY a.account_id), ''enable'') FROM %1$I.accounts a', target)
    INTO n;
  RETURN coalesce(n, 0);
END
$fn$;
COMMENT ON FUNCTION @extschema@.enable_live_margin(text) IS
  'keeps the reference schema target''s margin_live current: statement triggers on positions, open_orders, collateral and accounts recompute the accounts a statement touched in its transaction (orders added to open_orders: merged into each account''s kept state, add_live_orders); triggers on index_prices, forwards, implied_vols and rates queue the changed underlyings for process_margin_queue (start_live_margin_worker runs it); computes every account now and returns their number.  Run by the schema''s owner';

CREATE FUNCTION @extschema@.disable_live_margin(target text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $fn$
DECLARE
  t text;
  op text;
BEGIN
  PERFORM @extschema@.check_reference_schema_owner(target, current_user::regrole);
  FOREACH t IN ARRAY ARRAY['positions', 'open_orders', 'collateral', 'accounts', 'index_prices', 'forwards', 'implied_vols', 'rates'] LOOP
    FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
      EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I.%I', 'live_margin_' || op, target, t);
    END LOOP;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION @extschema@.disable_live_margin(text) IS
  'drops the live-margin triggers of the reference schema target (margin_live keeps its last values)';

CREATE FUNCTION @extschema@.live_margin_worker_launch(schema text, poll_ms integer)
RETURNS integer
AS 'MODULE_PATHNAME', 'portmargin_live_margin_worker_launch'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.live_margin_worker_launch(text, integer) IS
  'registers the background worker that runs schema.process_margin_queue() every poll_ms milliseconds, as the current user (who must own the schema: 42501) in the current database, and returns its pid (use start_live_margin_worker, which also checks that the schema is a reference schema and that no worker of it runs)';

CREATE FUNCTION @extschema@.live_margin_workers()
RETURNS TABLE (schema text, pid integer, backend_start timestamptz, state text, query_start timestamptz)
LANGUAGE sql STABLE PARALLEL RESTRICTED
BEGIN ATOMIC
  SELECT substr(a.application_name, length('portmargin live margin: ') + 1), a.pid, a.backend_start, a.state, a.query_start
  FROM pg_catalog.pg_stat_activity a
  WHERE a.backend_type OPERATOR(pg_catalog.=) 'portmargin live margin'
    AND a.datname OPERATOR(pg_catalog.=) pg_catalog.current_database();
END;
COMMENT ON FUNCTION @extschema@.live_margin_workers() IS
  'the live-margin workers of this database: the schema each serves, its pid, when it started, and its current pass';

CREATE FUNCTION @extschema@.start_live_margin_worker(target text, poll interval DEFAULT '10 ms',
                                                     if_not_running boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  running integer;
  ms float8;
BEGIN
  PERFORM @extschema@.check_reference_schema_owner(target, current_user::regrole);
  IF poll IS NULL THEN
    RAISE EXCEPTION 'argument "poll" must not be NULL' USING ERRCODE = '22004';
  END IF;
  ms := extract(epoch FROM poll) * 1000;
  IF NOT (ms >= 1 AND ms <= 3600000) THEN
    RAISE EXCEPTION 'invalid value for argument "poll": %', poll USING ERRCODE = '22023',
      DETAIL = 'The poll interval is 1 ms to 1 hour.';
  END IF;
  IF if_not_running IS NULL THEN
    RAISE EXCEPTION 'argument "if_not_running" must not be NULL' USING ERRCODE = '22004';
  END IF;
  SELECT w.pid INTO running FROM @extschema@.live_margin_workers() w WHERE w.schema = target LIMIT 1;
  IF running IS NOT NULL AND if_not_running THEN
    RETURN running;
  ELSIF running IS NOT NULL THEN
    RAISE EXCEPTION 'the live-margin worker of schema % already runs (pid %)', quote_ident(target), running
      USING ERRCODE = '55000', HINT = format('Stop it first: SELECT portmargin.stop_live_margin_worker(%L).', target);
  END IF;
  running := @extschema@.live_margin_worker_launch(target, round(ms)::integer);
  -- until it shows under its schema in live_margin_workers (a second start right after this one sees it)
  FOR i IN 1 .. 500 LOOP
    PERFORM pg_stat_clear_snapshot();
    EXIT WHEN EXISTS (SELECT 1 FROM @extschema@.live_margin_workers() w WHERE w.pid = running AND w.schema = target);
    PERFORM pg_sleep(0.01);
  END LOOP;
  RETURN running;
END
$fn$;
COMMENT ON FUNCTION @extschema@.start_live_margin_worker(text, interval, boolean) IS
  'starts the background worker that keeps the reference schema target''s margin_live current after market data changes: every poll (default 10 ms, 1 ms to 1 hour) it runs process_margin_queue() in a transaction of its own, as the calling user (the schema''s owner); returns its pid; one per schema: a second start is ERROR 55000, or with if_not_running => true returns the running one''s pid; not restarted after a server restart: a pg_cron job every minute with if_not_running => true starts it again (doc/realtime.md)';

CREATE FUNCTION @extschema@.stop_live_margin_worker(target text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  p integer;
  stopped boolean := false;
BEGIN
  PERFORM @extschema@.check_reference_schema_owner(target, current_user::regrole);
  FOR p IN SELECT w.pid FROM @extschema@.live_margin_workers() w WHERE w.schema = target LOOP
    stopped := pg_terminate_backend(p, 5000) OR stopped;
  END LOOP;
  RETURN stopped;
END
$fn$;
COMMENT ON FUNCTION @extschema@.stop_live_margin_worker(text) IS
  'stops the live-margin worker of the reference schema target (waiting up to 5 s for it to exit); false when none ran';

-- ---------------------------------------------------------------------
-- the position input: an aggregate call that cannot be silently
-- mis-ordered (issue 11, point 2)
-- ---------------------------------------------------------------------

-- (position section)
-- PostgreSQL allows no named arguments in aggregate calls, so the
-- 12-argument portfolio_margin is positional only, in an order that is not
-- black76_price's.  A position is built by a function with named arguments
-- (the fields in the order of its arguments) and aggregated with the
-- scenario set or rulebook.  position() checks the row as the aggregate
-- does (same SQLSTATEs and messages), including the plausibility of units:
-- vol above 10 (1000%) or t above 50 years is ERROR 22023, in both
-- aggregate forms as well (doc/conventions.md#argument-order-and-units).
CREATE TYPE @extschema@.position AS (
    quantity     float8,
    underlying   text,
    kind         text,
    settlement   text,
    option_type  text,
    forward      float8,
    strike       float8,
    t            float8,
    vol          float8,
    multiplier   float8,
    index_price  float8
);
COMMENT ON TYPE @extschema@.position IS
  'one row of portfolio_margin (a position, a resting order order:<kind>, an mmp or liability row of its risk unit), built by portmargin.position() with named arguments; t in years, vol a decimal (0.25 = 25%)';

CREATE FUNCTION @extschema@.position(
    quantity float8, underlying text, kind text, settlement text,
    option_type text DEFAULT NULL, forward float8 DEFAULT NULL, strike float8 DEFAULT NULL,
    t float8 DEFAULT NULL, vol float8 DEFAULT NULL, multiplier float8 DEFAULT NULL,
    index_price float8 DEFAULT NULL)
RETURNS @extschema@.position
AS 'MODULE_PATHNAME', 'portmargin_position' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.position(float8, text, text, text, text, float8, float8, float8, float8, float8, float8) IS
  'a portfolio_margin row, by name: quantity, underlying, kind (option, future, perpetual, spot, order:<kind>, mmp, liability), settlement (linear, inverse); option_type, forward, strike, t (years), vol (decimal), multiplier, index_price as the row needs them (NULL by default); checked as the aggregate checks it, vol above 10 or t above 50 years: ERROR 22023; a NULL quantity is a row the aggregate skips';

CREATE FUNCTION @extschema@.margin_position_sfunc(internal, @extschema@.position, @extschema@.scenario_set)
RETURNS internal AS 'MODULE_PATHNAME', 'portmargin_margin_position_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.margin_position_sfunc(internal, @extschema@.position, @extschema@.scenario_set) IS
  'state transition of portfolio_margin(position, scenario_set): the 12-argument form''s, on the position''s fields';
CREATE FUNCTION @extschema@.margin_position_rules_sfunc(internal, @extschema@.position, @extschema@.rulebook)
RETURNS internal AS 'MODULE_PATHNAME', 'portmargin_margin_position_rules_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.margin_position_rules_sfunc(internal, @extschema@.position, @extschema@.rulebook) IS
  'state transition of portfolio_margin(position, rulebook): the 12-argument form''s, on the position''s fields';

-- a scenario set has its own overload (no per-row cast to a rulebook; the same state and result as the 12-argument set form)
CREATE AGGREGATE @extschema@.portfolio_margin(pos @extschema@.position, scenarios @extschema@.scenario_set) (
    SFUNC = @extschema@.margin_position_sfunc,
    STYPE = internal,
    FINALFUNC = @extschema@.margin_ffunc,
    COMBINEFUNC = @extschema@.margin_combine,
    SERIALFUNC = @extschema@.margin_serial,
    DESERIALFUNC = @extschema@.margin_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.portfolio_margin(@extschema@.position, @extschema@.scenario_set) IS
  'portfolio margin of the positions of a group under one scenario set, each row a portmargin.position (built with named arguments); the same result as the 12-argument form; NULL positions are skipped';

CREATE AGGREGATE @extschema@.portfolio_margin(pos @extschema@.position, rules @extschema@.rulebook) (
    SFUNC = @extschema@.margin_position_rules_sfunc,
    STYPE = internal,
    FINALFUNC = @extschema@.margin_ffunc,
    COMBINEFUNC = @extschema@.margin_combine,
    SERIALFUNC = @extschema@.margin_serial,
    DESERIALFUNC = @extschema@.margin_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.portfolio_margin(@extschema@.position, @extschema@.rulebook) IS
  'portfolio margin of the rows of a group under a rulebook, each row a portmargin.position (built with named arguments): each risk unit under its own rule; the same result as the 12-argument form; NULL positions are skipped';

CREATE AGGREGATE @extschema@.portfolio_margin_state(pos @extschema@.position, scenarios @extschema@.scenario_set) (
    SFUNC = @extschema@.margin_position_sfunc,
    STYPE = internal,
    FINALFUNC = @extschema@.margin_state_ffunc,
    COMBINEFUNC = @extschema@.margin_combine,
    SERIALFUNC = @extschema@.margin_serial,
    DESERIALFUNC = @extschema@.margin_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.portfolio_margin_state(@extschema@.position, @extschema@.scenario_set) IS
  'the partial state of portfolio_margin(position, scenario_set) as a value, to merge across servers';

CREATE AGGREGATE @extschema@.portfolio_margin_state(pos @extschema@.position, rules @extschema@.rulebook) (
    SFUNC = @extschema@.margin_position_rules_sfunc,
    STYPE = internal,
    FINALFUNC = @extschema@.margin_state_ffunc,
    COMBINEFUNC = @extschema@.margin_combine,
    SERIALFUNC = @extschema@.margin_serial,
    DESERIALFUNC = @extschema@.margin_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.portfolio_margin_state(@extschema@.position, @extschema@.rulebook) IS
  'the partial state of portfolio_margin(position, rulebook) as a value, to merge across servers';

-- ---- SPAN risk parameter file parser (issue 13) ----
CREATE FUNCTION @extschema@.span_pa2_records(contents text)
RETURNS TABLE (line integer, kind text, fields jsonb)
AS 'MODULE_PATHNAME', 'portmargin_span_pa2_records'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.span_pa2_records(text) IS
  'the records of a CME SPAN risk parameter file in the expanded unpacked positional format (PA2, file format U2), one row per item in file order: kind file, cc, product, scan_method, scan_tier, intra_method, intra_tier, intra_spread, spot, spot_month, inter_spread, risk_array (one per 81+82 or 83+84 pair, at the line of the first), array_params (B) or price (P); fields as jsonb with raw, exact numbers (implied decimals applied, no decimal locator or risk exponent); records 1, T, 5, R, V, X, Y, Z and 9x are skipped; record E is refused (0A000); a malformed line is an ERROR naming the line, field and columns';
-- ---- SPAN from published risk arrays (issue 13) ----

CREATE TYPE @extschema@.span_portfolio;
CREATE FUNCTION @extschema@.span_portfolio_in(cstring) RETURNS @extschema@.span_portfolio
    AS 'MODULE_PATHNAME', 'portmargin_span_portfolio_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.span_portfolio_out(@extschema@.span_portfolio) RETURNS cstring
    AS 'MODULE_PATHNAME', 'portmargin_span_portfolio_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.span_portfolio_recv(internal) RETURNS @extschema@.span_portfolio
    AS 'MODULE_PATHNAME', 'portmargin_span_portfolio_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.span_portfolio_send(@extschema@.span_portfolio) RETURNS bytea
    AS 'MODULE_PATHNAME', 'portmargin_span_portfolio_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.span_portfolio (
    INPUT = @extschema@.span_portfolio_in,
    OUTPUT = @extschema@.span_portfolio_out,
    RECEIVE = @extschema@.span_portfolio_recv,
    SEND = @extschema@.span_portfolio_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.span_portfolio IS
  'an account''s positions folded for SPAN per combined commodity and contract month: sums of quantity x published risk array and x composite delta, short calls and puts, net option value (the span_portfolio aggregate''s result; span_margin margins it)';
COMMENT ON FUNCTION @extschema@.span_portfolio_in(cstring) IS 'input function of span_portfolio (hex bytes, checked)';
COMMENT ON FUNCTION @extschema@.span_portfolio_out(@extschema@.span_portfolio) IS 'output function of span_portfolio (hex bytes)';
COMMENT ON FUNCTION @extschema@.span_portfolio_recv(internal) IS 'binary input function of span_portfolio (checked)';
COMMENT ON FUNCTION @extschema@.span_portfolio_send(@extschema@.span_portfolio) IS 'binary output function of span_portfolio';

CREATE FUNCTION @extschema@.span_sfunc(internal, text, integer, float8, float8[], float8, float8, text)
RETURNS internal AS 'MODULE_PATHNAME', 'portmargin_span_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.span_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'portmargin_span_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.span_serial(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'portmargin_span_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.span_deserial(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'portmargin_span_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.span_ffunc(internal) RETURNS @extschema@.span_portfolio
    AS 'MODULE_PATHNAME', 'portmargin_span_ffunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.span_sfunc(internal, text, integer, float8, float8[], float8, float8, text) IS 'transition function of span_portfolio';
COMMENT ON FUNCTION @extschema@.span_combine(internal, internal) IS 'combine function of span_portfolio (parallel query)';
COMMENT ON FUNCTION @extschema@.span_serial(internal) IS 'serialisation of span_portfolio''s state';
COMMENT ON FUNCTION @extschema@.span_deserial(bytea, internal) IS 'deserialisation of span_portfolio''s state';
COMMENT ON FUNCTION @extschema@.span_ffunc(internal) IS 'final function of span_portfolio';

CREATE AGGREGATE @extschema@.span_portfolio(cc text, month integer, quantity float8, risk_array float8[],
                                           composite_delta float8, option_value float8, put_call text) (
    SFUNC = @extschema@.span_sfunc,
    STYPE = internal,
    FINALFUNC = @extschema@.span_ffunc,
    COMBINEFUNC = @extschema@.span_combine,
    SERIALFUNC = @extschema@.span_serial,
    DESERIALFUNC = @extschema@.span_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.span_portfolio(text, integer, float8, float8[], float8, float8, text) IS
  'folds positions for SPAN: cc = combined commodity, month = contract month CCYYMM (an option''s underlying future''s), quantity (signed contracts), risk_array = the 16 published values per long contract (losses positive, in the performance-bond currency), composite_delta per contract (times the delta scaling factor), option_value per contract (premium style; NULL for futures), put_call = C or P (NULL for futures); span_margin margins the result';

CREATE TYPE @extschema@.span_parameters;
CREATE FUNCTION @extschema@.span_parameters_in(cstring) RETURNS @extschema@.span_parameters
    AS 'MODULE_PATHNAME', 'portmargin_span_parameters_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.span_parameters_out(@extschema@.span_parameters) RETURNS cstring
    AS 'MODULE_PATHNAME', 'portmargin_span_parameters_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.span_parameters_recv(internal) RETURNS @extschema@.span_parameters
    AS 'MODULE_PATHNAME', 'portmargin_span_parameters_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.span_parameters_send(@extschema@.span_parameters) RETURNS bytea
    AS 'MODULE_PATHNAME', 'portmargin_span_parameters_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.span_parameters (
    INPUT = @extschema@.span_parameters_in,
    OUTPUT = @extschema@.span_parameters_out,
    RECEIVE = @extschema@.span_parameters_recv,
    SEND = @extschema@.span_parameters_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.span_parameters IS
  'published SPAN parameters of combined commodities (tiers, intra-commodity spreads, delivery month charges, short option minimum, account-type ratios) and inter-commodity spreads, as a checked JSON document (doc/span.md); text form: the document';
COMMENT ON FUNCTION @extschema@.span_parameters_in(cstring) IS 'input function of span_parameters (a JSON document, checked)';
COMMENT ON FUNCTION @extschema@.span_parameters_out(@extschema@.span_parameters) IS 'output function of span_parameters (the JSON document)';
COMMENT ON FUNCTION @extschema@.span_parameters_recv(internal) IS 'binary input function of span_parameters (checked)';
COMMENT ON FUNCTION @extschema@.span_parameters_send(@extschema@.span_parameters) IS 'binary output function of span_parameters';

CREATE FUNCTION @extschema@.span_parameters(document jsonb) RETURNS @extschema@.span_parameters
    AS 'MODULE_PATHNAME', 'portmargin_span_parameters' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.span_parameters(jsonb) IS
  'checks a document of published SPAN parameters (doc/span.md) and makes it a span_parameters value; a bad document is ERROR 22023 naming the element';
CREATE FUNCTION @extschema@.span_parameters_document(parameters @extschema@.span_parameters) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'portmargin_span_parameters_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.span_parameters_document(@extschema@.span_parameters) IS
  'the JSON document of a span_parameters value';

CREATE FUNCTION @extschema@.span_margin(portfolio @extschema@.span_portfolio, parameters @extschema@.span_parameters,
                                        account_type text DEFAULT 'S')
RETURNS @extschema@.margin AS 'MODULE_PATHNAME', 'portmargin_span_margin' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.span_margin(@extschema@.span_portfolio, @extschema@.span_parameters, text) IS
  'CME SPAN from published risk arrays: per combined commodity scan risk (per scan tier), intra-commodity spread charge, delivery month charge, inter-commodity spread credit and short option minimum, risk = max(scan + intra + spot - credit, som) times the account type''s maintenance factor (initial: initial ratio), less the net option value; account_type M (member), H (hedger, also X = non-HRP) or S (speculator, also R = HRP); one unit per combined commodity in the units breakdown (doc/span.md)';

CREATE FUNCTION @extschema@.span_margin_sfunc(internal, text, integer, float8, float8[], float8, float8, text,
                                              @extschema@.span_parameters, text)
RETURNS internal AS 'MODULE_PATHNAME', 'portmargin_span_margin_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.span_margin_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'portmargin_span_margin_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.span_margin_serial(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'portmargin_span_margin_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.span_margin_deserial(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'portmargin_span_margin_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.span_margin_ffunc(internal) RETURNS @extschema@.margin
    AS 'MODULE_PATHNAME', 'portmargin_span_margin_ffunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.span_margin_sfunc(internal, text, integer, float8, float8[], float8, float8, text, @extschema@.span_parameters, text) IS 'transition function of the span_margin aggregate';
COMMENT ON FUNCTION @extschema@.span_margin_combine(internal, internal) IS 'combine function of the span_margin aggregate (parallel query)';
COMMENT ON FUNCTION @extschema@.span_margin_serial(internal) IS 'serialisation of the span_margin aggregate''s state (with its parameters argument)';
COMMENT ON FUNCTION @extschema@.span_margin_deserial(bytea, internal) IS 'deserialisation of the span_margin aggregate''s state';
COMMENT ON FUNCTION @extschema@.span_margin_ffunc(internal) IS 'final function of the span_margin aggregate';

CREATE AGGREGATE @extschema@.span_margin(cc text, month integer, quantity float8, risk_array float8[],
                                        composite_delta float8, option_value float8, put_call text,
                                        parameters @extschema@.span_parameters, account_type text) (
    SFUNC = @extschema@.span_margin_sfunc,
    STYPE = internal,
    FINALFUNC = @extschema@.span_margin_ffunc,
    COMBINEFUNC = @extschema@.span_margin_combine,
    SERIALFUNC = @extschema@.span_margin_serial,
    DESERIALFUNC = @extschema@.span_margin_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.span_margin(text, integer, float8, float8[], float8, float8, text, @extschema@.span_parameters, text) IS
  'CME SPAN from published risk arrays over a group of positions in one pass: the same result as span_margin(span_portfolio(...), parameters, account_type), with arrays summed per scan tier as rows arrive; parameters and account_type must be the same on every row of a group (pass the parameters as a scalar sub-select)';

-- SPAN risk parameter files in tables: created per schema, filled by load_span_file, read by span_parameters_of

CREATE FUNCTION @extschema@.create_span_tables(target text)
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $fn$
DECLARE
  pm text := (SELECT n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
              WHERE e.extname = 'portmargin');
BEGIN
  IF target IS NULL THEN
    RAISE EXCEPTION 'argument "target" must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF target = '' OR octet_length(target) > 63 OR target = pm OR target = 'information_schema' OR target LIKE 'pg\_%' THEN
    RAISE EXCEPTION 'invalid value for argument "target": %', quote_literal(target) USING ERRCODE = '22023',
      DETAIL = 'A schema of 1 to 63 bytes, not the extension''s schema or a system schema.';
  END IF;
  EXECUTE format($ddl$
CREATE SCHEMA IF NOT EXISTS %1$I;

CREATE TABLE IF NOT EXISTS %1$I.span_files (
    file_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_name        text,
    exchange_complex text NOT NULL,
    business_date    date NOT NULL,
    settlement_code  text,
    file_identifier  text,
    business_time    text,
    loaded_at        timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE %1$I.span_files IS 'SPAN risk parameter files loaded by portmargin.load_span_file: one row per file (its type 0 record)';

CREATE TABLE IF NOT EXISTS %1$I.span_combined_commodities (
    file_id             bigint NOT NULL REFERENCES %1$I.span_files ON DELETE CASCADE,
    cc                  text NOT NULL,
    exchange            text NOT NULL,
    currency            text NOT NULL,
    risk_exponent       integer NOT NULL,
    option_style        text NOT NULL,
    limit_option_value  boolean NOT NULL,
    scan_method         text,
    wfpr_method         integer,
    intra_method        text,
    spot_method         text,
    som_rate            float8 NOT NULL DEFAULT 0,
    som_method          integer,
    maintenance_factors float8[] NOT NULL DEFAULT '{1,1,1}',
    initial_ratios      float8[] NOT NULL DEFAULT '{1,1,1}',
    price_scan_range    float8,
    line                integer NOT NULL,
    PRIMARY KEY (file_id, cc)
);
COMMENT ON TABLE %1$I.span_combined_commodities IS 'combined commodities of a SPAN file (type 2 record) with their scanning method and weighted futures price risk method (S), initial/maintenance ratios per account type member, hedger, speculator (3), short option minimum rate and method and maintenance factors (4), and the largest futures price scan range of their B records';

CREATE TABLE IF NOT EXISTS %1$I.span_products (
    file_id         bigint NOT NULL REFERENCES %1$I.span_files ON DELETE CASCADE,
    exchange        text NOT NULL,
    product         text NOT NULL,
    product_type    text NOT NULL,
    cc              text NOT NULL,
    decimal_locator integer NOT NULL,
    settlement_locator integer,
    strike_locator  integer,
    contract_value_factor float8,
    line            integer NOT NULL,
    PRIMARY KEY (file_id, exchange, product, product_type)
);
COMMENT ON TABLE %1$I.span_products IS 'products of each combined commodity (type 2 record) with their risk array decimal locator, and their price conversion (type P record: settlement and strike decimal locators, contract value factor)';

CREATE TABLE IF NOT EXISTS %1$I.span_tiers (
    file_id     bigint NOT NULL REFERENCES %1$I.span_files ON DELETE CASCADE,
    cc          text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('scan', 'intra')),
    tier        integer NOT NULL,
    start_month integer,
    end_month   integer,
    line        integer NOT NULL,
    PRIMARY KEY (file_id, cc, kind, tier)
);
COMMENT ON TABLE %1$I.span_tiers IS 'scanning tiers (type S record, tiered scanning methods) and intra-commodity spread tiers (type 3 record) of each combined commodity: contract months start_month to end_month (CCYYMM, NULL = open)';

CREATE TABLE IF NOT EXISTS %1$I.span_intra_spreads (
    file_id  bigint NOT NULL REFERENCES %1$I.span_files ON DELETE CASCADE,
    cc       text NOT NULL,
    seq      integer NOT NULL,
    priority integer NOT NULL,
    rate     float8 NOT NULL,
    tiers    integer[] NOT NULL,
    ratios   float8[] NOT NULL,
    sides    text[] NOT NULL,
    line     integer NOT NULL,
    PRIMARY KEY (file_id, cc, seq)
);
COMMENT ON TABLE %1$I.span_intra_spreads IS 'tier-to-tier intra-commodity spreads (type C record): priority, charge per spread, legs as intra tiers with their delta per spread and side A or B';

CREATE TABLE IF NOT EXISTS %1$I.span_spot_months (
    file_id        bigint NOT NULL REFERENCES %1$I.span_files ON DELETE CASCADE,
    cc             text NOT NULL,
    month          integer NOT NULL,
    rate_consumed  float8 NOT NULL,
    rate_remaining float8 NOT NULL,
    line           integer NOT NULL,
    PRIMARY KEY (file_id, cc, month)
);
COMMENT ON TABLE %1$I.span_spot_months IS 'delivery (spot) months of each combined commodity (type 4 record): charge per delta consumed by spreads and per delta remaining in outrights';

CREATE TABLE IF NOT EXISTS %1$I.span_inter_spreads (
    file_id         bigint NOT NULL REFERENCES %1$I.span_files ON DELETE CASCADE,
    seq             integer NOT NULL,
    commodity_group text,
    priority        integer NOT NULL,
    credit_rate     float8 NOT NULL,
    ccs             text[] NOT NULL,
    ratios          float8[] NOT NULL,
    sides           text[] NOT NULL,
    required        boolean[] NOT NULL,
    line            integer NOT NULL,
    PRIMARY KEY (file_id, seq)
);
COMMENT ON TABLE %1$I.span_inter_spreads IS 'inter-commodity spreads (type 6 record): priority, credit rate in percent, legs as combined commodities with their delta per spread, side A or B and whether the leg is required';

CREATE TABLE IF NOT EXISTS %1$I.span_risk_arrays (
    file_id          bigint NOT NULL REFERENCES %1$I.span_files ON DELETE CASCADE,
    exchange         text NOT NULL,
    product          text NOT NULL,
    product_type     text NOT NULL,
    futures_month    integer NOT NULL,
    option_month     integer NOT NULL DEFAULT 0,
    put_call         text NOT NULL DEFAULT '',
    strike           float8 NOT NULL DEFAULT 0,
    cc               text NOT NULL,
    underlying       text,
    risk_array       float8[] NOT NULL CHECK (pg_catalog.array_length(risk_array, 1) = 16),
    composite_delta  float8 NOT NULL,
    delta_scaling_factor float8 NOT NULL DEFAULT 1,
    settlement_price float8,
    option_value     float8,
    line             integer NOT NULL,
    PRIMARY KEY (file_id, exchange, product, product_type, futures_month, option_month, put_call, strike)
);
COMMENT ON TABLE %1$I.span_risk_arrays IS 'published risk arrays (type 81/82 or 83/84 records), per long contract in the performance-bond currency (losses positive, scaled by the risk exponent and decimal locator): futures (option_month 0, put_call empty, strike 0) and options (strike scaled by the P record''s locator), composite delta and the delta scaling factor of their B record, settlement price and option value per contract (settlement x contract value factor)';

CREATE TABLE IF NOT EXISTS %1$I.span_instruments (
    instrument_id bigint PRIMARY KEY,
    exchange      text NOT NULL,
    product       text NOT NULL,
    product_type  text NOT NULL,
    futures_month integer NOT NULL,
    option_month  integer NOT NULL DEFAULT 0,
    put_call      text NOT NULL DEFAULT '',
    strike        float8 NOT NULL DEFAULT 0
);
COMMENT ON TABLE %1$I.span_instruments IS 'which published contract (span_risk_arrays key) each instrument of the positions is';

CREATE TABLE IF NOT EXISTS %1$I.span_account_types (
    account_id   bigint PRIMARY KEY,
    account_type text NOT NULL CHECK (account_type IN ('M', 'H', 'S', 'X', 'R'))
);
COMMENT ON TABLE %1$I.span_account_types IS 'SPAN account type per account: M member, H hedger, S speculator, X non-HRP (hedger ratios), R HRP (speculator ratios); an account without a row is S';
$ddl$, target);
  IF to_regclass(format('%I.positions', target)) IS NOT NULL THEN
    EXECUTE format($ddl$
CREATE OR REPLACE VIEW %1$I.span_position_arrays AS
SELECT p.account_id, p.instrument_id, p.quantity, a.file_id, a.cc, c.currency,
       a.futures_month AS month,
       a.risk_array, a.composite_delta OPERATOR(pg_catalog.*) a.delta_scaling_factor AS composite_delta,
       a.option_value, CASE WHEN a.put_call OPERATOR(pg_catalog.=) '' THEN NULL ELSE a.put_call END AS put_call
FROM %1$I.positions p
JOIN %1$I.span_instruments i ON i.instrument_id OPERATOR(pg_catalog.=) p.instrument_id
JOIN %1$I.span_risk_arrays a
  ON a.file_id OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(f.file_id) FROM %1$I.span_files f)
 AND a.exchange OPERATOR(pg_catalog.=) i.exchange AND a.product OPERATOR(pg_catalog.=) i.product
 AND a.product_type OPERATOR(pg_catalog.=) i.product_type AND a.futures_month OPERATOR(pg_catalog.=) i.futures_month
 AND a.option_month OPERATOR(pg_catalog.=) i.option_month AND a.put_call OPERATOR(pg_catalog.=) i.put_call
 AND a.strike OPERATOR(pg_catalog.=) i.strike
JOIN %1$I.span_combined_commodities c ON c.file_id OPERATOR(pg_catalog.=) a.file_id AND c.cc OPERATOR(pg_catalog.=) a.cc;
COMMENT ON VIEW %1$I.span_position_arrays IS 'positions with the published risk array, composite delta (times the delta scaling factor), option value and combined commodity of their contract in the latest SPAN file';

CREATE OR REPLACE VIEW %1$I.span_account_margin AS
SELECT s.account_id, s.currency,
       %2$I.span_margin(s.cc, s.month, s.quantity, s.risk_array, s.composite_delta, s.option_value, s.put_call,
                        (SELECT %2$I.span_parameters_of(%3$L, pg_catalog.max(f.file_id)) FROM %1$I.span_files f),
                        COALESCE(t.account_type, 'S')) AS margin
FROM %1$I.span_position_arrays s
LEFT JOIN %1$I.span_account_types t ON t.account_id OPERATOR(pg_catalog.=) s.account_id
GROUP BY s.account_id, s.currency, t.account_type;
COMMENT ON VIEW %1$I.span_account_margin IS 'SPAN requirement per account and performance-bond currency from the latest SPAN file''s published arrays and parameters (portmargin.span_margin; units = one per combined commodity)';
$ddl$, target, pm, target);
  END IF;
  RETURN target;
END
$fn$;
COMMENT ON FUNCTION @extschema@.create_span_tables(text) IS
  'creates the SPAN tables in schema target (span_files, span_combined_commodities, span_products, span_tiers, span_intra_spreads, span_spot_months, span_inter_spreads, span_risk_arrays, span_instruments, span_account_types) and, when target is a reference schema, the views span_position_arrays and span_account_margin; idempotent';

CREATE FUNCTION @extschema@.load_span_file(target text, contents text, file_name text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $fn$
DECLARE
  pm text := (SELECT n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
              WHERE e.extname = 'portmargin');
  fid bigint;
  f jsonb;
  bad record;
BEGIN
  IF target IS NULL OR contents IS NULL THEN
    RAISE EXCEPTION 'argument "%" must not be NULL', CASE WHEN target IS NULL THEN 'target' ELSE 'contents' END
      USING ERRCODE = '22004';
  END IF;
  IF to_regclass(format('%I.span_files', target)) IS NULL THEN
    RAISE EXCEPTION 'invalid value for argument "target": %', quote_literal(target) USING ERRCODE = '22023',
      DETAIL = 'The schema has no SPAN tables.', HINT = 'Create them with portmargin.create_span_tables().';
  END IF;

  DROP TABLE IF EXISTS pg_temp.portmargin_span_records;
  EXECUTE format('CREATE TEMP TABLE portmargin_span_records ON COMMIT DROP AS SELECT * FROM %I.span_pa2_records($1)', pm)
    USING contents;
  CREATE INDEX ON pg_temp.portmargin_span_records (kind);
  ANALYZE pg_temp.portmargin_span_records;

  SELECT r.fields INTO f FROM pg_temp.portmargin_span_records r WHERE r.kind = 'file' ORDER BY r.line LIMIT 1;
  IF f IS NULL THEN
    RAISE EXCEPTION 'invalid value for argument "contents": the file has no records'
      USING ERRCODE = '22023', DETAIL = 'A SPAN risk parameter file starts with an exchange complex header (record 0).';
  END IF;
  SELECT r.line INTO bad FROM pg_temp.portmargin_span_records r WHERE r.kind = 'file' ORDER BY r.line OFFSET 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'line %, record 0: a second exchange complex header; load one exchange complex per file', bad.line
      USING ERRCODE = '22023';
  END IF;

  -- references: every record names a combined commodity, tier or product defined in the file
  SELECT r.line, r.kind, r.fields->>'cc' AS v INTO bad FROM pg_temp.portmargin_span_records r
  WHERE r.kind IN ('scan_method', 'scan_tier', 'intra_method', 'intra_tier', 'intra_spread', 'spot', 'spot_month')
    AND NOT EXISTS (SELECT FROM pg_temp.portmargin_span_records c WHERE c.kind = 'cc' AND c.fields->>'cc' = r.fields->>'cc')
  ORDER BY r.line LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'line %, field cc: combined commodity "%" is not defined by a type 2 record', bad.line, bad.v
      USING ERRCODE = '22023';
  END IF;
  SELECT r.line, l.n, l.tier INTO bad FROM pg_temp.portmargin_span_records r,
       jsonb_array_elements_text(r.fields->'tiers') WITH ORDINALITY l(tier, n)
  WHERE r.kind = 'intra_spread'
    AND NOT EXISTS (SELECT FROM pg_temp.portmargin_span_records t WHERE t.kind = 'intra_tier'
                    AND t.fields->>'cc' = r.fields->>'cc' AND (t.fields->>'tier')::integer = l.tier::integer)
  ORDER BY r.line, l.n LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'line %, field leg % tier: tier % is not an intra-commodity tier of its combined commodity (type 3 record)',
      bad.line, bad.n, bad.tier USING ERRCODE = '22023';
  END IF;
  SELECT r.line, l.n, l.cc INTO bad FROM pg_temp.portmargin_span_records r,
       jsonb_array_elements_text(r.fields->'ccs') WITH ORDINALITY l(cc, n)
  WHERE r.kind = 'inter_spread'
    AND NOT EXISTS (SELECT FROM pg_temp.portmargin_span_records c WHERE c.kind = 'cc' AND c.fields->>'cc' = l.cc)
  ORDER BY r.line, l.n LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'line %, field leg % cc: combined commodity "%" is not defined by a type 2 record', bad.line, bad.n, bad.cc
      USING ERRCODE = '22023';
  END IF;
  SELECT r.line, r.fields->>'exchange' AS e, r.fields->>'product' AS p, r.fields->>'product_type' AS t INTO bad
  FROM pg_temp.portmargin_span_records r
  WHERE r.kind = 'risk_array'
    AND NOT EXISTS (SELECT FROM pg_temp.portmargin_span_records c WHERE c.kind = 'product'
                    AND c.fields->>'exchange' = r.fields->>'exchange' AND c.fields->>'product' = r.fields->>'product'
                    AND c.fields->>'product_type' = r.fields->>'product_type')
  ORDER BY r.line LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'line %, field product: product % % of exchange % is in no combined commodity (type 2 record)',
      bad.line, bad.p, bad.t, bad.e USING ERRCODE = '22023';
  END IF;
  -- what this loader does not compute: refused, not skipped (a requirement without it would be wrong)
  SELECT r.line, r.kind, CASE r.kind WHEN 'scan_method' THEN 'method' WHEN 'intra_method' THEN 'method'
                                      WHEN 'spot' THEN 'method' ELSE 'method' END AS field,
         r.fields->>'method' AS v INTO bad
  FROM pg_temp.portmargin_span_records r
  WHERE (r.kind = 'scan_method' AND coalesce(r.fields->>'method', '01') NOT IN ('01', '10', '21', '22'))
     OR (r.kind = 'intra_method' AND coalesce(r.fields->>'method', '10') NOT IN ('10'))
     OR (r.kind = 'spot' AND coalesce(r.fields->>'method', '10') NOT IN ('10'))
     OR (r.kind = 'inter_spread' AND coalesce(r.fields->>'method', '01') NOT IN ('01'))
  ORDER BY r.line LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'line %, field %: % method "%" is not supported', bad.line, bad.field,
      CASE bad.kind WHEN 'scan_method' THEN 'scanning/spreading tier (type S)' WHEN 'intra_method' THEN 'intra-commodity spread (type 3)'
                    WHEN 'spot' THEN 'delivery month charge (type 4)' ELSE 'inter-commodity spread (type 6)' END, bad.v
      USING ERRCODE = '0A000', HINT = 'doc/span.md lists the methods portmargin computes.';
  END IF;
  SELECT r.line, CASE WHEN (r.fields->>'super_spread')::boolean THEN 'super_spread'
                      WHEN (r.fields->>'per_leg_rates')::boolean THEN 'per_leg_rates' ELSE 'credit_basis' END AS field INTO bad
  FROM pg_temp.portmargin_span_records r
  WHERE r.kind = 'inter_spread' AND (coalesce((r.fields->>'super_spread')::boolean, false) OR coalesce(r.fields->>'credit_basis', 'W') <> 'W'
                                     OR coalesce((r.fields->>'per_leg_rates')::boolean, false))
  ORDER BY r.line LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'line %, field %: %', bad.line, bad.field,
      CASE bad.field WHEN 'super_spread' THEN 'super inter-commodity spreads (evaluated before intra spreads) are not supported'
                     WHEN 'per_leg_rates' THEN 'per-leg credit rates are not supported (one rate per spread)'
                     ELSE 'flat-rate inter-commodity credits are not supported (only weighted futures price risk)' END
      USING ERRCODE = '0A000', HINT = 'doc/span.md lists the methods portmargin computes.';
  END IF;
  SELECT (array_agg(r.line ORDER BY r.line))[2] AS line, min(r.fields->>'product') AS p INTO bad
  FROM pg_temp.portmargin_span_records r
  WHERE r.kind = 'risk_array'
  GROUP BY r.fields->>'exchange', r.fields->>'product', r.fields->>'product_type', r.fields->>'futures_month',
           r.fields->>'option_month', r.fields->>'put_call', r.fields->>'strike'
  HAVING count(*) > 1
  ORDER BY 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'line %, field product: the contract of this risk array (product %) has an array earlier in the file', bad.line, bad.p
      USING ERRCODE = '22023';
  END IF;

  -- values the margin cannot use: named by line and field here, not later by the parameters' check
  SELECT max(r.line) AS line, r.fields->>'product' AS p, r.fields->>'product_type' AS t INTO bad
  FROM pg_temp.portmargin_span_records r WHERE r.kind = 'product'
  GROUP BY r.fields->>'exchange', r.fields->>'product', r.fields->>'product_type'
  HAVING count(DISTINCT r.fields->>'cc') > 1
  ORDER BY 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'line %, field product: product % % is in two combined commodities', bad.line, bad.p, bad.t
      USING ERRCODE = '22023';
  END IF;
  SELECT r.line, f.key AS field, f.value AS v INTO bad
  FROM pg_temp.portmargin_span_records r, jsonb_each_text(r.fields) f
  WHERE (r.kind = 'scan_method' AND f.key = 'wfpr_method' AND f.value NOT IN ('1', '2', '3'))
     OR (r.kind IN ('intra_method', 'spot') AND f.key ~ '^(initial_ratio|maint_factor)_' AND f.value::numeric <= 0)
  ORDER BY r.line LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'line %, field %: %', bad.line, bad.field,
      CASE WHEN bad.field = 'wfpr_method' THEN format('weighted futures price risk method %s is not 1, 2 or 3', bad.v)
           ELSE format('%s must be greater than zero', bad.v) END
      USING ERRCODE = '22023';
  END IF;

  EXECUTE format('INSERT INTO %I.span_files (file_name, exchange_complex, business_date, settlement_code, file_identifier, business_time)
                  VALUES ($1, $2, ($3)::date, $4, $5, $6) RETURNING file_id', target)
    INTO fid USING file_name, f->>'exchange_complex', f->>'business_date', f->>'settlement_code', f->>'file_identifier',
                   f->>'business_time';

  EXECUTE format($q$
INSERT INTO %1$I.span_combined_commodities (file_id, cc, exchange, currency, risk_exponent, option_style, limit_option_value, line)
SELECT DISTINCT ON (r.fields->>'cc') $1, r.fields->>'cc', r.fields->>'exchange', r.fields->>'currency',
       coalesce((r.fields->>'risk_exponent')::integer, 0), coalesce(r.fields->>'option_style', 'P'),
       coalesce((r.fields->>'limit_option_value')::boolean, false), r.line
FROM pg_temp.portmargin_span_records r WHERE r.kind = 'cc' ORDER BY r.fields->>'cc', r.line;

UPDATE %1$I.span_combined_commodities c SET scan_method = r.fields->>'method', wfpr_method = (r.fields->>'wfpr_method')::integer
FROM pg_temp.portmargin_span_records r WHERE c.file_id = $1 AND r.kind = 'scan_method' AND r.fields->>'cc' = c.cc;
UPDATE %1$I.span_combined_commodities c SET intra_method = r.fields->>'method',
       initial_ratios = ARRAY[coalesce((r.fields->>'initial_ratio_member')::float8, 1), coalesce((r.fields->>'initial_ratio_hedger')::float8, 1),
                              coalesce((r.fields->>'initial_ratio_speculator')::float8, 1)]
FROM pg_temp.portmargin_span_records r WHERE c.file_id = $1 AND r.kind = 'intra_method' AND r.fields->>'cc' = c.cc;
UPDATE %1$I.span_combined_commodities c SET spot_method = r.fields->>'method', som_rate = coalesce((r.fields->>'som_rate')::float8, 0),
       som_method = coalesce((r.fields->>'som_method')::integer, 2),
       maintenance_factors = ARRAY[coalesce((r.fields->>'maint_factor_member')::float8, 1), coalesce((r.fields->>'maint_factor_hedger')::float8, 1),
                                   coalesce((r.fields->>'maint_factor_speculator')::float8, 1)]
FROM pg_temp.portmargin_span_records r WHERE c.file_id = $1 AND r.kind = 'spot' AND r.fields->>'cc' = c.cc;

INSERT INTO %1$I.span_products (file_id, exchange, product, product_type, cc, decimal_locator, settlement_locator, strike_locator,
                                contract_value_factor, line)
SELECT DISTINCT ON (r.fields->>'exchange', r.fields->>'product', r.fields->>'product_type')
       $1, r.fields->>'exchange', r.fields->>'product', r.fields->>'product_type', r.fields->>'cc',
       coalesce((r.fields->>'decimal_locator')::integer, 0), (p.fields->>'settlement_locator')::integer,
       (p.fields->>'strike_locator')::integer,
       ((p.fields->>'contract_value_factor')::numeric * power(10::numeric, coalesce((p.fields->>'cvf_exponent')::integer, 0)))::float8,
       r.line
FROM pg_temp.portmargin_span_records r
LEFT JOIN pg_temp.portmargin_span_records p ON p.kind = 'price' AND p.fields->>'exchange' = r.fields->>'exchange'
      AND p.fields->>'product' = r.fields->>'product' AND p.fields->>'product_type' = r.fields->>'product_type'
WHERE r.kind = 'product'
ORDER BY r.fields->>'exchange', r.fields->>'product', r.fields->>'product_type', r.line;

INSERT INTO %1$I.span_tiers (file_id, cc, kind, tier, start_month, end_month, line)
SELECT $1, r.fields->>'cc', CASE r.kind WHEN 'scan_tier' THEN 'scan' ELSE 'intra' END, (r.fields->>'tier')::integer,
       nullif((r.fields->>'start_month')::integer, 0), nullif((r.fields->>'end_month')::integer, 0), r.line
FROM pg_temp.portmargin_span_records r
WHERE r.kind = 'intra_tier'
   OR (r.kind = 'scan_tier' AND EXISTS (SELECT FROM pg_temp.portmargin_span_records m WHERE m.kind = 'scan_method'
                                         AND m.fields->>'cc' = r.fields->>'cc' AND m.fields->>'method' IN ('10', '21', '22')));

INSERT INTO %1$I.span_intra_spreads (file_id, cc, seq, priority, rate, tiers, ratios, sides, line)
SELECT $1, r.fields->>'cc', row_number() OVER (PARTITION BY r.fields->>'cc' ORDER BY r.line), (r.fields->>'priority')::integer,
       (r.fields->>'rate')::float8,
       ARRAY(SELECT t::integer FROM jsonb_array_elements_text(r.fields->'tiers') t),
       ARRAY(SELECT t::float8 FROM jsonb_array_elements_text(r.fields->'ratios') t),
       ARRAY(SELECT t FROM jsonb_array_elements_text(r.fields->'sides') t), r.line
FROM pg_temp.portmargin_span_records r WHERE r.kind = 'intra_spread';

INSERT INTO %1$I.span_spot_months (file_id, cc, month, rate_consumed, rate_remaining, line)
SELECT $1, r.fields->>'cc', (r.fields->>'month')::integer, (r.fields->>'rate_consumed')::float8,
       (r.fields->>'rate_remaining')::float8, r.line
FROM pg_temp.portmargin_span_records r WHERE r.kind = 'spot_month';

INSERT INTO %1$I.span_inter_spreads (file_id, seq, commodity_group, priority, credit_rate, ccs, ratios, sides, required, line)
SELECT $1, row_number() OVER (ORDER BY r.line), r.fields->>'commodity_group', (r.fields->>'priority')::integer,
       (r.fields->>'credit_rate')::float8,
       ARRAY(SELECT t FROM jsonb_array_elements_text(r.fields->'ccs') t),
       ARRAY(SELECT t::float8 FROM jsonb_array_elements_text(r.fields->'ratios') t),
       ARRAY(SELECT t FROM jsonb_array_elements_text(r.fields->'sides') t),
       ARRAY(SELECT t::boolean FROM jsonb_array_elements_text(r.fields->'required') t), r.line
FROM pg_temp.portmargin_span_records r WHERE r.kind = 'inter_spread';

INSERT INTO %1$I.span_risk_arrays (file_id, exchange, product, product_type, futures_month, option_month, put_call, strike, cc,
                                   underlying, risk_array, composite_delta, delta_scaling_factor, settlement_price, option_value, line)
SELECT $1, r.fields->>'exchange', r.fields->>'product', r.fields->>'product_type', (r.fields->>'futures_month')::integer,
       coalesce((r.fields->>'option_month')::integer, 0), coalesce(r.fields->>'put_call', ''),
       coalesce((r.fields->>'strike')::numeric * power(10::numeric, -coalesce(p.strike_locator, 0)), 0)::float8,
       p.cc, r.fields->>'underlying',
       ARRAY(SELECT (v::numeric * power(10::numeric, c.risk_exponent - p.decimal_locator))::float8
             FROM jsonb_array_elements_text(r.fields->'values') v),
       (r.fields->>'composite_delta')::float8, coalesce((b.fields->>'delta_scaling_factor')::float8, 1),
       s.price, CASE WHEN r.fields->>'put_call' IS NOT NULL THEN s.price * p.contract_value_factor END, r.line
FROM pg_temp.portmargin_span_records r
JOIN %1$I.span_products p ON p.file_id = $1 AND p.exchange = r.fields->>'exchange' AND p.product = r.fields->>'product'
     AND p.product_type = r.fields->>'product_type'
JOIN %1$I.span_combined_commodities c ON c.file_id = $1 AND c.cc = p.cc
LEFT JOIN (SELECT DISTINCT ON (x.fields->>'exchange', x.fields->>'product', x.fields->>'product_type',
                                coalesce(x.fields->>'futures_month', ''), coalesce(x.fields->>'option_month', ''))
                  x.fields->>'exchange' AS exchange, x.fields->>'product' AS product, x.fields->>'product_type' AS product_type,
                  coalesce(x.fields->>'futures_month', '') AS futures_month, coalesce(x.fields->>'option_month', '') AS option_month,
                  x.fields
           FROM pg_temp.portmargin_span_records x WHERE x.kind = 'array_params'
           ORDER BY 1, 2, 3, 4, 5, x.line) b
       ON b.exchange = r.fields->>'exchange' AND b.product = r.fields->>'product' AND b.product_type = r.fields->>'product_type'
      AND b.futures_month = coalesce(r.fields->>'futures_month', '') AND b.option_month = coalesce(r.fields->>'option_month', '')
CROSS JOIN LATERAL (SELECT ((r.fields->>'settlement_price')::numeric
                            * power(10::numeric, -coalesce(p.settlement_locator, 0)))::float8 AS price) s
WHERE r.kind = 'risk_array';

UPDATE %1$I.span_combined_commodities c SET price_scan_range = x.psr
FROM (SELECT p.cc, max((b.fields->>'price_scan_range')::float8) AS psr
      FROM pg_temp.portmargin_span_records b
      JOIN %1$I.span_products p ON p.file_id = $1 AND p.exchange = b.fields->>'exchange' AND p.product = b.fields->>'product'
           AND p.product_type = b.fields->>'product_type' AND p.product_type IN ('FUT', 'PHY')
      WHERE b.kind = 'array_params' GROUP BY p.cc) x
WHERE c.file_id = $1 AND c.cc = x.cc;
$q$, target) USING fid;

  -- a weighted price risk method that needs a scan range has one (from the commodity's futures' B records)
  EXECUTE format('SELECT r.line, c.cc, c.wfpr_method FROM %I.span_combined_commodities c
                  JOIN pg_temp.portmargin_span_records r ON r.kind = ''scan_method'' AND r.fields->>''cc'' = c.cc
                  WHERE c.file_id = $1 AND c.wfpr_method IN (2, 3) AND c.price_scan_range IS NULL ORDER BY r.line LIMIT 1', target)
    INTO bad USING fid;
  IF bad.line IS NOT NULL THEN
    RAISE EXCEPTION 'line %, field wfpr_method: method % of combined commodity % needs a futures price scan range, and no B record of its futures gives one',
      bad.line, bad.wfpr_method, bad.cc USING ERRCODE = '22023';
  END IF;
  -- and the whole makes a valid document
  PERFORM @extschema@.span_parameters_of(target, fid);
  DROP TABLE pg_temp.portmargin_span_records;
  RETURN fid;
END
$fn$;
COMMENT ON FUNCTION @extschema@.load_span_file(text, text, text) IS
  'loads a CME SPAN risk parameter file in the expanded unpacked (PA2) format into the SPAN tables of schema target (portmargin.create_span_tables), in the caller''s transaction: a malformed record or a reference to an undefined combined commodity, tier or product is an ERROR naming the file line and field, and nothing is loaded; returns the new file_id';

CREATE FUNCTION @extschema@.span_parameters_of(target text, file_id bigint)
RETURNS @extschema@.span_parameters
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  pm text := (SELECT n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
              WHERE e.extname = 'portmargin');
  doc jsonb;
BEGIN
  IF target IS NULL OR file_id IS NULL THEN
    RAISE EXCEPTION 'argument "%" must not be NULL', CASE WHEN target IS NULL THEN 'target' ELSE 'file_id' END
      USING ERRCODE = '22004';
  END IF;
  IF to_regclass(format('%I.span_files', target)) IS NULL THEN
    RAISE EXCEPTION 'invalid value for argument "target": %', quote_literal(target) USING ERRCODE = '22023',
      DETAIL = 'The schema has no SPAN tables.', HINT = 'Create them with portmargin.create_span_tables().';
  END IF;
  EXECUTE format($q$
SELECT jsonb_build_object(
  'combined_commodities', (
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
      'cc', c.cc, 'currency', c.currency, 'option_style', c.option_style, 'limit_option_value', c.limit_option_value,
      'wfpr_method', c.wfpr_method, 'price_scan_range', c.price_scan_range,
      'som_rate', c.som_rate, 'som_method', c.som_method,
      'maintenance_factors', to_jsonb(c.maintenance_factors), 'initial_ratios', to_jsonb(c.initial_ratios),
      'scan_tiers', (SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object('tier', t.tier, 'start', t.start_month, 'end', t.end_month))
                                      ORDER BY t.tier)
                     FROM %1$I.span_tiers t WHERE t.file_id = c.file_id AND t.cc = c.cc AND t.kind = 'scan'),
      'intra_tiers', (SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object('tier', t.tier, 'start', t.start_month, 'end', t.end_month))
                                       ORDER BY t.tier)
                      FROM %1$I.span_tiers t WHERE t.file_id = c.file_id AND t.cc = c.cc AND t.kind = 'intra'),
      'intra_spreads', (SELECT jsonb_agg(jsonb_build_object('priority', s.priority, 'rate', s.rate,
                                           'legs', (SELECT jsonb_agg(jsonb_build_object('tier', l.tier, 'ratio', l.ratio, 'side', l.side)
                                                                     ORDER BY l.n)
                                                    FROM unnest(s.tiers, s.ratios, s.sides) WITH ORDINALITY l(tier, ratio, side, n)))
                                         ORDER BY s.seq)
                        FROM %1$I.span_intra_spreads s WHERE s.file_id = c.file_id AND s.cc = c.cc),
      'spot_months', (SELECT jsonb_agg(jsonb_build_object('month', m.month, 'rate_consumed', m.rate_consumed,
                                                          'rate_remaining', m.rate_remaining) ORDER BY m.month)
                      FROM %1$I.span_spot_months m WHERE m.file_id = c.file_id AND m.cc = c.cc)))
      ORDER BY c.cc)
    FROM %1$I.span_combined_commodities c WHERE c.file_id = $1),
  'inter_spreads', coalesce((
    SELECT jsonb_agg(jsonb_build_object('priority', s.priority, 'credit_rate', s.credit_rate,
                       'legs', (SELECT jsonb_agg(jsonb_build_object('cc', l.cc, 'ratio', l.ratio, 'side', l.side, 'required', l.required)
                                                 ORDER BY l.n)
                                FROM unnest(s.ccs, s.ratios, s.sides, s.required) WITH ORDINALITY l(cc, ratio, side, required, n)))
                     ORDER BY s.seq)
    FROM %1$I.span_inter_spreads s WHERE s.file_id = $1), '[]'))
$q$, target) INTO doc USING file_id;
  IF doc->'combined_commodities' IS NULL OR jsonb_typeof(doc->'combined_commodities') = 'null' THEN
    RAISE EXCEPTION 'invalid value for argument "file_id": %', file_id USING ERRCODE = '22023',
      DETAIL = format('Schema %s has no SPAN file %s with combined commodities.', quote_ident(target), file_id);
  END IF;
  RETURN @extschema@.span_parameters(doc);
END
$fn$;
COMMENT ON FUNCTION @extschema@.span_parameters_of(text, bigint) IS
  'the span_parameters document of a loaded SPAN file (schema target, file_id): every combined commodity with its tiers, intra-commodity spreads, delivery months, short option minimum and account-type ratios, and the inter-commodity spreads';

-- ---- sharding over postgres_fdw (issue 14) ----
-- A coordinator and N shards (doc/sharding.md): positions are hash-partitioned by account over the shards,
-- instruments and market data are on every shard.  On each shard, create_shard_view makes the view that joins a
-- reference schema's positions with its market data (one row per position, the aggregate's arguments); on the
-- coordinator, create_sharded_book makes the partitioned foreign tables over those views and the functions whose
-- aggregates run on the shards (per account: the margin; per underlying and firm-wide: the partial states, merged
-- on the coordinator).
CREATE OR REPLACE FUNCTION @extschema@.create_shard_view(target text DEFAULT 'venue')
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM @extschema@.reference_schema_arg(target, ARRAY['positions', 'instrument_market'],
                                           'Run portmargin.create_reference_schema() on the shard first.');
  EXECUTE format($ddl$
CREATE OR REPLACE VIEW %1$I.margin_positions (account_id, instrument_id, quantity, underlying, kind, option_type, strike, t,
    forward, vol, settlement, multiplier, index_price) AS
SELECT p.account_id, p.instrument_id, p.quantity, m.underlying, m.kind, m.option_type, m.strike, m.t, m.forward, m.vol,
       m.settlement, m.multiplier, m.index_price
FROM %1$I.positions p JOIN %1$I.instrument_market m ON m.instrument_id = p.instrument_id;
COMMENT ON VIEW %1$I.margin_positions IS 'one row per position with the market data portmargin.portfolio_margin takes (the shard side of a sharded book: portmargin.create_shard_view; a coordinator reads it through postgres_fdw, the aggregate running here)';
$ddl$, target);
  RETURN format('%I.margin_positions', target);
END
$fn$;
COMMENT ON FUNCTION @extschema@.create_shard_view(text) IS
  'on a shard of a sharded book (doc/sharding.md): creates (or replaces) view target.margin_positions over the reference schema target: each position with its instrument''s market data, in the columns of portmargin.portfolio_margin''s arguments (account_id, instrument_id, quantity, underlying, kind, option_type, strike, t, forward, vol, settlement, multiplier, index_price); returns its name';

CREATE OR REPLACE FUNCTION @extschema@.create_sharded_book(servers text[], target text DEFAULT 'venue_shards',
                                                remote_schema text DEFAULT 'venue')
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  pm text := (SELECT n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
              WHERE e.extname = 'portmargin');
  n integer;
  k integer;
  srv text;
  fdw text;
  ext text;
  args text := 'p.quantity, p.underlying, p.kind, p.option_type, p.strike, p.t, p.forward, p.vol, p.settlement, p.multiplier, p.index_price, scenarios';
  q_account text := '';
  q_underlying text := '';
  q_firm text := '';
  q_versions text := '';
  here text := (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'portmargin');
  there text;
BEGIN
  IF servers IS NULL THEN
    RAISE EXCEPTION 'argument "servers" must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF target IS NULL THEN
    RAISE EXCEPTION 'argument "target" must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF remote_schema IS NULL THEN
    RAISE EXCEPTION 'argument "remote_schema" must not be NULL' USING ERRCODE = '22004';
  END IF;
  n := coalesce(array_length(servers, 1), 0);
  IF n < 1 OR array_ndims(servers) <> 1 OR array_position(servers, NULL) IS NOT NULL
     OR (SELECT count(DISTINCT s) FROM unnest(servers) s) <> n THEN
    RAISE EXCEPTION 'invalid value for argument "servers": %', servers USING ERRCODE = '22023',
      DETAIL = 'A one-dimensional list of distinct foreign server names, without NULLs, one per shard.';
  END IF;
  IF target = '' OR octet_length(target) > 40 OR target = pm OR target = 'information_schema' OR target LIKE 'pg\_%' THEN
    RAISE EXCEPTION 'invalid value for argument "target": %', quote_literal(target) USING ERRCODE = '22023',
      DETAIL = 'A schema name of 1 to 40 bytes, not the extension''s schema or a system schema.';
  END IF;
  IF to_regclass(format('%I.%I', target, 'margin_positions')) IS NOT NULL
     OR to_regclass(format('%I.%I', target, 'positions')) IS NOT NULL THEN
    RAISE EXCEPTION 'invalid value for argument "target": %', quote_literal(target) USING ERRCODE = '22023',
      DETAIL = 'The schema already holds a sharded book (margin_positions or positions).';
  END IF;
  -- every server is a postgres_fdw server that lets the extension's functions, operators and types be sent to it
  -- (option extensions): without it the planner ships the raw rows instead of the aggregate
  FOREACH srv IN ARRAY servers LOOP
    SELECT w.fdwname, (SELECT substr(o, 12) FROM unnest(s.srvoptions) o WHERE o LIKE 'extensions=%')
      INTO fdw, ext
    FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
    WHERE s.srvname = srv;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'invalid value for argument "servers": foreign server % does not exist', quote_ident(srv)
        USING ERRCODE = '22023', HINT = 'CREATE SERVER ... FOREIGN DATA WRAPPER postgres_fdw OPTIONS (..., extensions ''portmargin'').';
    END IF;
    IF fdw <> 'postgres_fdw' THEN
      RAISE EXCEPTION 'invalid value for argument "servers": foreign server % uses %, not postgres_fdw', quote_ident(srv), fdw
        USING ERRCODE = '22023';
    END IF;
    IF ext IS NULL OR NOT ('portmargin' = ANY (SELECT btrim(e) FROM unnest(string_to_array(ext, ',')) e)) THEN
      RAISE EXCEPTION 'invalid value for argument "servers": foreign server % does not list extension portmargin', quote_ident(srv)
        USING ERRCODE = '22023',
        DETAIL = 'Without it postgres_fdw does not send portmargin''s aggregates to the shard and fetches every position instead.',
        HINT = format('ALTER SERVER %I OPTIONS (ADD extensions %L);', srv, 'portmargin');
    END IF;
  END LOOP;

  EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', target);
  -- the same portmargin version on every shard: each shard's pg_extension through a foreign table (kept, for monitoring
  -- through the view portmargin_versions); a shard that cannot be reached is an ERROR here too
  FOR k IN 1 .. n LOOP
    EXECUTE format($ddl$
CREATE FOREIGN TABLE %1$I.%2$I (extname name, extversion text) SERVER %3$I OPTIONS (schema_name 'pg_catalog', table_name 'pg_extension');
COMMENT ON FOREIGN TABLE %1$I.%2$I IS %4$L;
$ddl$, target, 'shard_extensions_' || k, servers[k], format('pg_catalog.pg_extension on server %I (shard %s of %s)', servers[k], k, n));
    EXECUTE format('SELECT max(x.extversion) FROM %I.%I x WHERE x.extname = %L', target, 'shard_extensions_' || k, 'portmargin')
      INTO there;
    IF there IS DISTINCT FROM here THEN
      RAISE EXCEPTION 'invalid value for argument "servers": foreign server % runs portmargin %, this server %',
        quote_ident(servers[k]), coalesce(there, '(not installed)'), here
        USING ERRCODE = '22023',
        DETAIL = 'The coordinator sends portmargin''s functions and values to the shards: every server needs the same version.',
        HINT = 'CREATE EXTENSION portmargin, or ALTER EXTENSION portmargin UPDATE, on every server.';
    END IF;
    q_versions := q_versions || CASE WHEN k > 1 THEN E'\nUNION ALL\n' ELSE '' END
      || format('SELECT %s, %L::text, x.extversion FROM %I.%I x WHERE x.extname = %L', k, servers[k], target, 'shard_extensions_' || k, 'portmargin');
  END LOOP;
  EXECUTE format($ddl$
CREATE VIEW %1$I.portmargin_versions (shard, server, extversion) AS
%2$s;
COMMENT ON VIEW %1$I.portmargin_versions IS 'the portmargin version installed on each shard (read from the shard when queried): every one must equal the coordinator''s';
$ddl$, target, q_versions);
  EXECUTE format($ddl$
CREATE TABLE %1$I.margin_positions (account_id bigint NOT NULL, instrument_id bigint NOT NULL, quantity float8, underlying text,
    kind text, option_type text, strike float8, t float8, forward float8, vol float8, settlement text, multiplier float8,
    index_price float8) PARTITION BY HASH (account_id);
COMMENT ON TABLE %1$I.margin_positions IS 'the shards'' views margin_positions (portmargin.create_shard_view), one foreign table partition per shard, hash-partitioned by account_id as positions is';
CREATE TABLE %1$I.positions (account_id bigint NOT NULL, instrument_id bigint NOT NULL, quantity float8 NOT NULL,
    entry_price float8) PARTITION BY HASH (account_id);
COMMENT ON TABLE %1$I.positions IS 'the shards'' positions tables, one foreign table partition per shard: rows inserted here go to the shard that holds their account (the partitioning of margin_positions)';
$ddl$, target);
  FOR k IN 1 .. n LOOP
    EXECUTE format($ddl$
CREATE FOREIGN TABLE %1$I.%2$I PARTITION OF %1$I.margin_positions FOR VALUES WITH (MODULUS %3$s, REMAINDER %4$s)
  SERVER %5$I OPTIONS (schema_name %6$L, table_name 'margin_positions');
COMMENT ON FOREIGN TABLE %1$I.%2$I IS %7$L;
CREATE FOREIGN TABLE %1$I.%8$I PARTITION OF %1$I.positions FOR VALUES WITH (MODULUS %3$s, REMAINDER %4$s)
  SERVER %5$I OPTIONS (schema_name %6$L, table_name 'positions');
COMMENT ON FOREIGN TABLE %1$I.%8$I IS %9$L;
$ddl$, target, 'margin_positions_' || k, n, k - 1, servers[k], remote_schema,
       format('view %I.margin_positions on server %I (shard %s of %s)', remote_schema, servers[k], k, n),
       'positions_' || k,
       format('table %I.positions on server %I (shard %s of %s)', remote_schema, servers[k], k, n));
    -- one aggregate per shard, each sent whole to its shard; the shards run concurrently where the servers are async_capable
    q_account := q_account || CASE WHEN k > 1 THEN E'\n    UNION ALL\n    ' ELSE '' END
      || format('SELECT p.account_id, %1$I.portfolio_margin(%2$s) FROM %3$I.%4$I p GROUP BY p.account_id', pm, args, target, 'margin_positions_' || k);
    q_underlying := q_underlying || CASE WHEN k > 1 THEN E'\n    UNION ALL\n    ' ELSE '' END
      || format('SELECT p.underlying, %1$I.portfolio_margin_state(%2$s) FROM %3$I.%4$I p GROUP BY p.underlying', pm, args, target, 'margin_positions_' || k);
    q_firm := q_firm || CASE WHEN k > 1 THEN E'\n    UNION ALL\n    ' ELSE '' END
      || format('SELECT %1$I.portfolio_margin_state(%2$s) FROM %3$I.%4$I p', pm, args, target, 'margin_positions_' || k);
  END LOOP;
  -- PL/pgSQL: the scenario set is a parameter of the query, sent to the shards with it (SQL functions would be inlined
  -- into the caller's query, and a STABLE argument such as portmargin.preset(...) would then keep the aggregate home)
  EXECUTE format($ddl$
CREATE FUNCTION %1$I.margin_by_account(scenarios %2$I.scenario_set)
RETURNS TABLE (account_id bigint, margin %2$I.margin)
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
  RETURN QUERY
    %3$s;
END
$body$;
COMMENT ON FUNCTION %1$I.margin_by_account(%2$I.scenario_set) IS 'portmargin.portfolio_margin per account over the scenario set, computed on the shards (each account lives on one)';
CREATE FUNCTION %1$I.margin_by_underlying(scenarios %2$I.scenario_set)
RETURNS TABLE (underlying text, margin_state %2$I.margin_state, margin %2$I.margin)
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
  RETURN QUERY
  SELECT s.underlying, s.st, %2$I.finalize_margin(s.st)
  FROM (SELECT u.underlying, %2$I.merge_margin_states(u.st) AS st
        FROM (
    %4$s) u (underlying, st)
        GROUP BY u.underlying) s;
END
$body$;
COMMENT ON FUNCTION %1$I.margin_by_underlying(%2$I.scenario_set) IS 'the firm''s positions in each underlying margined as one portfolio over the scenario set: each shard''s partial state (portmargin.portfolio_margin_state, computed there) merged here (portmargin.merge_margin_states) and finalised';
CREATE FUNCTION %1$I.firm_margin(scenarios %2$I.scenario_set)
RETURNS TABLE (margin_state %2$I.margin_state, margin %2$I.margin)
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
  RETURN QUERY
  SELECT s.st, %2$I.finalize_margin(s.st)
  FROM (SELECT %2$I.merge_margin_states(u.st) AS st
        FROM (
    %5$s) u (st)) s;
END
$body$;
COMMENT ON FUNCTION %1$I.firm_margin(%2$I.scenario_set) IS 'all the firm''s positions margined as one portfolio over the scenario set: each shard''s partial state (portmargin.portfolio_margin_state, computed there) merged here (portmargin.merge_margin_states) and finalised';
$ddl$, target, pm, q_account, q_underlying, q_firm);
  RETURN format('%I.margin_positions', target);
END
$fn$;
COMMENT ON FUNCTION @extschema@.create_sharded_book(text[], text, text) IS
  'on the coordinator of a sharded book (doc/sharding.md): from foreign servers (postgres_fdw, one per shard, each with option extensions listing portmargin and the same portmargin version as this server), creates in schema target the tables margin_positions (over the shards'' views of portmargin.create_shard_view in remote_schema) and positions (over their positions tables), hash-partitioned by account_id with one foreign partition per server in the order given, the functions margin_by_account, margin_by_underlying and firm_margin (scenario set argument) whose aggregates run on the shards, and the view portmargin_versions (each shard''s version, over foreign tables shard_extensions_1 ..); returns the name of margin_positions';

-- the margin without its vectors, for fetching per-account margins from shards: an IMMUTABLE function of the extension
-- is sent to the shard with the aggregate (a field selection such as (portfolio_margin(...)).initial_margin is not), so
-- the coordinator fetches about a quarter of the bytes.  PL/pgSQL (not inlined into the caller's query, where it would
-- become the field selections postgres_fdw keeps home), and robust to attributes added to the type
CREATE OR REPLACE FUNCTION @extschema@.margin_summary(m @extschema@.margin)
RETURNS @extschema@.margin
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
-- three assignments: cheap next to the aggregate (COST 1, as a C function's default).  With PL/pgSQL's default, 100,
-- the planner kept per-account aggregates home rather than send margin_summary with them when the coordinator has no
-- statistics of the foreign tables
COST 1
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  m.pnl := NULL;
  m.unit_margins := NULL;
  m.units := NULL;
  RETURN m;
END
$fn$;
COMMENT ON FUNCTION @extschema@.margin_summary(@extschema@.margin) IS
  'the margin without its vectors (pnl, unit_margins and units NULL; every other field, risk_units included, unchanged): over postgres_fdw, margin_summary(portfolio_margin(...)) is computed on the shard and only the summary crosses the network (doc/sharding.md)';

-- the coordinator's own reference schema over the sharded positions: its views and functions read the shards
CREATE FUNCTION @extschema@.use_sharded_positions(target text, sharded text DEFAULT 'venue_shards')
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $fn$
DECLARE
  has_rows boolean;
BEGIN
  IF target IS NULL OR sharded IS NULL THEN
    RAISE EXCEPTION 'argument "%" must not be NULL', CASE WHEN target IS NULL THEN 'target' ELSE 'sharded' END
      USING ERRCODE = '22004';
  END IF;
  PERFORM @extschema@.reference_schema_arg(target, ARRAY['accounts', 'positions', 'margin_history']);
  IF to_regclass(format('%I.%I', sharded, 'positions')) IS NULL THEN
    RAISE EXCEPTION 'invalid value for argument "sharded": %', quote_literal(sharded) USING ERRCODE = '22023',
      DETAIL = 'The schema has no sharded positions table.', HINT = 'Create it with portmargin.create_sharded_book().';
  END IF;
  IF (SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(format('%I.%I', target, 'positions'))) = 'r' THEN
    EXECUTE format('SELECT EXISTS (SELECT FROM %I.positions)', target) INTO has_rows;
    IF has_rows THEN
      RAISE EXCEPTION 'invalid value for argument "target": reference schema % holds positions', quote_ident(target)
        USING ERRCODE = '22023', HINT = 'Positions belong on the shards: load them through the sharded positions table.';
    END IF;
    -- the views and functions over the table go with it; upgrade_reference_schema makes them again over the view
    EXECUTE format('DROP TABLE %I.positions CASCADE', target);
  ELSE
    EXECUTE format('DROP VIEW %I.positions CASCADE', target);
  END IF;
  EXECUTE format('CREATE VIEW %1$I.positions AS SELECT account_id, instrument_id, quantity, entry_price FROM %2$I.positions',
                 target, sharded);
  EXECUTE format('COMMENT ON VIEW %I.positions IS %L', target,
                 format('the positions of every shard (%s.positions, hash-partitioned by account over postgres_fdw): the reference schema''s views and functions read them from the shards; inserts go to the shard of their account', quote_ident(sharded)));
  PERFORM @extschema@.upgrade_reference_schema(target);
  RETURN format('%I.positions', target);
END
$fn$;
COMMENT ON FUNCTION @extschema@.use_sharded_positions(text, text) IS
  'on the coordinator of a sharded book: makes the positions of reference schema target (which must hold none) a view over the sharded positions table of schema sharded (portmargin.create_sharded_book) and rebuilds the schema''s views and functions over it, so that account_margin and the other views work on the coordinator (reading the positions from the shards; accounts, collateral, instruments and market data stay local replicas); returns the view''s name';

-- ---------------------------------------------------------------------------------------------------------------
-- Stress testing and liquidation cascades (doc/stress-testing.md)
-- ---------------------------------------------------------------------------------------------------------------

-- a stress scenario: joint relative moves of the named underlyings' prices (index and forwards) and absolute shifts of
-- their implied volatilities; an underlying it does not name stays where it is
CREATE TYPE @extschema@.stress_scenario AS (
    name        text,
    underlyings text[],
    price_moves float8[],
    vol_shifts  float8[],
    first_day   date,
    last_day    date,
    source      text
);
COMMENT ON TYPE @extschema@.stress_scenario IS
  'a stress scenario: name, underlyings[k] moved by price_moves[k] (relative: F -> F (1 + move), > -1) with implied volatilities shifted by vol_shifts[k] (absolute, 0.10 = +10 vol points, floored at 0; NULL: none), the history window it was found in (historical stresses; NULL for hypothetical ones) and its source';

-- ERROR unless s is a well-formed stress scenario; what names it in a message: arg
CREATE FUNCTION @extschema@.check_stress_scenario(s @extschema@.stress_scenario, arg text DEFAULT 'scenario')
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  k integer;
  n integer;
BEGIN
  IF s IS NULL OR s.name IS NULL OR s.underlyings IS NULL OR s.price_moves IS NULL THEN
    RAISE EXCEPTION 'argument "%" must not be NULL%', arg,
      CASE WHEN s IS NULL THEN '' WHEN s.name IS NULL THEN ' (its name)' WHEN s.underlyings IS NULL THEN ' (its underlyings)'
           ELSE ' (its price_moves)' END USING ERRCODE = '22004';
  END IF;
  n := cardinality(s.underlyings);
  IF s.name = '' THEN
    RAISE EXCEPTION 'invalid value for argument "%": a stress scenario needs a name', arg USING ERRCODE = '22023';
  END IF;
  IF n = 0 OR array_ndims(s.underlyings) <> 1 THEN
    RAISE EXCEPTION 'invalid value for argument "%": stress scenario % moves no underlying', arg, quote_literal(s.name)
      USING ERRCODE = '22023', DETAIL = 'underlyings must be a non-empty one-dimensional array.';
  END IF;
  IF cardinality(s.price_moves) <> n OR array_ndims(s.price_moves) <> 1
     OR (s.vol_shifts IS NOT NULL AND (cardinality(s.vol_shifts) <> n OR array_ndims(s.vol_shifts) <> 1)) THEN
    RAISE EXCEPTION 'invalid value for argument "%": stress scenario % has % underlyings, % price_moves and % vol_shifts',
      arg, quote_literal(s.name), n, cardinality(s.price_moves), coalesce(cardinality(s.vol_shifts)::text, 'no')
      USING ERRCODE = '22023', DETAIL = 'One price move (and one vol shift, if any) per underlying.';
  END IF;
  FOR k IN 1 .. n LOOP
    IF s.underlyings[k] IS NULL OR s.underlyings[k] = '' THEN
      RAISE EXCEPTION 'invalid value for argument "%": underlying % of stress scenario % is %', arg, k, quote_literal(s.name),
        coalesce(quote_literal(s.underlyings[k]), 'NULL') USING ERRCODE = '22023';
    END IF;
    IF s.underlyings[k] = ANY (s.underlyings[1:k - 1]) THEN
      RAISE EXCEPTION 'invalid value for argument "%": stress scenario % names underlying % twice', arg, quote_literal(s.name),
        quote_literal(s.underlyings[k]) USING ERRCODE = '22023';
    END IF;
    IF s.price_moves[k] IS NULL OR NOT (s.price_moves[k] > -1 AND s.price_moves[k] < 'Infinity') THEN
      RAISE EXCEPTION 'invalid value for argument "%": price move of % in stress scenario % is %', arg, s.underlyings[k],
        quote_literal(s.name), coalesce(s.price_moves[k]::text, 'NULL')
        USING ERRCODE = '22023', DETAIL = 'A price move is a finite relative move greater than -1 (-0.3 = down 30%).';
    END IF;
    IF s.vol_shifts IS NOT NULL AND (s.vol_shifts[k] IS NULL OR NOT (s.vol_shifts[k] > '-Infinity' AND s.vol_shifts[k] < 'Infinity')) THEN
      RAISE EXCEPTION 'invalid value for argument "%": vol shift of % in stress scenario % is %', arg, s.underlyings[k],
        quote_literal(s.name), coalesce(s.vol_shifts[k]::text, 'NULL')
        USING ERRCODE = '22023', DETAIL = 'A vol shift is a finite number of volatility points as a decimal (0.1 = +10 points).';
    END IF;
  END LOOP;
  IF s.first_day IS NOT NULL AND s.last_day IS NOT NULL AND s.last_day < s.first_day THEN
    RAISE EXCEPTION 'invalid value for argument "%": stress scenario % ends (%) before it starts (%)', arg, quote_literal(s.name),
      s.last_day, s.first_day USING ERRCODE = '22023';
  END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.check_stress_scenario(@extschema@.stress_scenario, text) IS
  'raises ERROR 22023 (22004 for a NULL) naming argument arg unless s is a well-formed stress scenario: a name, one or more distinct underlyings, one finite price move > -1 per underlying, optionally one finite vol shift per underlying, first_day <= last_day';

CREATE FUNCTION @extschema@.hypothetical_stress(name text, underlyings text[], price_moves float8[],
                                               vol_shifts float8[] DEFAULT NULL, source text DEFAULT NULL)
RETURNS @extschema@.stress_scenario
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  s @extschema@.stress_scenario := ROW(name, underlyings, price_moves, vol_shifts, NULL, NULL, source);
BEGIN
  IF name IS NULL OR underlyings IS NULL OR price_moves IS NULL THEN
    RAISE EXCEPTION 'argument "%" must not be NULL', CASE WHEN name IS NULL THEN 'name' WHEN underlyings IS NULL THEN 'underlyings'
                                                          ELSE 'price_moves' END USING ERRCODE = '22004';
  END IF;
  PERFORM @extschema@.check_stress_scenario(s, 'price_moves');
  RETURN s;
END
$fn$;
COMMENT ON FUNCTION @extschema@.hypothetical_stress(text, text[], float8[], float8[], text) IS
  'a hypothetical stress scenario: underlyings[k] moved by price_moves[k] (relative, > -1) and their implied vols by vol_shifts[k] (absolute points as a decimal), with its source';

CREATE FUNCTION @extschema@.mirrored(scenario @extschema@.stress_scenario)
RETURNS @extschema@.stress_scenario
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  s @extschema@.stress_scenario := scenario;
BEGIN
  PERFORM @extschema@.check_stress_scenario(scenario);
  s.name := scenario.name || ' (mirrored)';
  s.price_moves := ARRAY(SELECT -m FROM unnest(scenario.price_moves) WITH ORDINALITY u(m, k) ORDER BY k);
  PERFORM @extschema@.check_stress_scenario(s);
  RETURN s;
END
$fn$;
COMMENT ON FUNCTION @extschema@.mirrored(@extschema@.stress_scenario) IS
  'the same stress in the other direction: every price move negated (-0.3 -> +0.3), vol shifts kept (volatility rises on large moves either way), name suffixed (mirrored); a move <= -1 after negation (a rise of 100% or more) is an error';

-- the joint scenario set the stress_pnl aggregate revalues under: one column per underlying any scenario names
-- (sorted), a scenario's move 0 (and vol shift 0) for an underlying it does not name
CREATE FUNCTION @extschema@.stress_set(scenarios @extschema@.stress_scenario[])
RETURNS @extschema@.scenario_set
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  k integer;
  unds text[];
  moves float8[];
  vols float8[];
  has_vols boolean;
BEGIN
  IF scenarios IS NULL THEN
    RAISE EXCEPTION 'argument "scenarios" must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF cardinality(scenarios) = 0 THEN
    RAISE EXCEPTION 'invalid value for argument "scenarios": an empty list of stress scenarios' USING ERRCODE = '22023',
      HINT = 'Pass at least one stress scenario (hypothetical_stress, historical_stresses, portmargin.stress_library).';
  END IF;
  -- one query finds whether anything is wrong; then the scenarios are checked one by one for the error that names it
  IF EXISTS (SELECT FROM unnest(scenarios) WITH ORDINALITY s(name, underlyings, price_moves, vol_shifts, first_day, last_day, source, k)
             WHERE s.name IS NULL OR s.name = '' OR s.underlyings IS NULL OR s.price_moves IS NULL
                OR cardinality(s.underlyings) = 0 OR array_ndims(s.underlyings) <> 1 OR array_ndims(s.price_moves) <> 1
                OR cardinality(s.price_moves) <> cardinality(s.underlyings)
                OR (s.vol_shifts IS NOT NULL AND (array_ndims(s.vol_shifts) <> 1 OR cardinality(s.vol_shifts) <> cardinality(s.underlyings)))
                OR s.last_day < s.first_day
                OR EXISTS (SELECT FROM unnest(s.underlyings, s.price_moves, s.vol_shifts) u(und, m, v)
                           WHERE u.und IS NULL OR u.und = '' OR u.m IS NULL OR NOT (u.m > -1 AND u.m < 'Infinity')
                              OR (s.vol_shifts IS NOT NULL AND (u.v IS NULL OR NOT (u.v > '-Infinity' AND u.v < 'Infinity'))))
                OR (SELECT pg_catalog.count(DISTINCT u) FROM unnest(s.underlyings) u) <> cardinality(s.underlyings)
                OR EXISTS (SELECT FROM unnest(scenarios) WITH ORDINALITY s2(name, underlyings, price_moves, vol_shifts, first_day, last_day, source, k2)
                           WHERE s2.name = s.name AND s2.k2 < s.k))
     OR array_position(scenarios, NULL) IS NOT NULL THEN
    FOR k IN 1 .. cardinality(scenarios) LOOP
      PERFORM @extschema@.check_stress_scenario(scenarios[k], 'scenarios');
      IF (scenarios[k]).name = ANY (ARRAY(SELECT (s).name FROM unnest(scenarios[1:k - 1]) s)) THEN
        RAISE EXCEPTION 'invalid value for argument "scenarios": two stress scenarios are named %', quote_literal((scenarios[k]).name)
          USING ERRCODE = '22023', DETAIL = 'The stress report tells scenarios apart by name.';
      END IF;
    END LOOP;
  END IF;
  unds := ARRAY(SELECT DISTINCT u FROM unnest(scenarios) s, unnest(s.underlyings) u ORDER BY u);
  has_vols := EXISTS (SELECT FROM unnest(scenarios) s WHERE s.vol_shifts IS NOT NULL);
  SELECT array_agg(coalesce(s.price_moves[array_position(s.underlyings, u)], 0) ORDER BY s.k, u),
         array_agg(coalesce(s.vol_shifts[array_position(s.underlyings, u)], 0) ORDER BY s.k, u)
    INTO moves, vols
  FROM unnest(scenarios) WITH ORDINALITY s(name, underlyings, price_moves, vol_shifts, first_day, last_day, source, k)
  CROSS JOIN unnest(unds) u;
  RETURN @extschema@.var_scenarios(unds, moves, CASE WHEN has_vols THEN vols END, vol_rule => 'absolute');
END
$fn$;
COMMENT ON FUNCTION @extschema@.stress_set(@extschema@.stress_scenario[]) IS
  'the stress scenarios as a joint (var) scenario set for stress_pnl: one column per underlying any of them names, in name order, scenario k = scenarios[k] (moves and absolute vol shifts; 0 for an underlying it does not name); ERROR 22023 for an empty list, a malformed scenario or two scenarios of one name';

CREATE FUNCTION @extschema@.stress_pnl_sfunc(internal, @extschema@.scenario_set, float8, text, text, text, text,
                                            float8, float8, float8, float8, float8, float8, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'portmargin_stress_pnl_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.stress_pnl_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'portmargin_stress_pnl_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.stress_pnl_serial(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'portmargin_stress_pnl_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.stress_pnl_deserial(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'portmargin_stress_pnl_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.stress_pnl_ffunc(internal)
RETURNS float8[] AS 'MODULE_PATHNAME', 'portmargin_stress_pnl_ffunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.stress_pnl_sfunc(internal, @extschema@.scenario_set, float8, text, text, text, text, float8, float8, float8, float8, float8, float8, float8) IS
  'transition function of stress_pnl: adds a position''s stressed P&L per scenario';
COMMENT ON FUNCTION @extschema@.stress_pnl_combine(internal, internal) IS 'combine function of stress_pnl: adds partial sums';
COMMENT ON FUNCTION @extschema@.stress_pnl_serial(internal) IS 'serialize function of stress_pnl: the scenario count and the sums';
COMMENT ON FUNCTION @extschema@.stress_pnl_deserial(bytea, internal) IS 'deserialize function of stress_pnl (checks the length against the count)';
COMMENT ON FUNCTION @extschema@.stress_pnl_ffunc(internal) IS 'final function of stress_pnl: the sums as float8[] (ERROR 22003 if one is not finite)';
CREATE AGGREGATE @extschema@.stress_pnl(scenarios @extschema@.scenario_set, quantity float8, underlying text, kind text,
                                       settlement text, option_type text, forward float8, strike float8, t float8,
                                       vol float8, multiplier float8, index_price float8, rate float8) (
    SFUNC = @extschema@.stress_pnl_sfunc,
    STYPE = internal,
    FINALFUNC = @extschema@.stress_pnl_ffunc,
    COMBINEFUNC = @extschema@.stress_pnl_combine,
    SERIALFUNC = @extschema@.stress_pnl_serial,
    DESERIALFUNC = @extschema@.stress_pnl_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.stress_pnl(@extschema@.scenario_set, float8, text, text, text, text, float8, float8, float8, float8, float8, float8, float8) IS
  'the USD profit and loss (gains positive) of a group of positions in each scenario of a stress set (stress_set()), valued at the stressed prices: quantity x multiplier x (value per contract at the moved forward, index and vol - value now); options Black-76 (coin-settled: the coin value at the stressed coin price), futures and perpetuals F m (linear) or P m (coin-settled), spot F m; a position on an underlying the set does not name does not move; option_type, strike, t and vol are needed for options only, rate (linear options; NULL: 0) is the USD rate';

-- published stresses (doc/stress-testing.md): sizes from the cited sources, down moves as they happened
CREATE TABLE @extschema@.stress_library (
    name     text PRIMARY KEY,
    scenario @extschema@.stress_scenario NOT NULL,
    basis    text NOT NULL,
    shipped  boolean NOT NULL DEFAULT false,
    CHECK ((scenario).name = name)
);
COMMENT ON TABLE @extschema@.stress_library IS
  'hypothetical stress scenarios whose sizes are published market moves (scenario.source: the URL they were read from; basis: how the move is measured, e.g. close to close); shipped rows are the extension''s (protected: see shipped_overrides), add your own with shipped = false';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.stress_library', 'WHERE NOT shipped');
GRANT SELECT ON @extschema@.stress_library TO PUBLIC;
CREATE TRIGGER protect_shipped_rows BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.stress_library
  FOR EACH ROW EXECUTE FUNCTION @extschema@.protect_shipped_rows();

SET LOCAL portmargin.maintain_shipped = on;
INSERT INTO @extschema@.stress_library (name, scenario, basis, shipped)
SELECT x.name, ROW(x.name, x.u, x.m, x.v, x.d1, x.d2, x.src)::@extschema@.stress_scenario, x.basis, true
FROM (VALUES
  ('1987-10-19 Black Monday', '{SPX}'::text[], '{-0.2047}'::float8[], NULL::float8[], date '1987-10-16', date '1987-10-19',
   'https://www.calculatedriskblog.com/2011/08/dow-down-500-s-500-down-44.html',
   'S&P 500 close to close: 282.70 -> 224.84 (-20.47%; the DJIA fell 22.6%)'),
  ('2008-10-15 S&P 500 fall', '{SPX}', '{-0.0903}', NULL, date '2008-10-14', date '2008-10-15',
   'https://www.calculatedriskblog.com/2011/08/dow-down-500-s-500-down-44.html',
   'S&P 500 close to close: 998.01 -> 907.84 (-9.03%)'),
  ('2018-02-05 Volmageddon', '{SPX}', '{-0.041}', '{0.2001}', date '2018-02-02', date '2018-02-05',
   'http://spvixviews.com/2018/02/05/biggest-ever-one-day-moves-today-for-both-vxst-index-up-214-6-and-vix-index-up-115-6-by-matt-moran/',
   'S&P 500 close to close -4.1% (2,762.13 -> 2,648.94, AP); VIX +20.01 points to 37.32 (Cboe), applied as +20.01 vol points to SPX options'),
  ('2020-03-16 COVID crash (S&P 500)', '{SPX}', '{-0.1198}', '{0.25}', date '2020-03-13', date '2020-03-16',
   'https://www.cnbc.com/2021/03/16/one-year-ago-stocks-dropped-12percent-in-a-single-day-what-investors-have-learned-since-then.html',
   'S&P 500 close to close -11.98% (close 2,386.13); VIX closed at 82.69, up nearly 25 points, applied as +25 vol points to SPX options'),
  ('2020-03-12 Black Thursday (crypto)', '{BTC,ETH}', '{-0.40,-0.43}', NULL, date '2020-03-11', date '2020-03-12',
   'https://www.reuters.com/article/crypto-currencies/bitcoin-slumps-to-lowest-in-a-year-as-volatility-grips-idUSL4N2B54R2',
   'one UTC day: BTC lost almost 40% (Reuters), ETH 43% (Coin Metrics daily close, https://www.newsbtc.com/news/ethereum/ethereum-fell-43-percent-yesterday-worst-day-ever/)'),
  ('2021-05-19 China crypto ban', '{BTC,ETH}', '{-0.22,-0.28}', NULL, date '2021-05-18', date '2021-05-19',
   'https://www.reuters.com/article/crypto-currency-bitcoin-int/bitcoin-ethereum-plunge-crypto-market-cap-losses-nearly-1-trillion-idUSKCN2D01R6',
   'intraday against the previous day (Reuters): BTC down 22% at $33,502, ETH down 28% at $2,439'),
  ('2022-05 Terra/LUNA collapse', '{BTC,ETH}', '{-0.15,-0.22}', NULL, date '2022-05-06', date '2022-05-13',
   'https://www.nbcchicago.com/news/business/money-report/bitcoin-bounces-back-above-30000-as-investors-absorb-fallout-from-terra/2831814/',
   'week to date, 9-13 May 2022 (CNBC): BTC down 15%, ETH down 22%'),
  ('2022-11-09 FTX collapse', '{BTC,ETH}', '{-0.14,-0.12}', NULL, date '2022-11-08', date '2022-11-09',
   'https://www.coindesk.com/markets/2022/11/09/bitcoin-falls-below-17k-amid-latest-ftx-meltdown',
   'on the day (CoinDesk): BTC down 14%, ETH down about 12%'),
  ('2025-10-10 liquidation cascade', '{BTC}', '{-0.148}', '{0.20}', date '2025-10-10', date '2025-10-10',
   'https://www.coindesk.com/markets/2025/10/22/bitcoin-volatility-remains-sticky-while-vix-reverses-oct-10-surge',
   'intraday peak to trough (CoinDesk): BTC from about $122,000 to about $104,000 (-14.8%); 30-day implied vol (Volmex BVIV) from 40% to 60%, applied as +20 vol points'),
  ('CFTC 2019 supervisory stress (equity index)', '{SPX}', '{-0.25}', NULL, NULL, NULL,
   'https://www.securitiesoperations.com/cftc-staff-issues-clearinghouse-supervisory-stress-test-report/',
   'hypothetical: the CFTC''s 2019 clearinghouse supervisory stress test moved stock index futures 25%, five times the moves on the day after the Lehman Brothers bankruptcy')
) AS x(name, u, m, v, d1, d2, src, basis);
RESET portmargin.maintain_shipped;

-- the worst joint moves of a price history over a horizon, per underlying and direction
CREATE FUNCTION @extschema@.historical_stresses(underlyings text[], days date[], prices float8[], horizon integer,
                                               count integer DEFAULT 1)
RETURNS SETOF @extschema@.stress_scenario
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  n integer;
  ndays integer;
  nwin integer;
  und text;
  dir integer;
  picked integer[];
  w record;
  k integer;
  -- the windows, one element per (window, underlying)
  wk integer[];
  wfirst date[];
  wlast date[];
  wund text[];
  wmove float8[];
BEGIN
  IF underlyings IS NULL OR days IS NULL OR prices IS NULL OR horizon IS NULL OR count IS NULL THEN
    RAISE EXCEPTION 'argument "%" must not be NULL',
      CASE WHEN underlyings IS NULL THEN 'underlyings' WHEN days IS NULL THEN 'days' WHEN prices IS NULL THEN 'prices'
           WHEN horizon IS NULL THEN 'horizon' ELSE 'count' END USING ERRCODE = '22004';
  END IF;
  n := cardinality(underlyings);
  IF cardinality(days) <> n OR cardinality(prices) <> n THEN
    RAISE EXCEPTION 'invalid value for argument "prices": % underlyings, % days and % prices', n, cardinality(days), cardinality(prices)
      USING ERRCODE = '22023', DETAIL = 'The three arrays are parallel: one element per observation.';
  END IF;
  IF horizon < 1 THEN
    RAISE EXCEPTION 'invalid value for argument "horizon": %', horizon USING ERRCODE = '22023',
      DETAIL = 'The horizon is a number of observation days, at least 1.';
  END IF;
  IF count < 1 THEN
    RAISE EXCEPTION 'invalid value for argument "count": %', count USING ERRCODE = '22023',
      DETAIL = 'The number of windows per underlying and direction is at least 1.';
  END IF;
  SELECT o.u, o.d, o.p INTO w FROM unnest(underlyings, days, prices) AS o(u, d, p)
  WHERE o.u IS NULL OR o.d IS NULL OR o.p IS NULL OR NOT (o.p > 0 AND o.p < 'Infinity') OR NOT isfinite(o.d) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'invalid value for argument "%": observation (%, %, %)',
      CASE WHEN w.u IS NULL THEN 'underlyings' WHEN w.d IS NULL OR NOT isfinite(w.d) THEN 'days' ELSE 'prices' END,
      coalesce(w.u, 'NULL'), coalesce(w.d::text, 'NULL'), coalesce(w.p::text, 'NULL')
      USING ERRCODE = '22023', DETAIL = 'Every observation needs an underlying, a finite day and a finite price greater than zero.';
  END IF;
  SELECT o.u, o.d INTO w FROM unnest(underlyings, days) AS o(u, d) GROUP BY o.u, o.d HAVING pg_catalog.count(*) > 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'invalid value for argument "days": underlying % has two prices on %', w.u, w.d USING ERRCODE = '22023';
  END IF;
  -- the complete-case calendar: days on which every underlying has a price (as historical_scenarios); window i runs
  -- from its i-th day to its (i + horizon)-th
  WITH obs AS (SELECT o.u, o.d, o.p FROM unnest(underlyings, days, prices) AS o(u, d, p)),
  cal AS (
    SELECT obs.d, row_number() OVER (ORDER BY obs.d)::integer AS i FROM obs GROUP BY obs.d
    HAVING pg_catalog.count(*) = (SELECT pg_catalog.count(DISTINCT o2.u) FROM obs o2)),
  win AS (
    SELECT a.i, a.d AS first_day, b.d AS last_day, oa.u, ob.p / oa.p - 1 AS move
    FROM cal a JOIN cal b ON b.i = a.i + horizon
    JOIN obs oa ON oa.d = a.d JOIN obs ob ON ob.d = b.d AND ob.u = oa.u)
  SELECT (SELECT pg_catalog.count(*) FROM cal)::integer, array_agg(win.i), array_agg(win.first_day), array_agg(win.last_day),
         array_agg(win.u), array_agg(win.move)
    INTO ndays, wk, wfirst, wlast, wund, wmove
  FROM win;
  nwin := greatest(ndays - horizon, 0);
  IF nwin = 0 THEN
    RAISE EXCEPTION 'invalid value for argument "horizon": % days is longer than the history', horizon USING ERRCODE = '22023',
      DETAIL = format('The history has %s days on which every underlying has a price; a %s-day window needs %s.',
                      ndays, horizon, horizon + 1);
  END IF;
  -- per underlying, its largest fall (dir 1) and rise (dir -1): the window with the lowest negative (highest positive)
  -- move, then the next one that does not overlap a window already taken (ties: the earlier window)
  FOR und IN SELECT DISTINCT u FROM unnest(underlyings) u ORDER BY 1 LOOP
    FOREACH dir IN ARRAY ARRAY[1, -1] LOOP
      picked := '{}';
      FOR k IN 1 .. count LOOP
        SELECT x.i, x.first_day, x.last_day INTO w
        FROM unnest(wk, wfirst, wlast, wund, wmove) AS x(i, first_day, last_day, u, move)
        WHERE x.u = und AND x.move * dir < 0 AND NOT EXISTS (SELECT FROM unnest(picked) p WHERE abs(p - x.i) < horizon)
        ORDER BY x.move * dir, x.i LIMIT 1;
        EXIT WHEN NOT FOUND;
        picked := picked || w.i;
        RETURN NEXT ROW(format('%s %s %s..%s', und, CASE WHEN dir = 1 THEN 'fall' ELSE 'rise' END, w.first_day, w.last_day),
                        ARRAY(SELECT x.u FROM unnest(wk, wund) AS x(i, u) WHERE x.i = w.i ORDER BY x.u),
                        ARRAY(SELECT x.move FROM unnest(wk, wund, wmove) AS x(i, u, move) WHERE x.i = w.i ORDER BY x.u),
                        NULL, w.first_day, w.last_day,
                        format('historical: the %s %s of %s over %s observation days in the history given (%s window%s)',
                               CASE k WHEN 1 THEN 'largest' ELSE format('%s. largest non-overlapping', k) END,
                               CASE WHEN dir = 1 THEN 'fall' ELSE 'rise' END, und, horizon, nwin,
                               CASE WHEN nwin = 1 THEN '' ELSE 's' END))::@extschema@.stress_scenario;
      END LOOP;
    END LOOP;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION @extschema@.historical_stresses(text[], date[], float8[], integer, integer) IS
  'historical stress scenarios found in a price history (parallel arrays: one observation per element, as array_agg gives): on the days on which every underlying has a price, the horizon-day windows with each underlying''s largest fall and largest rise (simple returns, P(end) / P(start) - 1; up to count non-overlapping windows per underlying and direction, falls below 0 and rises above 0 only), each with the joint moves of every underlying over the window and its dates; ERROR 22023 naming horizon when the history has no horizon-day window';

-- a correlation matrix under stress: every correlation pulled toward target
CREATE FUNCTION @extschema@.stressed_correlation(correlation float8[], target float8, weight float8 DEFAULT 1)
RETURNS float8[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  k integer;
  n integer;
  i integer;
  j integer;
  c float8[];
  res float8[];
BEGIN
  IF correlation IS NULL OR target IS NULL OR weight IS NULL THEN
    RAISE EXCEPTION 'argument "%" must not be NULL',
      CASE WHEN correlation IS NULL THEN 'correlation' WHEN target IS NULL THEN 'target' ELSE 'weight' END USING ERRCODE = '22004';
  END IF;
  n := cardinality(correlation);
  k := round(sqrt(n))::integer;
  IF n = 0 OR k * k <> n OR array_ndims(correlation) NOT IN (1, 2)
     OR (array_ndims(correlation) = 2 AND array_length(correlation, 1) <> array_length(correlation, 2)) THEN
    RAISE EXCEPTION 'invalid value for argument "correlation": not a square matrix (% elements)', n USING ERRCODE = '22023';
  END IF;
  c := ARRAY(SELECT x FROM unnest(correlation) WITH ORDINALITY u(x, o) ORDER BY o);
  FOR i IN 1 .. k LOOP
    FOR j IN 1 .. k LOOP
      IF c[(i - 1) * k + j] IS NULL OR NOT (abs(c[(i - 1) * k + j]) <= 1)
         OR abs(c[(i - 1) * k + j] - c[(j - 1) * k + i]) > 1e-12 OR (i = j AND abs(c[(i - 1) * k + j] - 1) > 1e-12) THEN
        RAISE EXCEPTION 'invalid value for argument "correlation": element (%, %) is %', i, j, coalesce(c[(i - 1) * k + j]::text, 'NULL')
          USING ERRCODE = '22023', DETAIL = 'A correlation matrix is symmetric with ones on the diagonal and every element in [-1, 1].';
      END IF;
    END LOOP;
  END LOOP;
  IF NOT (target <= 1 AND (k = 1 OR target >= -1.0 / (k - 1))) THEN
    RAISE EXCEPTION 'invalid value for argument "target": %', target USING ERRCODE = '22023',
      DETAIL = format('A common correlation of %s underlyings is between %s and 1 (below, the matrix is not a correlation matrix).',
                      k, CASE WHEN k = 1 THEN '-1' ELSE (-1.0 / (k - 1))::text END);
  END IF;
  IF NOT (weight >= 0 AND weight <= 1) THEN
    RAISE EXCEPTION 'invalid value for argument "weight": %', weight USING ERRCODE = '22023', DETAIL = 'A weight is in [0, 1].';
  END IF;
  res := array_fill(0::float8, ARRAY[k, k]);
  FOR i IN 1 .. k LOOP
    FOR j IN 1 .. k LOOP
      res[i][j] := CASE WHEN i = j THEN 1 ELSE (1 - weight) * c[(i - 1) * k + j] + weight * target END;
    END LOOP;
  END LOOP;
  RETURN res;
END
$fn$;
COMMENT ON FUNCTION @extschema@.stressed_correlation(float8[], float8, float8) IS
  'a stressed correlation matrix (k x k): (1 - weight) correlation + weight T, T with ones on the diagonal and target elsewhere (target 0, weight 1: hedges lose their correlation; target near 1: everything falls together); positive semi-definite when correlation is and -1/(k-1) <= target <= 1';

-- the stress objects of a reference schema: the venue's stress scenarios, the stress report views, the cascade and the
-- correlation stress
CREATE FUNCTION @extschema@.create_stress_tables(target text)
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $fn$
DECLARE
  pm text := (SELECT n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
              WHERE e.extname = 'portmargin');
  q_losses text;
  body text;
BEGIN
  PERFORM @extschema@.reference_schema_arg(target, ARRAY['account_margin_detail', 'collateral']);
  -- per account and scenario: the stressed P&L of its positions and of its non-USD collateral (as spot), against its
  -- margin and gross equity now.  %3$s: the scenarios (an expression of type stress_scenario[])
  q_losses := $q$
  WITH sc AS MATERIALIZED (
    SELECT CASE WHEN cardinality(l.list) > 0 THEN %2$I.stress_set(l.list) END AS s,
           ARRAY(SELECT (x).name FROM unnest(l.list) x) AS names, array_fill(0::float8, ARRAY[cardinality(l.list)]) AS zeros
    FROM (SELECT %3$s AS list) l),
  x AS (
    SELECT p.account_id, p.quantity, m.underlying, m.kind, m.settlement, m.option_type, m.forward, m.strike,
           m.t, m.vol, m.multiplier, m.index_price, m.rate
    FROM %1$I.positions p JOIN %1$I.instrument_market m ON m.instrument_id = p.instrument_id
    UNION ALL
    SELECT c.account_id, c.balance, c.currency, 'spot', 'linear', NULL, ix.price, NULL, NULL, NULL, 1, ix.price, NULL
    FROM %1$I.collateral c JOIN %1$I.index_prices ix ON ix.underlying = c.currency),
  pnl AS (
    SELECT x.account_id, %2$I.stress_pnl(sc.s, x.quantity, x.underlying, x.kind, x.settlement, x.option_type, x.forward,
                                         x.strike, x.t, x.vol, x.multiplier, x.index_price, x.rate) AS p
    FROM x CROSS JOIN sc WHERE sc.s IS NOT NULL
    GROUP BY x.account_id)
  SELECT a.account_id, u.k::integer, u.name, -u.v, a.initial_margin, a.maintenance_margin, a.gross_equity,
         greatest(0, -u.v - a.initial_margin), greatest(0, -u.v - a.gross_equity)
  FROM %1$I.account_margin_detail a
  CROSS JOIN sc
  LEFT JOIN pnl ON pnl.account_id = a.account_id
  CROSS JOIN LATERAL unnest(coalesce(pnl.p, sc.zeros), sc.names) WITH ORDINALITY AS u(v, name, k)
$q$;
  EXECUTE format($ddl$
CREATE TABLE IF NOT EXISTS %1$I.stress_scenarios (
    name     text PRIMARY KEY,
    scenario %2$I.stress_scenario NOT NULL CHECK ((scenario).name = name),
    added_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE %1$I.stress_scenarios IS 'the venue''s stress scenarios: the stress_losses, stress_scenario_cover and stress_cover views revalue every account under each (fill from portmargin.stress_library, portmargin.hypothetical_stress, portmargin.historical_stresses, portmargin.mirrored)';

CREATE OR REPLACE FUNCTION %1$I.stress_losses_for(scenarios %2$I.stress_scenario[])
RETURNS TABLE (account_id bigint, scenario_idx integer, scenario text, loss float8, initial_margin float8,
               maintenance_margin float8, equity float8, loss_beyond_margin float8, uncovered float8)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  WITH chk AS MATERIALIZED (SELECT %2$I.stress_set(scenarios) AS s)
  SELECT l.* FROM chk CROSS JOIN LATERAL (%3$s) AS l(account_id, scenario_idx, scenario, loss, initial_margin,
                                                     maintenance_margin, equity, loss_beyond_margin, uncovered);
END;
COMMENT ON FUNCTION %1$I.stress_losses_for(%2$I.stress_scenario[]) IS 'the stress report for scenarios: one row per account and scenario with its loss (USD, at the stressed prices, positions and non-USD collateral; gains negative), initial and maintenance margin and gross equity now (USD), the loss beyond its initial margin and the uncovered loss (beyond its equity: what the venue''s own resources absorb if it defaults); ERROR 22023 for an empty list';

CREATE OR REPLACE VIEW %1$I.stress_losses (account_id, scenario_idx, scenario, loss, initial_margin, maintenance_margin,
    equity, loss_beyond_margin, uncovered) AS
%4$s;
COMMENT ON VIEW %1$I.stress_losses IS 'the stress report: one row per account and scenario of stress_scenarios (scenario_idx in name order) with its loss (USD at the stressed prices, positions and non-USD collateral; gains negative), initial and maintenance margin and gross equity now (USD), loss_beyond_margin = max(0, loss - initial margin) and uncovered = max(0, loss - equity)';

CREATE OR REPLACE VIEW %1$I.stress_scenario_cover AS
SELECT x.scenario_idx, x.scenario, x.accounts, x.total_loss, x.accounts_in_deficit, x.total_deficit,
       coalesce(x.top_u[1], 0) AS cover_1, coalesce(x.top_u[1], 0) + coalesce(x.top_u[2], 0) AS cover_2,
       x.top_u_accounts[1:2] AS cover_2_accounts, x.accounts_beyond_margin, x.total_beyond_margin,
       coalesce(x.top_m[1], 0) AS cover_1_margin, coalesce(x.top_m[1], 0) + coalesce(x.top_m[2], 0) AS cover_2_margin,
       x.top_m_accounts[1:2] AS cover_2_margin_accounts
FROM (
  -- grouped by the index alone (hashed; an ordered aggregate sorts only its group's deficits)
  SELECT l.scenario_idx, min(l.scenario) AS scenario, pg_catalog.count(*) AS accounts, sum(l.loss) AS total_loss,
         pg_catalog.count(*) FILTER (WHERE l.uncovered > 0) AS accounts_in_deficit, sum(l.uncovered) AS total_deficit,
         pg_catalog.count(*) FILTER (WHERE l.loss_beyond_margin > 0) AS accounts_beyond_margin,
         sum(l.loss_beyond_margin) AS total_beyond_margin,
         -- the largest first (ties: the smaller account_id); only the accounts with something uncovered
         array_agg(l.uncovered ORDER BY l.uncovered DESC, l.account_id) FILTER (WHERE l.uncovered > 0) AS top_u,
         array_agg(l.account_id ORDER BY l.uncovered DESC, l.account_id) FILTER (WHERE l.uncovered > 0) AS top_u_accounts,
         array_agg(l.loss_beyond_margin ORDER BY l.loss_beyond_margin DESC, l.account_id) FILTER (WHERE l.loss_beyond_margin > 0) AS top_m,
         array_agg(l.account_id ORDER BY l.loss_beyond_margin DESC, l.account_id) FILTER (WHERE l.loss_beyond_margin > 0) AS top_m_accounts
  FROM %1$I.stress_losses l
  GROUP BY l.scenario_idx) x;
COMMENT ON VIEW %1$I.stress_scenario_cover IS 'per stress scenario: accounts, total loss, the accounts in deficit (uncovered > 0) and the total deficit, cover_1 and cover_2 (the largest and the two largest uncovered losses, with the two accounts) and the same beyond initial margin (cover_1_margin, cover_2_margin: the CCP view, where only margin is held), USD';

CREATE OR REPLACE VIEW %1$I.stress_cover AS
WITH c AS MATERIALIZED (SELECT * FROM %1$I.stress_scenario_cover)
SELECT c1.cover_1, c1.scenario AS cover_1_scenario, c2.cover_2, c2.scenario AS cover_2_scenario, c2.cover_2_accounts,
       m1.cover_1_margin, m1.scenario AS cover_1_margin_scenario, m2.cover_2_margin, m2.scenario AS cover_2_margin_scenario,
       m2.cover_2_margin_accounts, w.accounts_in_deficit AS max_accounts_in_deficit, w.total_deficit AS max_total_deficit,
       w.scenario AS max_total_deficit_scenario
FROM (SELECT c.cover_1, c.scenario FROM c ORDER BY c.cover_1 DESC, c.scenario_idx LIMIT 1) c1,
     (SELECT c.cover_2, c.scenario, c.cover_2_accounts FROM c ORDER BY c.cover_2 DESC, c.scenario_idx LIMIT 1) c2,
     (SELECT c.cover_1_margin, c.scenario FROM c ORDER BY c.cover_1_margin DESC, c.scenario_idx LIMIT 1) m1,
     (SELECT c.cover_2_margin, c.scenario, c.cover_2_margin_accounts FROM c ORDER BY c.cover_2_margin DESC, c.scenario_idx LIMIT 1) m2,
     (SELECT c.accounts_in_deficit, c.total_deficit, c.scenario FROM c ORDER BY c.total_deficit DESC, c.scenario_idx LIMIT 1) w;
COMMENT ON VIEW %1$I.stress_cover IS 'the venue''s cover-1 and cover-2 (CPMI-IOSCO PFMI, principle 4, key consideration 4): over the stress scenarios, the largest uncovered loss of one account and of two accounts together in one scenario, with the scenario and accounts; the same beyond initial margin; and the scenario with the largest total deficit, USD';
$ddl$, target, pm,
    format('%s', format(q_losses, target, pm, 'scenarios')),
    format(q_losses, target, pm, format('(SELECT coalesce(array_agg(s.scenario ORDER BY s.name), ''{}'') FROM %I.stress_scenarios s)', target)));

  -- the liquidation cascade: margin passes at moving prices (caller's rights: it reads the positions)
  body := format($b$
DECLARE
  pm_p0 float8;
  pm_p float8;
  pm_beta float8;
  pm_done bigint[] := '{}';
  pm_pending bigint[] := '{}';
  pm_new bigint[];
  pm_flow float8;
  pm_sf float8;
  pm_total float8 := 0;
  pm_r integer := 0;
  pm_stop text;
  pm_prev_price float8;
  pm_prev_flow float8 := 0;
  pm_prev_round integer := 0;
BEGIN
  IF liquidation_cascade.underlying IS NULL OR shock IS NULL OR depth IS NULL OR impact IS NULL OR model IS NULL
     OR max_rounds IS NULL THEN
    RAISE EXCEPTION 'argument "%%" must not be NULL',
      CASE WHEN liquidation_cascade.underlying IS NULL THEN 'underlying' WHEN shock IS NULL THEN 'shock' WHEN depth IS NULL THEN 'depth'
           WHEN impact IS NULL THEN 'impact' WHEN model IS NULL THEN 'model' ELSE 'max_rounds' END USING ERRCODE = '22004';
  END IF;
  IF NOT (shock > -1 AND shock < 'Infinity') THEN
    RAISE EXCEPTION 'invalid value for argument "shock": %%', shock USING ERRCODE = '22023',
      DETAIL = 'The initial shock is a finite relative price move greater than -1 (-0.2 = down 20%%).';
  END IF;
  IF NOT (depth > 0 AND depth < 'Infinity') THEN
    RAISE EXCEPTION 'invalid value for argument "depth": %%', depth USING ERRCODE = '22023',
      DETAIL = 'The market depth is a finite quantity of the underlying greater than zero.';
  END IF;
  IF NOT (impact > 0 AND impact < 'Infinity') THEN
    RAISE EXCEPTION 'invalid value for argument "impact": %%', impact USING ERRCODE = '22023',
      DETAIL = 'The impact coefficient is a finite number greater than zero.';
  END IF;
  IF model NOT IN ('linear', 'square_root') THEN
    RAISE EXCEPTION 'invalid value for argument "model": %%', quote_literal(model) USING ERRCODE = '22023',
      HINT = 'Valid models are linear and square_root.';
  END IF;
  IF max_rounds < 1 OR max_rounds > 10000 THEN
    RAISE EXCEPTION 'invalid value for argument "max_rounds": %%', max_rounds USING ERRCODE = '22023',
      DETAIL = 'The round limit is between 1 and 10000.';
  END IF;
  SELECT ix.price INTO pm_p0 FROM %1$I.index_prices ix WHERE ix.underlying = liquidation_cascade.underlying;
  IF pm_p0 IS NULL THEN
    RAISE EXCEPTION 'invalid value for argument "underlying": %%', quote_literal(liquidation_cascade.underlying)
      USING ERRCODE = '22023', DETAIL = 'index_prices has no price for it.';
  END IF;
  pm_beta := CASE model WHEN 'linear' THEN 1 ELSE 0.5 END;
  pm_p := pm_p0 * (1 + shock);
  pm_prev_price := pm_p0;
  LOOP
    pm_r := pm_r + 1;
    -- one margin pass at pm_p: the accounts liquidated in the round before close at this price (their shortfall is
    -- their negative equity here), and the accounts now at or below their liquidation level are this round's
    SELECT coalesce(sum(greatest(0, -a.gross_equity)) FILTER (WHERE a.account_id = ANY (pm_pending)), 0),
           coalesce(array_agg(a.account_id ORDER BY a.account_id)
                      FILTER (WHERE a.status = 'liquidation' AND (a.maintenance_margin > 0 OR a.gross_equity < 0)
                              AND NOT a.account_id = ANY (pm_done)), '{}')
      INTO pm_sf, pm_new
    FROM %1$I.account_margin_at(liquidation_cascade.underlying, pm_p) a;
    pm_total := pm_total + pm_sf;
    pm_stop := CASE WHEN cardinality(pm_new) = 0 THEN 'fixed point' WHEN pm_r > max_rounds THEN 'round limit' END;
    round := pm_prev_round; price := pm_prev_price; accounts_liquidated := cardinality(pm_pending);
    account_ids := pm_pending; volume := pm_prev_flow; price_after := pm_p; shortfall := pm_sf;
    total_shortfall := pm_total; stopped := pm_stop;
    RETURN NEXT;
    EXIT WHEN pm_stop IS NOT NULL;
    -- round pm_r: the new accounts' positions on the underlying are closed: their delta (underlying units, at pm_p)
    -- traded the other way moves the price by the impact model
    SELECT coalesce(-sum(pv.quantity * pv.multiplier *
             CASE WHEN pv.kind = 'option'
                  THEN %2$I.black76_delta(pv.option_type, pv.forward, pv.strike, pv.t, coalesce(pv.vol, 0),
                                          CASE WHEN pv.settlement = 'linear' THEN pv.rate ELSE 0 END)
                       * CASE WHEN pv.settlement = 'inverse' THEN pv.index_price / pv.forward ELSE 1 END
                  ELSE 1 END), 0)
      INTO pm_flow
    FROM %1$I.position_values_at(liquidation_cascade.underlying, pm_p) pv
    WHERE pv.account_id = ANY (pm_new) AND pv.underlying = liquidation_cascade.underlying;
    pm_prev_round := pm_r; pm_prev_price := pm_p; pm_prev_flow := pm_flow;
    pm_pending := pm_new; pm_done := pm_done || pm_new;
    pm_p := pm_p * exp(sign(pm_flow) * impact * power(abs(pm_flow) / depth, pm_beta));
    IF NOT (pm_p > 0 AND pm_p < 'Infinity') THEN
      RAISE EXCEPTION 'liquidation cascade: the price of %% left the finite positive numbers in round %%',
        liquidation_cascade.underlying, pm_r USING ERRCODE = '22003', HINT = 'Use a larger depth or a smaller impact.';
    END IF;
  END LOOP;
END
$b$, target, pm);
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.liquidation_cascade(underlying text, shock float8, depth float8, impact float8,
    model text DEFAULT 'square_root', max_rounds integer DEFAULT 20)
RETURNS TABLE (round integer, price float8, accounts_liquidated integer, account_ids bigint[], volume float8,
               price_after float8, shortfall float8, total_shortfall float8, stopped text)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp
AS %2$L;
COMMENT ON FUNCTION %1$I.liquidation_cascade(text, float8, float8, float8, text, integer) IS 'a liquidation cascade on one underlying (others fixed): round 0 moves its index and forwards by shock; in each round the accounts whose equity is at or below their liquidation level (status liquidation, with a maintenance margin or negative equity) are liquidated: their positions on the underlying are closed, the signed volume (-their delta, underlying units; > 0 buys) moves the price by ln(p_after / p) = sign(volume) impact (|volume| / depth)^b, b = 1 (linear) or 1/2 (square_root), and they close at p_after with shortfall max(0, -equity there) (the insurance fund''s draw); it repeats until no account is liquidated (stopped = fixed point) or after max_rounds (round limit).  One row per round: price, accounts liquidated, volume, price after, shortfall, running total';
$ddl$, target, body);

  -- correlation stress: margin under Monte Carlo scenarios of a stressed and of the normal correlation matrix
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.correlation_stress(underlyings text[], vols float8[], correlation float8[],
    stressed_correlation float8[], scenarios integer DEFAULT 10000, seed bigint DEFAULT 1, confidence float8 DEFAULT 0.99)
RETURNS TABLE (account_id bigint, currency text, margin_normal float8, margin_stressed float8, change float8)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  WITH sets AS MATERIALIZED (
    SELECT %2$I.monte_carlo_scenarios(underlyings, vols, correlation, scenarios, seed, confidence => confidence) AS normal,
           %2$I.monte_carlo_scenarios(underlyings, vols, stressed_correlation, scenarios, seed, confidence => confidence) AS stressed),
  m AS (
    SELECT pv.account_id,
           %2$I.portfolio_margin(%2$I.position(quantity => pv.quantity, underlying => pv.underlying, kind => pv.kind,
                                               settlement => pv.settlement, option_type => pv.option_type, forward => pv.forward,
                                               strike => pv.strike, t => pv.t, vol => pv.vol, multiplier => pv.multiplier,
                                               index_price => pv.index_price), sets.normal) AS n,
           %2$I.portfolio_margin(%2$I.position(quantity => pv.quantity, underlying => pv.underlying, kind => pv.kind,
                                               settlement => pv.settlement, option_type => pv.option_type, forward => pv.forward,
                                               strike => pv.strike, t => pv.t, vol => pv.vol, multiplier => pv.multiplier,
                                               index_price => pv.index_price), sets.stressed) AS s
    FROM %1$I.position_values pv CROSS JOIN sets
    GROUP BY pv.account_id)
  SELECT m.account_id, (m.n).currency, (m.n).initial_margin, (m.s).initial_margin, (m.s).initial_margin - (m.n).initial_margin
  FROM m ORDER BY m.account_id;
END;
COMMENT ON FUNCTION %1$I.correlation_stress(text[], float8[], float8[], float8[], integer, bigint, float8) IS 'per account with positions: its expected-shortfall margin (portfolio_margin, var method, at confidence) under Monte Carlo scenarios (monte_carlo_scenarios: horizon vols, Gaussian) with the normal correlation matrix and with a stressed one (e.g. portmargin.stressed_correlation), drawn from the same seed (the same normal draws, only the correlation differs), in the margin''s currency, and the change; underlyings must name every underlying of the positions';
$ddl$, target, pm);
  RETURN target;
END
$fn$;
COMMENT ON FUNCTION @extschema@.create_stress_tables(text) IS
  'adds stress testing to reference schema target: the table stress_scenarios, the views stress_losses (the stress report per account and scenario), stress_scenario_cover and stress_cover (cover-1, cover-2), and the functions stress_losses_for(scenarios), liquidation_cascade and correlation_stress; idempotent, and re-run by upgrade_reference_schema';

-- ---------------------------------------------------------------------------------------------------------------
-- issue 16, point 2: the stressed period found for you
-- ---------------------------------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.stressed_window(pnl float8[], window_size integer, confidence float8 DEFAULT 0.99,
                                           statistic text DEFAULT 'es', days date[] DEFAULT NULL,
                                           OUT first_scenario integer, OUT last_scenario integer, OUT first_day date,
                                           OUT last_day date, OUT value float8, OUT windows integer)
AS 'MODULE_PATHNAME', 'portmargin_stressed_window' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.stressed_window(float8[], integer, float8, text, date[]) IS
  'the most stressed period of a P&L series (scenarios oldest first, e.g. a book''s P&L under historical_scenarios): of the windows of window_size consecutive scenarios, the one with the highest expected shortfall (statistic es) or VaR (var) of its losses at confidence, the first such window on ties; its first and last scenario, their days (days: one per scenario, e.g. historical_scenario_days().last_day), the statistic and the number of windows examined';

-- the days each historical scenario spans, by historical_scenarios' alignment (complete-case days, returns across
-- gaps, the last lookback returns, overlapping or sqrt scaling)
CREATE FUNCTION @extschema@.historical_scenario_days(underlyings text[], days date[], horizon integer DEFAULT 1,
                                                    scaling text DEFAULT 'overlapping', lookback integer DEFAULT NULL,
                                                    input text DEFAULT 'price')
RETURNS TABLE (idx integer, first_day date, last_day date)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  cal date[];
  nret integer;
  first_ret integer;
  w record;
BEGIN
  IF underlyings IS NULL OR days IS NULL OR horizon IS NULL OR scaling IS NULL OR input IS NULL THEN
    RAISE EXCEPTION 'argument "%" must not be NULL',
      CASE WHEN underlyings IS NULL THEN 'underlyings' WHEN days IS NULL THEN 'days' WHEN horizon IS NULL THEN 'horizon'
           WHEN scaling IS NULL THEN 'scaling' ELSE 'input' END USING ERRCODE = '22004';
  END IF;
  IF cardinality(underlyings) <> cardinality(days) THEN
    RAISE EXCEPTION 'invalid value for argument "days": % elements for % underlyings', cardinality(days), cardinality(underlyings)
      USING ERRCODE = '22023';
  END IF;
  IF horizon < 1 THEN
    RAISE EXCEPTION 'invalid value for argument "horizon": %', horizon USING ERRCODE = '22023',
      DETAIL = 'The horizon is a number of days, at least 1.';
  END IF;
  IF scaling NOT IN ('overlapping', 'sqrt') THEN
    RAISE EXCEPTION 'invalid value for argument "scaling": %', quote_literal(scaling) USING ERRCODE = '22023',
      HINT = 'Valid scalings are overlapping and sqrt.';
  END IF;
  IF input NOT IN ('price', 'return') THEN
    RAISE EXCEPTION 'invalid value for argument "input": %', quote_literal(input) USING ERRCODE = '22023',
      HINT = 'Valid inputs are price and return.';
  END IF;
  IF lookback IS NOT NULL AND lookback < 1 THEN
    RAISE EXCEPTION 'invalid value for argument "lookback": %', lookback USING ERRCODE = '22023';
  END IF;
  SELECT o.u, o.d INTO w FROM unnest(underlyings, days) o(u, d)
  WHERE o.u IS NULL OR o.d IS NULL OR NOT isfinite(o.d) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'invalid value for argument "%": an observation of % on %', CASE WHEN w.u IS NULL THEN 'underlyings' ELSE 'days' END,
      coalesce(w.u, 'NULL'), coalesce(w.d::text, 'NULL') USING ERRCODE = '22023';
  END IF;
  SELECT o.u, o.d INTO w FROM unnest(underlyings, days) o(u, d) GROUP BY o.u, o.d HAVING pg_catalog.count(*) > 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'invalid value for argument "days": underlying % appears twice on %', w.u, w.d USING ERRCODE = '22023';
  END IF;
  -- the complete-case calendar
  cal := ARRAY(SELECT o.d FROM unnest(underlyings, days) o(u, d) GROUP BY o.d
               HAVING pg_catalog.count(*) = (SELECT pg_catalog.count(DISTINCT u2) FROM unnest(underlyings) u2) ORDER BY o.d);
  -- one-day returns: price input, return j runs from cal[j] to cal[j + 1]; return input, return j is the one of cal[j]
  -- (it starts the complete day before, or itself for the first)
  nret := CASE WHEN input = 'price' THEN greatest(cardinality(cal) - 1, 0) ELSE cardinality(cal) END;
  first_ret := CASE WHEN lookback IS NOT NULL AND lookback < nret THEN nret - lookback + 1 ELSE 1 END;
  RETURN QUERY
  SELECT (k - first_ret + 1)::integer,
         CASE WHEN input = 'price' THEN cal[k] ELSE cal[greatest(k - 1, 1)] END,
         CASE WHEN input = 'price' THEN cal[k + CASE WHEN scaling = 'sqrt' THEN 1 ELSE horizon END]
              ELSE cal[k + CASE WHEN scaling = 'sqrt' THEN 0 ELSE horizon - 1 END] END
  FROM generate_series(first_ret, nret - CASE WHEN scaling = 'sqrt' THEN 0 ELSE horizon - 1 END) k;
END
$fn$;
COMMENT ON FUNCTION @extschema@.historical_scenario_days(text[], date[], integer, text, integer, text) IS
  'the days each scenario of historical_scenarios(underlyings, days, ..., horizon, returns, scaling, lookback, ..., input) spans, by its alignment (days on which every underlying has a value; the last lookback one-day returns; overlapping horizon-day windows or one day with sqrt scaling): scenario idx from first_day to last_day (with input return, first_day is the complete day before the first return, or that return''s day for the very first)';

-- ---------------------------------------------------------------------------------------------------------------
-- issue 16, point 8: concentration and liquidity add-on for the var method
-- ---------------------------------------------------------------------------------------------------------------

-- ISDA SIMM's concentration risk factor: CR = max(1, sqrt(|exposure| / threshold))
CREATE FUNCTION @extschema@.concentration_factor(exposure float8, threshold float8)
RETURNS float8
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF exposure IS NULL OR threshold IS NULL THEN
    RAISE EXCEPTION 'argument "%" must not be NULL', CASE WHEN exposure IS NULL THEN 'exposure' ELSE 'threshold' END
      USING ERRCODE = '22004';
  END IF;
  IF NOT (exposure > '-Infinity' AND exposure < 'Infinity') THEN
    RAISE EXCEPTION 'invalid value for argument "exposure": %', exposure USING ERRCODE = '22023',
      DETAIL = 'An exposure is a finite number.';
  END IF;
  IF NOT (threshold > 0 AND threshold < 'Infinity') THEN
    RAISE EXCEPTION 'invalid value for argument "threshold": %', threshold USING ERRCODE = '22023',
      DETAIL = 'A concentration threshold is a finite number greater than zero, in the unit of the exposure.';
  END IF;
  RETURN greatest(1, sqrt(abs(exposure) / threshold));
END
$fn$;
COMMENT ON FUNCTION @extschema@.concentration_factor(float8, float8) IS
  'the concentration risk factor of ISDA SIMM: max(1, sqrt(|exposure| / threshold)), 1 up to the threshold and growing with the square root of the position beyond it (exposure and threshold in one unit, e.g. net delta in underlying units and the quantity the market absorbs over the margin period of risk)';

-- per risk unit of a var-method margin: its Euler contribution x (CR - 1), for the units that add to the margin
CREATE FUNCTION @extschema@.concentration_addon(units text[], unit_margins float8[], exposures float8[], thresholds float8[])
RETURNS TABLE (unit text, unit_margin float8, exposure float8, threshold float8, factor float8, addon float8)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  n integer;
  k integer;
BEGIN
  IF units IS NULL OR unit_margins IS NULL OR exposures IS NULL OR thresholds IS NULL THEN
    RAISE EXCEPTION 'argument "%" must not be NULL',
      CASE WHEN units IS NULL THEN 'units' WHEN unit_margins IS NULL THEN 'unit_margins' WHEN exposures IS NULL THEN 'exposures'
           ELSE 'thresholds' END USING ERRCODE = '22004';
  END IF;
  n := cardinality(units);
  IF cardinality(unit_margins) <> n OR cardinality(exposures) <> n OR cardinality(thresholds) <> n THEN
    RAISE EXCEPTION 'invalid value for argument "%": % elements for % units',
      CASE WHEN cardinality(unit_margins) <> n THEN 'unit_margins' WHEN cardinality(exposures) <> n THEN 'exposures' ELSE 'thresholds' END,
      CASE WHEN cardinality(unit_margins) <> n THEN cardinality(unit_margins) WHEN cardinality(exposures) <> n THEN cardinality(exposures)
           ELSE cardinality(thresholds) END, n
      USING ERRCODE = '22023', DETAIL = 'One unit margin, exposure and threshold per unit.';
  END IF;
  FOR k IN 1 .. n LOOP
    IF unit_margins[k] IS NULL OR NOT (unit_margins[k] > '-Infinity' AND unit_margins[k] < 'Infinity') THEN
      RAISE EXCEPTION 'invalid value for argument "unit_margins": element % is %', k, coalesce(unit_margins[k]::text, 'NULL')
        USING ERRCODE = '22023';
    END IF;
    unit := units[k];
    unit_margin := unit_margins[k];
    exposure := exposures[k];
    threshold := thresholds[k];
    factor := @extschema@.concentration_factor(exposures[k], thresholds[k]);
    addon := greatest(0, unit_margins[k]) * (factor - 1);
    RETURN NEXT;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION @extschema@.concentration_addon(text[], float8[], float8[], float8[]) IS
  'the concentration / liquidity add-on of a var-method margin per risk unit: max(0, unit margin) x (concentration_factor(exposure, threshold) - 1), with the unit margins the margin''s Euler contributions (unit_margins, in the order of risk_units) and per unit its exposure and the threshold beyond which it is concentrated; the margin with the add-on is initial_margin + sum(addon)';

-- ---------------------------------------------------------------------------------------------------------------
-- issue 16, point 4: backtesting on the margin history
-- ---------------------------------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.create_backtest_tables(target text)
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $fn$
DECLARE
  pm text := (SELECT n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
              WHERE e.extname = 'portmargin');
  body text;
BEGIN
  PERFORM @extschema@.reference_schema_arg(target, ARRAY['margin_history', 'position_values']);
  EXECUTE format($ddl$
CREATE TABLE IF NOT EXISTS %1$I.position_history (
    snapshot_at   timestamptz NOT NULL,
    account_id    bigint NOT NULL,
    instrument_id bigint NOT NULL,
    quantity      float8 NOT NULL,
    underlying    text NOT NULL,
    kind          text NOT NULL,
    settlement    text NOT NULL,
    option_type   text,
    strike        float8,
    t             float8,
    forward       float8 NOT NULL,
    vol           float8,
    multiplier    float8 NOT NULL,
    index_price   float8 NOT NULL,
    rate          float8,
    PRIMARY KEY (snapshot_at, account_id, instrument_id)
);
COMMENT ON TABLE %1$I.position_history IS 'the positions of every snapshot of margin_history, frozen with their market data (written by a trigger on margin_history when snapshot_margins runs): the portfolio whose hypothetical P&L backtests the snapshot''s margin';

CREATE TABLE IF NOT EXISTS %1$I.index_price_history (
    underlying text NOT NULL,
    at         timestamptz NOT NULL,
    price      float8 NOT NULL CHECK (price > 0),
    PRIMARY KEY (underlying, at)
);
COMMENT ON TABLE %1$I.index_price_history IS 'index prices over time (every change of index_prices is appended by a trigger; load older ones yourself): the prices at the end of each margin period';

CREATE OR REPLACE FUNCTION %1$I.record_position_history() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $t$
BEGIN
  INSERT INTO %1$I.position_history (snapshot_at, account_id, instrument_id, quantity, underlying, kind, settlement, option_type,
                                     strike, t, forward, vol, multiplier, index_price, rate)
  SELECT s.snapshot_at, pv.account_id, pv.instrument_id, pv.quantity, pv.underlying, pv.kind, pv.settlement, pv.option_type,
         pv.strike, pv.t, pv.forward, pv.vol, pv.multiplier, pv.index_price, pv.rate
  FROM (SELECT DISTINCT n.snapshot_at, n.account_id FROM new_rows n) s
  JOIN %1$I.position_values pv ON pv.account_id = s.account_id
  WHERE pv.quantity <> 0
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$t$;
COMMENT ON FUNCTION %1$I.record_position_history() IS 'trigger on margin_history: freezes the snapshotted accounts'' positions with their market data into position_history';
DROP TRIGGER IF EXISTS record_position_history ON %1$I.margin_history;
CREATE TRIGGER record_position_history AFTER INSERT ON %1$I.margin_history REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION %1$I.record_position_history();

CREATE OR REPLACE FUNCTION %1$I.record_index_price() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $t$
BEGIN
  INSERT INTO %1$I.index_price_history (underlying, at, price) VALUES (NEW.underlying, NEW.as_of, NEW.price)
  ON CONFLICT (underlying, at) DO UPDATE SET price = EXCLUDED.price;
  RETURN NULL;
END
$t$;
COMMENT ON FUNCTION %1$I.record_index_price() IS 'trigger on index_prices: appends each new or changed index price to index_price_history';
DROP TRIGGER IF EXISTS record_index_price ON %1$I.index_prices;
CREATE TRIGGER record_index_price AFTER INSERT OR UPDATE ON %1$I.index_prices
  FOR EACH ROW EXECUTE FUNCTION %1$I.record_index_price();
INSERT INTO %1$I.index_price_history (underlying, at, price) SELECT ix.underlying, ix.as_of, ix.price FROM %1$I.index_prices ix
ON CONFLICT DO NOTHING;
$ddl$, target);

  -- the hypothetical P&L of each snapshot's frozen portfolio over the horizon after it (caller's rights)
  body := format($b$
#variable_conflict use_column
DECLARE
  h_years float8;
BEGIN
  IF horizon IS NULL OR non_overlapping IS NULL THEN
    RAISE EXCEPTION 'argument "%%" must not be NULL', CASE WHEN horizon IS NULL THEN 'horizon' ELSE 'non_overlapping' END
      USING ERRCODE = '22004';
  END IF;
  IF NOT (horizon > interval '0') THEN
    RAISE EXCEPTION 'invalid value for argument "horizon": %%', horizon USING ERRCODE = '22023',
      DETAIL = 'The margin period of risk is a positive interval, e.g. 2 days.';
  END IF;
  h_years := extract(epoch FROM horizon) / (365 * 86400.0);
  RETURN QUERY
  WITH snaps AS (
    -- the snapshots whose horizon has elapsed in the price history
    SELECT DISTINCT m.snapshot_at FROM %1$I.margin_history m
    WHERE m.snapshot_at + horizon <= (SELECT max(ph.at) FROM %1$I.index_price_history ph)),
  kept AS (
    -- non-overlapping: from the first snapshot, each next one at least a horizon after the last kept
    SELECT s.snapshot_at FROM snaps s WHERE NOT non_overlapping
    UNION ALL
    SELECT k.snapshot_at FROM (
      WITH RECURSIVE pick AS (
        (SELECT s.snapshot_at FROM snaps s ORDER BY s.snapshot_at LIMIT 1)
        UNION ALL
        SELECT (SELECT s.snapshot_at FROM snaps s WHERE s.snapshot_at >= p.snapshot_at + horizon ORDER BY s.snapshot_at LIMIT 1)
        FROM pick p WHERE p.snapshot_at IS NOT NULL)
      SELECT pick.snapshot_at FROM pick WHERE pick.snapshot_at IS NOT NULL) k
    WHERE non_overlapping),
  pos AS (
    SELECT p.*, (SELECT ph.price FROM %1$I.index_price_history ph
                 WHERE ph.underlying = p.underlying AND ph.at <= p.snapshot_at + horizon ORDER BY ph.at DESC LIMIT 1) AS end_price
    FROM %1$I.position_history p JOIN kept USING (snapshot_at)),
  val AS (
    SELECT pos.snapshot_at, pos.account_id, pos.instrument_id,
           pos.quantity * pos.multiplier * CASE
             WHEN pos.kind = 'option' THEN
               CASE WHEN pos.settlement = 'inverse'
                    THEN %2$I.black76_price(pos.option_type, pos.forward * pos.end_price / pos.index_price, pos.strike,
                                            greatest(0, pos.t - h_years), coalesce(pos.vol, 0), 0)
                         * pos.index_price / pos.forward
                         - %2$I.black76_price(pos.option_type, pos.forward, pos.strike, pos.t, coalesce(pos.vol, 0), 0)
                         * pos.index_price / pos.forward
                    ELSE %2$I.black76_price(pos.option_type, pos.forward * pos.end_price / pos.index_price, pos.strike,
                                            greatest(0, pos.t - h_years), coalesce(pos.vol, 0), coalesce(pos.rate, 0))
                         - %2$I.black76_price(pos.option_type, pos.forward, pos.strike, pos.t, coalesce(pos.vol, 0), coalesce(pos.rate, 0))
               END
             WHEN pos.kind IN ('future', 'perpetual') AND pos.settlement = 'inverse' THEN pos.end_price - pos.index_price
             ELSE pos.forward * pos.end_price / pos.index_price - pos.forward END AS pnl
    FROM pos WHERE pos.end_price IS NOT NULL)
  SELECT m.snapshot_at, m.account_id, m.snapshot_at + horizon, m.initial_margin, coalesce(v.pnl, 0),
         -coalesce(v.pnl, 0) > m.initial_margin
  FROM %1$I.margin_history m
  JOIN kept USING (snapshot_at)
  -- summed in instrument order, so the same snapshot gives the same sum whatever the plan
  LEFT JOIN (SELECT val.snapshot_at, val.account_id, sum(val.pnl ORDER BY val.instrument_id) AS pnl
             FROM val GROUP BY val.snapshot_at, val.account_id) v
    ON v.snapshot_at = m.snapshot_at AND v.account_id = m.account_id
  ORDER BY m.snapshot_at, m.account_id;
END
$b$, target, pm);
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.hypothetical_pnl(horizon interval DEFAULT '1 day', non_overlapping boolean DEFAULT false)
RETURNS TABLE (snapshot_at timestamptz, account_id bigint, end_at timestamptz, initial_margin float8, pnl float8, exception boolean)
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS %3$L;
COMMENT ON FUNCTION %1$I.hypothetical_pnl(interval, boolean) IS 'per snapshot of margin_history whose horizon has elapsed in index_price_history, and account: the hypothetical P&L (USD) of the positions frozen at the snapshot (position_history) over the margin period of risk horizon: index and forwards moved to the last index price at or before snapshot_at + horizon, options aged by the horizon at their snapshot vol, against the snapshot''s initial margin; exception = the loss exceeds it; non_overlapping keeps snapshots at least a horizon apart';

CREATE OR REPLACE FUNCTION %1$I.backtest_history(horizon interval DEFAULT '1 day', confidence float8 DEFAULT 0.99,
                                                 non_overlapping boolean DEFAULT false)
RETURNS TABLE (account_id bigint, result %2$I.backtest_result)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  WITH h AS MATERIALIZED (SELECT * FROM %1$I.hypothetical_pnl(horizon, non_overlapping))
  SELECT h.account_id, %2$I.backtest(h.initial_margin, h.pnl, (h.snapshot_at AT TIME ZONE 'UTC')::date, confidence)
  FROM h GROUP BY h.account_id
  UNION ALL
  SELECT NULL::bigint, %2$I.backtest(f.margin, f.pnl, (f.snapshot_at AT TIME ZONE 'UTC')::date, confidence)
  FROM (SELECT h.snapshot_at, sum(h.initial_margin) AS margin, sum(h.pnl) AS pnl FROM h GROUP BY h.snapshot_at) f
  HAVING count(*) > 0;
END;
COMMENT ON FUNCTION %1$I.backtest_history(interval, float8, boolean) IS 'the backtest (portmargin.backtest: Kupiec, Christoffersen, traffic light) of every account''s snapshotted initial margin against the hypothetical P&L of its frozen positions over horizon (hypothetical_pnl), one row per account and a firm-wide row (account_id NULL: the sums of margins and of P&L per snapshot); one observation per snapshot day (UTC); with overlapping horizons (daily snapshots, horizon > 1 day) consecutive observations share days of P&L and the independence test does not hold: pass non_overlapping';
$ddl$, target, pm, body);
  RETURN target;
END
$fn$;
COMMENT ON FUNCTION @extschema@.create_backtest_tables(text) IS
  'adds backtesting on the margin history to reference schema target: the tables position_history (positions frozen at each snapshot, by a trigger on margin_history) and index_price_history (appended by a trigger on index_prices), and the functions hypothetical_pnl(horizon, non_overlapping) and backtest_history(horizon, confidence, non_overlapping); idempotent';

-- ---------------------------------------------------------------------------------------------------------------
-- issue 16, point 3: implied-volatility moves in historical and Monte Carlo scenarios
-- ---------------------------------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.vol_shifts_from(scenarios @extschema@.scenario_set, vol_columns text[], underlyings text[])
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_vol_shifts_from' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.vol_shifts_from(@extschema@.scenario_set, text[], text[]) IS
  'a joint (var) set in which the columns vol_columns[k] (the moves of a volatility: a volatility index given to historical_scenarios as a price, a volatility factor of monte_carlo_scenarios) become relative volatility shifts of underlyings[k] (vol -> vol (1 + move) in each scenario) and are removed; the other columns, weights and tail parameters are kept';

-- issue 16, point 3: option ageing in joint sets.  The ageing is kept after the moves and shifts only when it is not 0,
-- so sets built before 0.4.0 (and every set without ageing) keep their bytes, hash and text form
CREATE FUNCTION @extschema@.with_ageing(scenarios @extschema@.scenario_set, ageing_days float8)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_with_ageing' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.with_ageing(@extschema@.scenario_set, float8) IS
  'the same joint (var) scenarios with option ageing: in every scenario options are revalued at their time to expiry less ageing_days / 365 (calendar days, act/365; an option that expires within it at its intrinsic value on the scenario forward), so the P&L includes the time decay over the horizon; 0 removes the ageing.  Futures, perpetuals and spot do not age.  Sets combined by blend_scenarios or with_floor must age alike; with_tail and vol_shifts_from keep it; the text form shows it as ageing_days=';

-- issue 16, point 5: anti-procyclicality as EMIR means it
-- EMIR RTS 153/2013 (https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32013R0153) art. 28(1):
-- (a) a buffer of at least 25% and (b) a weight of at least 25% on stressed observations are enforced (0: the tool
-- is not used); with_tail and blend_scenarios take the explicit override emir_minimum => false (the generators
-- var_scenarios, historical_scenarios and monte_carlo_scenarios have none: build with buffer 0, then with_tail).
-- A buffer that is drawn down when requirements rise and rebuilt when they fall (apc_buffered_margin), and the
-- procyclicality measures of Murphy, Vasios and Vause (Bank of England, 2014): peak_to_trough and
-- largest_margin_increase, per account in the reference schema's view margin_procyclicality.
DROP FUNCTION @extschema@.with_tail(@extschema@.scenario_set, float8, text, float8);
CREATE FUNCTION @extschema@.with_tail(scenarios @extschema@.scenario_set, confidence float8 DEFAULT 0.99,
    statistic text DEFAULT 'es', buffer float8 DEFAULT 0, emir_minimum boolean DEFAULT true)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_with_tail' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.with_tail(@extschema@.scenario_set, float8, text, float8, boolean) IS
  'the same joint scenarios with another confidence, statistic (var | es) and buffer (EMIR RTS 153/2013 art. 28(1)(a): 0 or at least 0.25; a buffer strictly between 0 and 0.25 is an ERROR unless emir_minimum is false, the documented override)';

DROP FUNCTION @extschema@.blend_scenarios(@extschema@.scenario_set, @extschema@.scenario_set, float8);
CREATE FUNCTION @extschema@.blend_scenarios(base @extschema@.scenario_set, stressed @extschema@.scenario_set,
    stressed_weight float8, emir_minimum boolean DEFAULT true)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_blend_scenarios' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.blend_scenarios(@extschema@.scenario_set, @extschema@.scenario_set, float8, boolean) IS
  'one joint scenario set in which the stressed set''s scenarios carry stressed_weight of the probability (EMIR RTS 153/2013 art. 28(1)(b): at least 0.25; a weight below 0.25 is an ERROR unless emir_minimum is false, the documented override); tail parameters from base';

-- the margin series of apc_buffered_margin and largest_margin_increase: checked, sorted by day (shared checks)
CREATE FUNCTION @extschema@.apc_margin_series(days date[], margins float8[], OUT day date, OUT margin float8)
RETURNS SETOF record
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  k integer;
  dup date;
BEGIN
  IF days IS NULL OR margins IS NULL THEN
    RAISE EXCEPTION 'argument "%" must not be NULL', CASE WHEN days IS NULL THEN 'days' ELSE 'margins' END
      USING ERRCODE = '22004';
  END IF;
  IF coalesce(array_ndims(days), 1) <> 1 OR coalesce(array_ndims(margins), 1) <> 1 THEN
    RAISE EXCEPTION 'invalid value for argument "%": a one-dimensional array is needed',
      CASE WHEN coalesce(array_ndims(days), 1) <> 1 THEN 'days' ELSE 'margins' END USING ERRCODE = '22023';
  END IF;
  IF cardinality(days) <> cardinality(margins) THEN
    RAISE EXCEPTION 'invalid value for argument "margins": % elements for % days', cardinality(margins), cardinality(days)
      USING ERRCODE = '22023';
  END IF;
  SELECT o INTO k FROM unnest(days) WITH ORDINALITY u(d, o) WHERE d IS NULL OR NOT isfinite(d) ORDER BY o LIMIT 1;
  IF k IS NOT NULL THEN
    RAISE EXCEPTION 'invalid value for argument "days": element % is %', k, coalesce(days[array_lower(days, 1) + k - 1]::text, 'NULL')
      USING ERRCODE = CASE WHEN days[array_lower(days, 1) + k - 1] IS NULL THEN '22004' ELSE '22023' END;
  END IF;
  SELECT o INTO k FROM unnest(margins) WITH ORDINALITY u(m, o)
  WHERE m IS NULL OR NOT (m >= 0 AND m < 'Infinity'::float8) ORDER BY o LIMIT 1;
  IF k IS NOT NULL THEN
    RAISE EXCEPTION 'invalid value for argument "margins": element % is %', k, coalesce(margins[array_lower(margins, 1) + k - 1]::text, 'NULL')
      USING ERRCODE = CASE WHEN margins[array_lower(margins, 1) + k - 1] IS NULL THEN '22004' ELSE '22023' END,
            DETAIL = 'A margin requirement is a finite number of at least 0.';
  END IF;
  SELECT d INTO dup FROM unnest(days) u(d) GROUP BY d HAVING count(*) > 1 ORDER BY d LIMIT 1;
  IF dup IS NOT NULL THEN
    RAISE EXCEPTION 'invalid value for argument "days": % appears more than once', dup USING ERRCODE = '22023',
      DETAIL = 'One margin requirement per day (e.g. the last snapshot of the day, as margin_daily).';
  END IF;
  RETURN QUERY SELECT u.d, u.m FROM unnest(days, margins) u(d, m) ORDER BY u.d;
END
$fn$;
COMMENT ON FUNCTION @extschema@.apc_margin_series(date[], float8[]) IS
  'the margin series (day, margin) of apc_buffered_margin and largest_margin_increase, sorted by day: parallel arrays of equal length, days distinct and finite, margins finite and at least 0 (ERROR 22023 / 22004 naming the argument and element otherwise)';

-- EMIR RTS 153/2013 art. 28(1)(a): a buffer "which it allows to be temporarily exhausted in periods where calculated
-- margin requirements are rising significantly"; the rule (doc/var.md): target T = C (1 + buffer); the first day
-- charges T; then M_t = min(T_t, max(C_t, M_{t-1} + replenish x buffer x C_t))
CREATE FUNCTION @extschema@.apc_buffered_margin(days date[], margins float8[], buffer float8 DEFAULT 0.25,
    replenish float8 DEFAULT 0, emir_minimum boolean DEFAULT true)
RETURNS TABLE (day date, calculated float8, target float8, charged float8, buffer_held float8, buffer_used float8,
               exhausted boolean)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  r record;
  prev float8;
BEGIN
  IF buffer IS NULL OR replenish IS NULL OR emir_minimum IS NULL THEN
    RAISE EXCEPTION 'argument "%" must not be NULL',
      CASE WHEN buffer IS NULL THEN 'buffer' WHEN replenish IS NULL THEN 'replenish' ELSE 'emir_minimum' END USING ERRCODE = '22004';
  END IF;
  IF NOT (buffer >= 0 AND buffer < 'Infinity'::float8) THEN
    RAISE EXCEPTION 'invalid value for argument "buffer": %', buffer USING ERRCODE = '22023',
      DETAIL = 'The argument must be a finite number greater than or equal to zero.';
  END IF;
  IF emir_minimum AND buffer > 0 AND buffer < 0.25 THEN
    RAISE EXCEPTION 'invalid value for argument "buffer": % is below the 0.25 minimum of EMIR RTS 153/2013 art. 28(1)(a)', buffer
      USING ERRCODE = '22023', DETAIL = 'The argument must be 0 (the tool is not used) or at least 0.25.',
            HINT = 'A smaller buffer is an explicit choice: apc_buffered_margin(days, margins, buffer, replenish, emir_minimum => false).';
  END IF;
  IF NOT (replenish >= 0 AND replenish <= 1) THEN
    RAISE EXCEPTION 'invalid value for argument "replenish": %', replenish USING ERRCODE = '22023',
      DETAIL = 'The share of the full buffer rebuilt per day is between 0 and 1.';
  END IF;
  FOR r IN SELECT s.day AS d, s.margin AS c FROM @extschema@.apc_margin_series(days, margins) s LOOP
    day := r.d;
    calculated := r.c;
    target := r.c * (1 + buffer);
    IF prev IS NULL THEN
      charged := target;
    ELSE
      charged := least(target, greatest(r.c, prev + replenish * buffer * r.c));
    END IF;
    IF charged = 'Infinity'::float8 OR target = 'Infinity'::float8 THEN
      RAISE EXCEPTION 'apc_buffered_margin: the charged margin on % is out of range for type double precision', r.d
        USING ERRCODE = '22003';
    END IF;
    buffer_held := charged - r.c;
    buffer_used := target - charged;
    exhausted := buffer > 0 AND charged = r.c;
    prev := charged;
    RETURN NEXT;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION @extschema@.apc_buffered_margin(date[], float8[], float8, float8, boolean) IS
  'EMIR RTS 153/2013 art. 28(1)(a) over a margin series (one calculated requirement C per day): the target T = C (1 + buffer); the first day charges T; then charged M_t = min(T_t, max(C_t, M_(t-1) + replenish x buffer x C_t)): a rise in C is met from the buffer (M never below C) rather than passed on, and the buffer is rebuilt when C falls (and by replenish x buffer x C a day); per day: calculated, target, charged, buffer_held (M - C), buffer_used (T - M), exhausted (M = C, buffer > 0); buffer 0 or at least 0.25 unless emir_minimum is false';

-- procyclicality measures (Murphy, Vasios and Vause, "An investigation into the procyclicality of risk-based initial
-- margin models", Bank of England Financial Stability Paper 29, 2014, https://papers.ssrn.com/sol3/papers.cfm?abstract_id=2437916)
CREATE FUNCTION @extschema@.peak_to_trough(margins float8[])
RETURNS float8
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  k integer;
  hi float8;
  lo float8;
BEGIN
  IF margins IS NULL THEN
    RAISE EXCEPTION 'argument "margins" must not be NULL' USING ERRCODE = '22004';
  END IF;
  SELECT o INTO k FROM unnest(margins) WITH ORDINALITY u(m, o)
  WHERE m IS NULL OR NOT (m >= 0 AND m < 'Infinity'::float8) ORDER BY o LIMIT 1;
  IF k IS NOT NULL THEN
    RAISE EXCEPTION 'invalid value for argument "margins": element % is %', k,
      coalesce((SELECT m::text FROM unnest(margins) WITH ORDINALITY u(m, o) WHERE o = k), 'NULL')
      USING ERRCODE = CASE WHEN (SELECT m FROM unnest(margins) WITH ORDINALITY u(m, o) WHERE o = k) IS NULL THEN '22004' ELSE '22023' END,
            DETAIL = 'A margin requirement is a finite number of at least 0.';
  END IF;
  SELECT max(m), min(m) INTO hi, lo FROM unnest(margins) u(m);
  IF lo IS NULL OR lo = 0 THEN
    RETURN NULL;          -- no requirement, or a day without one: the ratio is undefined
  END IF;
  RETURN hi / lo;
END
$fn$;
COMMENT ON FUNCTION @extschema@.peak_to_trough(float8[]) IS
  'the peak-to-trough ratio of a margin series over its window: max / min of the requirement (Murphy, Vasios and Vause 2014, Bank of England); NULL when the array is empty or its minimum is 0; elements finite and at least 0';

CREATE FUNCTION @extschema@.largest_margin_increase(days date[], margins float8[], n integer DEFAULT 1,
    OUT relative float8, OUT relative_day date, OUT amount float8, OUT amount_day date)
RETURNS record
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF n IS NULL THEN
    RAISE EXCEPTION 'argument "n" must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF n < 1 THEN
    RAISE EXCEPTION 'invalid value for argument "n": %', n USING ERRCODE = '22023',
      DETAIL = 'The horizon is a number of observations (days of the series) of at least 1.';
  END IF;
  WITH s AS (SELECT x.day, x.margin, lag(x.margin, n) OVER (ORDER BY x.day) AS before
             FROM @extschema@.apc_margin_series(days, margins) x),
  rel AS (SELECT s.day, s.margin / s.before - 1 AS v FROM s WHERE s.before > 0 ORDER BY v DESC, s.day LIMIT 1),
  amt AS (SELECT s.day, s.margin - s.before AS v FROM s WHERE s.before IS NOT NULL ORDER BY v DESC, s.day LIMIT 1)
  SELECT rel.v, rel.day, amt.v, amt.day INTO relative, relative_day, amount, amount_day
  FROM amt LEFT JOIN rel ON true;
END
$fn$;
COMMENT ON FUNCTION @extschema@.largest_margin_increase(date[], float8[], integer) IS
  'the largest n-day increase of a margin series (one requirement per day, sorted by day; n counts observations): relative = max over t of M_t / M_(t-n) - 1 (over M_(t-n) > 0) and amount = max over t of M_t - M_(t-n), each with the day t where it is first reached (Murphy, Vasios and Vause 2014, Bank of England); NULL with n or fewer observations; negative when the series never rose over n days';

-- issue 16, point 7: volatilities and correlations estimated from history
CREATE TYPE @extschema@.correlation_estimate AS (
    underlyings text[],
    method text,
    ewma_lambda float8,
    shrinkage float8,
    horizon integer,
    observations integer,
    first_day date,
    last_day date,
    vols float8[],
    correlation float8[],
    average_correlation float8,
    min_eigenvalue float8,
    max_eigenvalue float8,
    condition_number float8,
    change_max_abs float8,
    change_frobenius float8);
COMMENT ON TYPE @extschema@.correlation_estimate IS
  'horizon vols and a correlation matrix estimated from a price history (estimate_correlation), ready for monte_carlo_scenarios(underlyings, vols, correlation, ...): underlyings sorted; method sample or ewma (ewma_lambda); shrinkage toward the constant-correlation target whose off-diagonal is average_correlation (before shrinking); observations = the log returns used, from first_day''s price to last_day''s; vols = daily log-return volatility x sqrt(horizon); correlation k x k; its smallest and largest eigenvalue and condition number (largest / smallest, NULL when the smallest is not positive); change_max_abs and change_frobenius: the largest element and Frobenius norm of correlation - previous (NULL without previous)';

CREATE FUNCTION @extschema@.estimate_correlation(underlyings text[], days date[], prices float8[],
    method text DEFAULT 'sample', ewma_lambda float8 DEFAULT NULL, shrinkage float8 DEFAULT 0,
    horizon integer DEFAULT 1, lookback integer DEFAULT NULL, previous float8[] DEFAULT NULL)
RETURNS @extschema@.correlation_estimate
AS 'MODULE_PATHNAME', 'portmargin_estimate_correlation' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.estimate_correlation(text[], date[], float8[], text, float8, float8, integer, integer, float8[]) IS
  'vols and correlations from a price history (parallel arrays as historical_scenarios takes them; complete days only, log returns across gaps; the last lookback returns): method sample (unbiased, mean removed) or ewma (RiskMetrics, zero mean, seeded with the window''s mean square, ewma_lambda default 0.94), shrinkage s in [0, 1] toward the constant-correlation target (Ledoit & Wolf 2004), vols x sqrt(horizon); reports the eigenvalues, the condition number and the change against previous (the last estimate''s correlation)';

CREATE FUNCTION @extschema@.nearest_correlation(matrix float8[], tolerance float8 DEFAULT 1e-10,
    max_iterations integer DEFAULT 1000)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'portmargin_nearest_correlation' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nearest_correlation(float8[], float8, integer) IS
  'an explicit opt-in repair: the nearest correlation matrix in the Frobenius norm to a symmetric matrix with elements in [-1, 1] (Higham 2002, alternating projections with Dykstra''s correction); positive semi-definite, possibly singular (blend toward the identity before monte_carlo_scenarios if it is refused); a positive definite correlation matrix comes back unchanged; monte_carlo_scenarios itself never repairs';

-- issue 16, point 1: the tail and per-position contributions

CREATE FUNCTION @extschema@.tail_scenarios(pnl float8[], confidence float8, statistic text DEFAULT 'es',
                                           weights float8[] DEFAULT NULL)
RETURNS TABLE (scenario integer, pnl float8, weight float8)
AS 'MODULE_PATHNAME', 'portmargin_tail_scenarios' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION @extschema@.tail_scenarios(float8[], float8, text, float8[]) IS
  'the scenarios a VaR or ES of a P&L vector (gains positive) is made of, in increasing scenario order (1 = the first element), with their weights: for es, every scenario beyond the VaR with its scenario weight (1 without weights) and the VaR scenario with the part of its weight that fills the tail (0 when N(1 - confidence) is whole), so that expected_shortfall = -sum(weight pnl) / sum(weight); for var, the VaR scenario with weight 1.  The same computation as value_at_risk / expected_shortfall (Acerbi & Tasche 2002; ties: lower scenario first); weights in [0, 1]';

CREATE FUNCTION @extschema@.tail_scenarios("set" @extschema@.scenario_set, pnl float8[])
RETURNS TABLE (scenario integer, pnl float8, weight float8)
AS 'MODULE_PATHNAME', 'portmargin_tail_scenarios_set' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION @extschema@.tail_scenarios(@extschema@.scenario_set, float8[]) IS
  'the tail of the var method''s margin of an account P&L vector pnl (e.g. portfolio_margin(...).pnl) under a joint set: the binding group (the floor group when its statistic is larger), the set''s confidence and statistic, the group''s scenario weights; scenario is the set''s scenario index.  margin = max(0, -sum(weight pnl) / sum(weight)) x (1 + buffer)';

CREATE FUNCTION @extschema@.position_contributions("set" @extschema@.scenario_set, pnl float8[],
                                                   quantities float8[] DEFAULT NULL)
RETURNS TABLE (ordinal integer, contribution float8)
AS 'MODULE_PATHNAME', 'portmargin_position_contributions' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION @extschema@.position_contributions(@extschema@.scenario_set, float8[], float8[]) IS
  'per-position Euler contributions to the var method''s margin: pnl holds one P&L vector per position over the joint set''s scenarios (a k x n array, e.g. array_agg of risk_array; or k n elements position by position), quantities one factor per position (NULL: 1; e.g. quantity, times the index price for a coin-settled position in a USD account); the account P&L is their sum; ordinal i (the i-th row) gets (1 + buffer) x the mean of -quantities[i] pnl[i] over the margin''s tail (tail_scenarios), 0 when the margin is 0; the contributions add up to the margin';
