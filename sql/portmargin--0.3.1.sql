-- portmargin 0.3.1: option pricing, Greeks and implied volatility; scenario
-- sets, risk arrays and the portfolio-margin aggregate (CME SPAN, OCC TIMS /
-- FINRA 4210(g), Deribit and OKX risk matrices, user grids); joint scenarios
-- with VaR / expected-shortfall margin (historical, filtered historical, Monte
-- Carlo), backtesting; the reference schema.
--
-- The full install script of the current version: the same objects as
-- portmargin--0.1.0.sql followed by every upgrade script (sql/upgrade.sql
-- compares the two, object by object and definition by definition).
-- Every object lives in @extschema@ (portmargin) and is schema-qualified;
-- every SQL body is bound when created (BEGIN ATOMIC) or runs with
-- search_path = pg_catalog, pg_temp.

\echo Use "CREATE EXTENSION portmargin" to load this file. \quit

-- =====================================================================
-- pricing (0.1.0)
-- =====================================================================

CREATE TYPE @extschema@.greeks AS (
    price        float8,
    delta        float8,
    gamma        float8,
    vega         float8,
    theta        float8,
    theta_day    float8,
    rho          float8,
    dividend_rho float8,
    vanna        float8,
    volga        float8,
    charm        float8
);
COMMENT ON TYPE @extschema@.greeks IS
  'value and sensitivities of one option: vega per 1.00 vol, theta = -dV/dt per year (theta_day = theta/365), rho per 1.00 rate; dividend_rho is NULL for Black-76';

CREATE TYPE @extschema@.inverse_greeks AS (
    price      float8,
    price_usd  float8,
    delta      float8,
    net_delta  float8,
    gamma      float8,
    vega       float8,
    theta      float8,
    theta_day  float8,
    rho        float8
);
COMMENT ON TYPE @extschema@.inverse_greeks IS
  'coin-settled (inverse) option: price in coin, Black-Scholes delta and premium-adjusted net_delta = delta - price (coin), gamma per USD of forward, vega/theta/rho in coin';

