-- portmargin 0.2.0 -> 0.3.0: joint scenarios and VaR / expected-shortfall
-- margin (historical, filtered historical and Monte Carlo scenarios,
-- stressed blend, long-lookback floor, buffer), VaR / ES of a P&L vector,
-- and backtesting (Kupiec, Christoffersen, Basel traffic light).
-- Every object lives in @extschema@ (portmargin) and is schema-qualified.

\echo Use "ALTER EXTENSION portmargin UPDATE TO '0.3.0'" to load this file. \quit

-- the margin composite reports the VaR method's figures (NULL for the others)
ALTER TYPE @extschema@.margin
    ADD ATTRIBUTE var float8,
    ADD ATTRIBUTE expected_shortfall float8,
    ADD ATTRIBUTE floor_statistic float8,
    ADD ATTRIBUTE apc_buffer float8;
COMMENT ON TYPE @extschema@.margin IS
  'an account''s requirement: initial and maintenance margin, scan loss and each add-on, the worst scenario and the risk unit that drove it, per-unit margins and the aggregated P&L vector, in currency; for joint (var) scenario sets also VaR, expected shortfall, the floor group''s statistic and the anti-procyclicality buffer';

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
DROP FUNCTION @extschema@.risk_array(@extschema@.scenario_set, text, text, float8, float8, float8, float8, text, float8);
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