CREATE FUNCTION @extschema@.bs_price(option_type text, spot float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0, dividend float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_bs_price'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bs_price(text, float8, float8, float8, float8, float8, float8) IS
  'Black-Scholes-Merton value of a European option on spot with continuous dividend yield';

CREATE FUNCTION @extschema@.bs_greeks(option_type text, spot float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0, dividend float8 DEFAULT 0)
RETURNS @extschema@.greeks
AS 'MODULE_PATHNAME', 'portmargin_bs_greeks'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bs_greeks(text, float8, float8, float8, float8, float8, float8) IS
  'Black-Scholes-Merton value and Greeks (spot delta, gamma, vega, theta, rho, dividend rho, vanna, volga, charm)';

CREATE FUNCTION @extschema@.bs_delta(option_type text, spot float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0, dividend float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_bs_delta'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bs_delta(text, float8, float8, float8, float8, float8, float8) IS
  'Black-Scholes-Merton delta dV/dS';

CREATE FUNCTION @extschema@.bs_gamma(option_type text, spot float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0, dividend float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_bs_gamma'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bs_gamma(text, float8, float8, float8, float8, float8, float8) IS
  'Black-Scholes-Merton gamma d2V/dS2';

CREATE FUNCTION @extschema@.bs_vega(option_type text, spot float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0, dividend float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_bs_vega'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bs_vega(text, float8, float8, float8, float8, float8, float8) IS
  'Black-Scholes-Merton vega dV/dvol, per 1.00 of volatility';

CREATE FUNCTION @extschema@.bs_theta(option_type text, spot float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0, dividend float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_bs_theta'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bs_theta(text, float8, float8, float8, float8, float8, float8) IS
  'Black-Scholes-Merton theta -dV/dt, per year';

CREATE FUNCTION @extschema@.black76_price(option_type text, forward float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_black76_price'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.black76_price(text, float8, float8, float8, float8, float8) IS
  'Black-76 value of a European option on a forward or future, discounted at rate';

CREATE FUNCTION @extschema@.black76_greeks(option_type text, forward float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0)
RETURNS @extschema@.greeks
AS 'MODULE_PATHNAME', 'portmargin_black76_greeks'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.black76_greeks(text, float8, float8, float8, float8, float8) IS
  'Black-76 value and Greeks with respect to the forward (rho with the forward held fixed)';

CREATE FUNCTION @extschema@.black76_delta(option_type text, forward float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_black76_delta'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.black76_delta(text, float8, float8, float8, float8, float8) IS
  'Black-76 delta dV/dF (discounted)';

CREATE FUNCTION @extschema@.black76_gamma(option_type text, forward float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_black76_gamma'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.black76_gamma(text, float8, float8, float8, float8, float8) IS
  'Black-76 gamma d2V/dF2';

CREATE FUNCTION @extschema@.black76_vega(option_type text, forward float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_black76_vega'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.black76_vega(text, float8, float8, float8, float8, float8) IS
  'Black-76 vega dV/dvol, per 1.00 of volatility';

CREATE FUNCTION @extschema@.black76_theta(option_type text, forward float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_black76_theta'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.black76_theta(text, float8, float8, float8, float8, float8) IS
  'Black-76 theta -dV/dt per year, forward held fixed';

CREATE FUNCTION @extschema@.inverse_price(option_type text, forward float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_inverse_price'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.inverse_price(text, float8, float8, float8, float8, float8) IS
  'value in coin of a coin-settled (inverse) option: Black-76 USD value on the forward divided by the forward';

CREATE FUNCTION @extschema@.inverse_greeks(option_type text, forward float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0)
RETURNS @extschema@.inverse_greeks
AS 'MODULE_PATHNAME', 'portmargin_inverse_greeks'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.inverse_greeks(text, float8, float8, float8, float8, float8) IS
  'coin-settled (inverse) option value and Greeks in coin terms, with Black-Scholes delta and premium-adjusted net delta';

CREATE FUNCTION @extschema@.implied_vol(price float8, option_type text, spot float8, strike float8, t float8, rate float8 DEFAULT 0, dividend float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_implied_vol'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.implied_vol(float8, text, float8, float8, float8, float8, float8) IS
  'Black-Scholes-Merton implied volatility (Let''s Be Rational-style Householder solver); NULL outside the no-arbitrage bounds, 0 at the discounted intrinsic value';

CREATE FUNCTION @extschema@.black76_implied_vol(price float8, option_type text, forward float8, strike float8, t float8, rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_black76_implied_vol'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.black76_implied_vol(float8, text, float8, float8, float8, float8) IS
  'Black-76 implied volatility; NULL outside the no-arbitrage bounds, 0 at the discounted intrinsic value';

CREATE FUNCTION @extschema@.inverse_implied_vol(price float8, option_type text, forward float8, strike float8, t float8, rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_inverse_implied_vol'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.inverse_implied_vol(float8, text, float8, float8, float8, float8) IS
  'implied volatility of a coin-settled option from its price in coin (Black-76 on the forward, as Deribit quotes mark IV)';

CREATE FUNCTION @extschema@.year_fraction(as_of timestamptz, expiry timestamptz)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_year_fraction'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.year_fraction(timestamptz, timestamptz) IS
  'ACT/365 year fraction (expiry - as_of) / 365 days of 86,400 s; negative when expiry precedes as_of';

-- =====================================================================
-- scenario sets, risk arrays, the margin aggregate (0.2.0)
-- =====================================================================

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

CREATE FUNCTION @extschema@.scenario_vols(scenario_set @extschema@.scenario_set, vol float8, t float8)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'portmargin_scenario_vols' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.scenario_vols(@extschema@.scenario_set, float8, float8) IS
  'the volatility each scenario applies to an option with implied vol vol and t years to expiry';

-- row-wise P&L: the risk array -----------------------------------------

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
    pnl                   float8[],
    var                   float8,
    expected_shortfall    float8,
    floor_statistic       float8,
    apc_buffer            float8
);

COMMENT ON TYPE @extschema@.margin IS
  'an account''s requirement: initial and maintenance margin, scan loss and each add-on, the worst scenario and the risk unit that drove it, per-unit margins and the aggregated P&L vector, in currency; for joint (var) scenario sets also VaR, expected shortfall, the floor group''s statistic and the anti-procyclicality buffer';

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

-- =====================================================================
-- joint scenarios, VaR / ES, backtesting, the reference schema (0.3.0)
-- =====================================================================

-- the margin composite reports the VaR method's figures (NULL for the others)

-- ---------------------------------------------------------------------
-- joint scenario sets
-- ---------------------------------------------------------------------

CREATE FUNCTION @extschema@.var_scenarios(
    underlyings text[], moves float8[], vol_shifts float8[] DEFAULT NULL, weights float8[] DEFAULT NULL,
    vol_rule text DEFAULT 'absolute', confidence float8 DEFAULT 0.99, statistic text DEFAULT 'es',
    buffer float8 DEFAULT 0, floor_count integer DEFAULT 0)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_var_scenarios' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.var_scenarios(text[], float8[], float8[], float8[], text, float8, text, float8, integer) IS
  'joint scenarios: moves[scenario][underlying] (relative; 2-D, or flat scenario-major), optional vol shifts of the same shape, scenario weights (default equal); the margin is the VaR or expected shortfall (statistic var | es) at confidence, the larger of the main group and the last floor_count scenarios (floor group), times 1 + buffer';

CREATE FUNCTION @extschema@.historical_scenarios(
    underlyings text[], days date[], vals float8[],
    horizon integer DEFAULT 1, returns text DEFAULT 'log', scaling text DEFAULT 'overlapping',
    lookback integer DEFAULT NULL, ewma_lambda float8 DEFAULT NULL, input text DEFAULT 'price',
    confidence float8 DEFAULT 0.99, statistic text DEFAULT 'es', buffer float8 DEFAULT 0)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_historical_scenarios' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.historical_scenarios(text[], date[], float8[], integer, text, text, integer, float8, text, float8, text, float8) IS
  'historical-simulation joint scenarios from parallel arrays (underlying, day, price or return; e.g. array_agg over a history table): days where every underlying has an observation, the last lookback returns, horizon-day moves (overlapping or sqrt scaling), log or simple returns; ewma_lambda filters each return by sigma_now / sigma_t (filtered historical simulation)';

CREATE FUNCTION @extschema@.monte_carlo_scenarios(
    underlyings text[], vols float8[], correlation float8[], n integer,
    seed bigint DEFAULT 1, copula text DEFAULT 'gaussian', df float8 DEFAULT NULL,
    returns text DEFAULT 'log',
    confidence float8 DEFAULT 0.99, statistic text DEFAULT 'es', buffer float8 DEFAULT 0)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_monte_carlo_scenarios' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.monte_carlo_scenarios(text[], float8[], float8[], integer, bigint, text, float8, text, float8, text, float8) IS
  'Monte Carlo joint scenarios: n draws of correlated moves with horizon volatilities vols and a correlation matrix (Cholesky; rejected if not positive definite), Gaussian or unit-variance multivariate Student t (df > 2), MT19937 seeded with seed, log or simple returns';

CREATE FUNCTION @extschema@.blend_scenarios(base @extschema@.scenario_set, stressed @extschema@.scenario_set,
    stressed_weight float8)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_blend_scenarios' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.blend_scenarios(@extschema@.scenario_set, @extschema@.scenario_set, float8) IS
  'one joint scenario set in which the stressed set''s scenarios carry stressed_weight of the probability (EMIR RTS 153/2013 art. 28(1)(b): at least 0.25); tail parameters from base';

CREATE FUNCTION @extschema@.with_floor(scenarios @extschema@.scenario_set, floor_scenarios @extschema@.scenario_set)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_with_floor' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.with_floor(@extschema@.scenario_set, @extschema@.scenario_set) IS
  'adds floor_scenarios (e.g. a ten-year lookback) as a floor group: the margin is the larger of the two groups'' statistics (EMIR RTS 153/2013 art. 28(1)(c))';

CREATE FUNCTION @extschema@.with_tail(scenarios @extschema@.scenario_set, confidence float8 DEFAULT 0.99,
    statistic text DEFAULT 'es', buffer float8 DEFAULT 0)
RETURNS @extschema@.scenario_set
AS 'MODULE_PATHNAME', 'portmargin_with_tail' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.with_tail(@extschema@.scenario_set, float8, text, float8) IS
  'the same joint scenarios with another confidence, statistic (var | es) and buffer (EMIR RTS 153/2013 art. 28(1)(a): at least 0.25)';

CREATE FUNCTION @extschema@.joint_moves(scenario_set @extschema@.scenario_set,
    OUT idx integer, OUT underlying text, OUT price_move float8, OUT vol_shift float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'portmargin_joint_moves' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.joint_moves(@extschema@.scenario_set) IS
  'the moves of a joint (var) scenario set, one row per scenario and underlying: index (1-based), underlying, relative price move, volatility shift (NULL if none)';

-- risk_array learns the row's underlying (needed for joint sets)
CREATE FUNCTION @extschema@.risk_array(
    scenarios @extschema@.scenario_set, kind text, option_type text, strike float8,
    t float8, forward float8, vol float8,
    settlement text DEFAULT 'linear', multiplier float8 DEFAULT 1, underlying text DEFAULT NULL)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'portmargin_risk_array' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.risk_array(@extschema@.scenario_set, text, text, float8, float8, float8, float8, text, float8, text) IS
  'P&L of one long contract under each scenario, in the settlement currency (coin for inverse), gains positive; kind option/future/perpetual/spot, settlement linear/inverse; underlying picks the column of a joint (var) set';

COMMENT ON FUNCTION @extschema@.scenario_method(@extschema@.scenario_set) IS 'the margin method of a set: span, tims, deribit, okx, grid or var';

-- ---------------------------------------------------------------------
-- VaR and expected shortfall of a P&L vector
-- ---------------------------------------------------------------------

CREATE FUNCTION @extschema@.value_at_risk(pnl float8[], confidence float8, weights float8[] DEFAULT NULL)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_value_at_risk' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.value_at_risk(float8[], float8, float8[]) IS
  'VaR of a P&L vector (gains positive) at confidence: the lower confidence-quantile of the loss (Acerbi & Tasche 2002); for N equal scenarios the (floor(N(1-confidence)) + 1)-th largest loss; optional scenario weights';

CREATE FUNCTION @extschema@.expected_shortfall(pnl float8[], confidence float8, weights float8[] DEFAULT NULL)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_expected_shortfall' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_shortfall(float8[], float8, float8[]) IS
  'expected shortfall of a P&L vector at confidence: the probability-weighted mean of the worst 1 - confidence of the loss distribution, the VaR scenario counted fractionally (Acerbi & Tasche 2002, Proposition 3.2)';

-- ---------------------------------------------------------------------
-- backtesting
-- ---------------------------------------------------------------------

CREATE TYPE @extschema@.backtest_result AS (
    observations     integer,
    exceptions       integer,
    exception_rate   float8,
    expected_rate    float8,
    kupiec_lr        float8,
    kupiec_p         float8,
    n00              integer,
    n01              integer,
    n10              integer,
    n11              integer,
    independence_lr  float8,
    independence_p   float8,
    conditional_lr   float8,
    conditional_p    float8,
    binomial_cdf     float8,
    zone             text
);
COMMENT ON TYPE @extschema@.backtest_result IS
  'a backtest of daily margin (or VaR) figures: observations, exceptions (loss above the figure), Kupiec proportion-of-failures LR and p-value, Christoffersen transition counts, independence and conditional-coverage LRs and p-values (NULL with fewer than 2 days), P(X <= exceptions) under Binomial(n, 1 - confidence) and the Basel traffic-light zone (green / yellow / red)';

CREATE FUNCTION @extschema@.backtest_sfunc(internal, float8, float8, date, float8) RETURNS internal
AS 'MODULE_PATHNAME', 'portmargin_backtest_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.backtest_combine(internal, internal) RETURNS internal
AS 'MODULE_PATHNAME', 'portmargin_backtest_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.backtest_serial(internal) RETURNS bytea
AS 'MODULE_PATHNAME', 'portmargin_backtest_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.backtest_deserial(bytea, internal) RETURNS internal
AS 'MODULE_PATHNAME', 'portmargin_backtest_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.backtest_ffunc(internal) RETURNS @extschema@.backtest_result
AS 'MODULE_PATHNAME', 'portmargin_backtest_ffunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.backtest_sfunc(internal, float8, float8, date, float8) IS 'state transition of backtest: records the day and whether -pnl > margin';
COMMENT ON FUNCTION @extschema@.backtest_combine(internal, internal) IS 'combines two partial backtest states (parallel query)';
COMMENT ON FUNCTION @extschema@.backtest_serial(internal) IS 'serialises a backtest state';
COMMENT ON FUNCTION @extschema@.backtest_deserial(bytea, internal) IS 'deserialises a backtest state';
COMMENT ON FUNCTION @extschema@.backtest_ffunc(internal) IS 'final function of backtest: sorts the days and computes the statistics';

CREATE AGGREGATE @extschema@.backtest(margin float8, pnl float8, day date, confidence float8) (
    SFUNC = @extschema@.backtest_sfunc,
    STYPE = internal,
    FINALFUNC = @extschema@.backtest_ffunc,
    COMBINEFUNC = @extschema@.backtest_combine,
    SERIALFUNC = @extschema@.backtest_serial,
    DESERIALFUNC = @extschema@.backtest_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.backtest(float8, float8, date, float8) IS
  'backtest of daily margin or VaR figures against realised P&L (gains positive): an exception is -pnl > margin; Kupiec (1995), Christoffersen (1998) and the Basel (1996) traffic light; rows are ordered by day internally, so GROUP BY account_id gives a validation report';

-- ---------------------------------------------------------------------
-- the reference schema: tables a venue can adopt (or map its own to),
-- views for BI dashboards, what-if margin, snapshots, liquidation prices
-- ---------------------------------------------------------------------

CREATE FUNCTION @extschema@.liquidation_prices(target text, account_id bigint, underlying text,
    search_range float8 DEFAULT 0.9, OUT lower float8, OUT upper float8)
AS 'MODULE_PATHNAME', 'portmargin_liquidation_prices' LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.liquidation_prices(text, bigint, text, float8) IS
  'for a reference schema target: the underlying prices nearest to the index, below (lower) and above (upper), at which the account''s equity equals its maintenance margin, other underlyings fixed (GSL Brent on target.equity_excess_at); NULL when none within [index x (1 - search_range), index / (1 - search_range)]; both = index when the account is already at or below maintenance';

CREATE FUNCTION @extschema@.generate_demo_book(target text DEFAULT 'venue', accounts integer DEFAULT 1000,
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
  EXECUTE sql;
  RETURN accounts;
END
$fn$;
COMMENT ON FUNCTION @extschema@.generate_demo_book(text, integer, float8) IS
  'fills an empty reference schema (create_reference_schema) with a demo book from setseed(seed): BTC and ETH coin-settled options, futures and perpetuals, SOL USDC-settled options, SPX index options; accounts with hedged and naked strategies under deribit-btc, okx-btc, span and finra-broad-index, collateral sized so that most are healthy and some are in call or liquidation';

-- =====================================================================
-- the reference schema's generator (0.3.1)
-- =====================================================================

-- ---------------------------------------------------------------------
-- the reference schema: functions and views (re)created on a schema
-- ---------------------------------------------------------------------

CREATE FUNCTION @extschema@.upgrade_reference_schema(target text DEFAULT 'venue')
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  pm   text := (SELECT n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
                WHERE e.extname = 'portmargin');
  body text;
BEGIN
  IF target IS NULL THEN
    RAISE EXCEPTION 'argument "target" must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF to_regnamespace(quote_ident(target)) IS NULL
     OR to_regclass(format('%I.%I', target, 'accounts')) IS NULL OR to_regclass(format('%I.%I', target, 'positions')) IS NULL
     OR to_regclass(format('%I.%I', target, 'margin_history')) IS NULL THEN
    RAISE EXCEPTION 'invalid value for argument "target": %', quote_literal(target) USING ERRCODE = '22023',
      DETAIL = 'The schema does not exist or has no reference-schema tables.',
      HINT = 'Create one with portmargin.create_reference_schema().';
  END IF;

  -- market data per instrument, optionally with one underlying moved to another price
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.instrument_market_at(shift_underlying text DEFAULT NULL, shift_price float8 DEFAULT NULL)
RETURNS TABLE (instrument_id bigint, underlying text, kind text, option_type text, strike float8, expiry timestamptz,
               settlement text, multiplier float8, index_price float8, forward float8, t float8, vol float8, rate float8)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT i.instrument_id, i.underlying, i.kind, i.option_type, i.strike, i.expiry, i.settlement, i.multiplier,
         ix.price * x.scale, coalesce(f.forward, ix.price) * x.scale,
         CASE WHEN i.kind IN ('option', 'future') THEN greatest(0, %2$I.year_fraction(ix.as_of, i.expiry)) ELSE 0 END,
         v.vol, coalesce(r.rate, 0)
  FROM %1$I.instruments i
  JOIN %1$I.index_prices ix ON ix.underlying = i.underlying
  CROSS JOIN LATERAL (SELECT CASE WHEN i.underlying = shift_underlying THEN shift_price / ix.price ELSE 1 END AS scale) x
  LEFT JOIN %1$I.forwards f ON f.underlying = i.underlying AND f.expiry = i.expiry
  LEFT JOIN %1$I.implied_vols v ON v.instrument_id = i.instrument_id
  LEFT JOIN %1$I.rates r ON r.currency = CASE WHEN i.settlement = 'linear' THEN 'USD' ELSE i.underlying END;
END;
COMMENT ON FUNCTION %1$I.instrument_market_at(text, float8) IS 'market data per instrument (index, forward, years to expiry ACT/365, vol, rate); with shift_underlying and shift_price, that underlying''s index and forwards scaled to shift_price';

CREATE OR REPLACE VIEW %1$I.instrument_market AS SELECT * FROM %1$I.instrument_market_at();
COMMENT ON VIEW %1$I.instrument_market IS 'market data per instrument at the current prices';

-- positions with market data and mark-to-market value (USD), optionally one account with proposed orders
CREATE OR REPLACE FUNCTION %1$I.position_values_at(shift_underlying text DEFAULT NULL, shift_price float8 DEFAULT NULL,
                                       only_account bigint DEFAULT NULL, order_ids bigint[] DEFAULT NULL, order_qty float8[] DEFAULT NULL)
RETURNS TABLE (account_id bigint, instrument_id bigint, quantity float8, entry_price float8, underlying text, kind text,
               option_type text, strike float8, t float8, forward float8, vol float8, settlement text, multiplier float8,
               index_price float8, rate float8, unit_value float8, value_usd float8)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  WITH pos AS (
    SELECT p.account_id, p.instrument_id, p.quantity, p.entry_price, false AS is_order
    FROM %1$I.positions p WHERE only_account IS NULL OR p.account_id = only_account
    UNION ALL
    SELECT only_account, o.id, o.q, NULL, true FROM unnest(order_ids, order_qty) AS o(id, q) WHERE only_account IS NOT NULL
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
  FROM net n JOIN %1$I.instrument_market_at(shift_underlying, shift_price) m USING (instrument_id)
  CROSS JOIN LATERAL (SELECT CASE m.kind
      WHEN 'option' THEN CASE WHEN m.settlement = 'inverse'
                              THEN %2$I.inverse_price(m.option_type, m.forward, m.strike, m.t, coalesce(m.vol, 0)) * m.index_price
                              ELSE %2$I.black76_price(m.option_type, m.forward, m.strike, m.t, coalesce(m.vol, 0), m.rate) END
      WHEN 'spot' THEN m.forward
      ELSE CASE WHEN m.settlement = 'inverse'
                THEN (1 - coalesce(n.entry_price, m.forward) / m.forward) * m.index_price
                ELSE m.forward - coalesce(n.entry_price, m.forward) END
    END AS unit_value) v;
END;
COMMENT ON FUNCTION %1$I.position_values_at(text, float8, bigint, bigint[], float8[]) IS 'positions with market data and USD mark-to-market value per contract (options: value; futures, perpetuals: unrealised P&L from entry_price; spot: price); optionally with one underlying moved, and for one account with proposed orders';

CREATE OR REPLACE FUNCTION %1$I.account_margin_at(shift_underlying text DEFAULT NULL, shift_price float8 DEFAULT NULL,
                                      only_account bigint DEFAULT NULL, order_ids bigint[] DEFAULT NULL, order_qty float8[] DEFAULT NULL)
RETURNS TABLE (account_id bigint, name text, method text, equity float8, initial_margin float8, maintenance_margin float8,
               excess float8, margin_ratio float8, status text, margin %2$I.margin)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  WITH pv AS (SELECT * FROM %1$I.position_values_at(shift_underlying, shift_price, only_account, order_ids, order_qty)),
  m AS (
    SELECT pv.account_id,
           %2$I.portfolio_margin(pv.quantity, pv.underlying, pv.kind, pv.option_type, pv.strike, pv.t, pv.forward, pv.vol,
                                 pv.settlement, pv.multiplier, pv.index_price, ps.scenarios) AS m,
           sum(pv.value_usd) AS positions_usd
    FROM pv JOIN %1$I.accounts a ON a.account_id = pv.account_id
    JOIN %2$I.scenario_presets ps ON ps.name = a.method
    GROUP BY pv.account_id),
  coll AS (
    SELECT c.account_id,
           sum(c.balance * CASE WHEN c.currency IN ('USD', 'USDC', 'USDT') THEN 1
                                ELSE (SELECT ix.price * CASE WHEN ix.underlying = shift_underlying THEN shift_price / ix.price ELSE 1 END
                                      FROM %1$I.index_prices ix WHERE ix.underlying = c.currency) END) AS usd
    FROM %1$I.collateral c WHERE only_account IS NULL OR c.account_id = only_account GROUP BY c.account_id),
  fx AS (SELECT ix.underlying, ix.price * CASE WHEN ix.underlying = shift_underlying THEN shift_price / ix.price ELSE 1 END AS usd
         FROM %1$I.index_prices ix),
  r AS (
    SELECT a.account_id, a.name, a.method, a.call_level, a.liquidation_level, m.m,
           coalesce(coll.usd, 0) + coalesce(m.positions_usd, 0) AS equity,
           CASE WHEN m.m IS NULL THEN 1 WHEN (m.m).currency IS NULL OR (m.m).currency = 'USD' THEN 1
                ELSE (SELECT fx.usd FROM fx WHERE fx.underlying = (m.m).currency) END AS to_usd
    FROM %1$I.accounts a LEFT JOIN m ON m.account_id = a.account_id LEFT JOIN coll ON coll.account_id = a.account_id
    WHERE only_account IS NULL OR a.account_id = only_account)
  SELECT r.account_id, r.name, r.method, r.equity,
         coalesce((r.m).initial_margin, 0) * r.to_usd, coalesce((r.m).maintenance_margin, 0) * r.to_usd,
         r.equity - coalesce((r.m).initial_margin, 0) * r.to_usd,
         CASE WHEN r.equity > 0 THEN coalesce((r.m).maintenance_margin, 0) * r.to_usd / r.equity END,
         CASE WHEN r.equity <= r.liquidation_level * coalesce((r.m).maintenance_margin, 0) * r.to_usd THEN 'liquidation'
              WHEN r.equity < r.call_level * coalesce((r.m).initial_margin, 0) * r.to_usd THEN 'call'
              ELSE 'healthy' END,
         r.m
  FROM r;
END;
COMMENT ON FUNCTION %1$I.account_margin_at(text, float8, bigint, bigint[], float8[]) IS 'account_margin computed with one underlying moved to shift_price and/or for one account with proposed orders (what-if); the margin column is the full portmargin.margin result in its own currency';

CREATE OR REPLACE VIEW %1$I.account_margin AS
SELECT account_id, name, method, equity, initial_margin, maintenance_margin, excess, margin_ratio, status,
       (margin).currency AS margin_currency, (margin).worst_label, (margin).worst_unit
FROM %1$I.account_margin_at();
COMMENT ON VIEW %1$I.account_margin IS 'one row per account: equity (collateral + mark-to-market, USD), initial and maintenance margin under the account''s method (USD), excess = equity - initial margin, margin_ratio = maintenance / equity, status healthy / call / liquidation by the account''s thresholds, the margin''s own currency, worst scenario and risk unit';

CREATE OR REPLACE VIEW %1$I.account_risk_matrix AS
SELECT a.account_id, s.idx AS scenario, s.label, s.price_move, s.vol_rule, s.vol_shift, s.weight,
       (a.margin).pnl[s.idx] AS pnl, (a.margin).currency
FROM %1$I.account_margin_at() a
JOIN %1$I.accounts acc USING (account_id)
JOIN %2$I.scenario_presets ps ON ps.name = acc.method
CROSS JOIN LATERAL %2$I.scenarios(ps.scenarios) s
WHERE (a.margin).initial_margin IS NOT NULL AND cardinality((a.margin).pnl) > 0;
COMMENT ON VIEW %1$I.account_risk_matrix IS 'one row per account and scenario of its method: the scenario (index, label, price move, vol rule and shift, weight) and the account''s P&L in it, gains positive, in the margin''s currency: the source of a risk-matrix heatmap';

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
FROM %1$I.position_values_at() p
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
SELECT a.account_id, p.instrument_id, i.name, p.underlying, p.quantity, (a.margin).worst_scenario AS scenario,
       -p.quantity * (%2$I.risk_array(ps.scenarios, p.kind, p.option_type, p.strike, p.t, p.forward, p.vol,
                                      p.settlement, p.multiplier, p.underlying))[(a.margin).worst_scenario]
         * CASE WHEN (a.margin).currency = 'USD' AND p.settlement = 'inverse' THEN p.index_price ELSE 1 END AS loss,
       (a.margin).currency
FROM %1$I.account_margin_at() a
JOIN %1$I.accounts acc USING (account_id)
JOIN %2$I.scenario_presets ps ON ps.name = acc.method
JOIN %1$I.position_values_at() p ON p.account_id = a.account_id
JOIN %1$I.instruments i ON i.instrument_id = p.instrument_id
WHERE (a.margin).worst_scenario IS NOT NULL;
COMMENT ON VIEW %1$I.margin_attribution IS 'each position''s loss in its account''s worst scenario (the scenario of worst_label), in the margin''s currency: what drives the requirement; the losses add up to the account''s loss in that scenario';

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
$ddl$, target, pm, target);

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
END
$b$, target);
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.whatif_margin(account_id bigint, instrument_ids bigint[], quantities float8[])
RETURNS %2$I.margin
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
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
END
$b$, target);
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.equity_excess_at(account_id bigint, underlying text, price float8)
RETURNS float8
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
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
END
$b$, target, format('%I.margin_history', target));
  EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.snapshot_margins(at timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS %2$L;
COMMENT ON FUNCTION %1$I.snapshot_margins(timestamptz) IS 'writes every account''s margin at a timestamp into margin_history and returns the number of rows (schedule with pg_cron); a timestamp already snapshotted is refused (23505), never overwritten';
$ddl$, target, body);
  RETURN target;
END
$fn$;
COMMENT ON FUNCTION @extschema@.upgrade_reference_schema(text) IS
  'rebuilds the functions and views of an existing reference schema (created by create_reference_schema of this or an earlier version) at this version, keeping its tables and data; run it after ALTER EXTENSION portmargin UPDATE';

CREATE FUNCTION @extschema@.create_reference_schema(target text DEFAULT 'venue')
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  pm text := (SELECT n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
              WHERE e.extname = 'portmargin');
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
  RETURN target;
END
$fn$;
COMMENT ON FUNCTION @extschema@.create_reference_schema(text) IS
  'creates the reference schema in schema target (1 to 63 bytes; not the extension''s schema or a system schema; not one that already holds a reference schema): tables accounts, collateral, instruments, positions, index_prices, forwards, implied_vols, rates, margin_history; views instrument_market, account_margin, account_risk_matrix, position_greeks, account_greeks, margin_attribution, margin_daily; functions whatif_margin, liquidation_prices, snapshot_margins, equity_excess_at and the *_at functions behind the views, every SQL body bound when created';
