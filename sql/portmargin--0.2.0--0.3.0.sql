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

-- ---------------------------------------------------------------------
-- the reference schema: tables a venue can adopt (or map its own to),
-- views for BI dashboards, what-if margin, snapshots, liquidation prices
-- ---------------------------------------------------------------------

CREATE FUNCTION @extschema@.create_reference_schema(target text DEFAULT 'venue')
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  s   text := quote_ident(target);
  pm  text := quote_ident((SELECT n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
                           WHERE e.extname = 'portmargin'));
  ddl text;
BEGIN
  IF target IS NULL OR target = '' THEN
    RAISE EXCEPTION 'invalid value for argument "target": a schema name is needed' USING ERRCODE = '22023';
  END IF;
  ddl := $tmpl$
CREATE SCHEMA IF NOT EXISTS @S@;

CREATE TABLE @S@.accounts (
    account_id        bigint PRIMARY KEY,
    name              text NOT NULL,
    method            text NOT NULL DEFAULT 'deribit-btc' REFERENCES @PM@.scenario_presets (name),
    call_level        float8 NOT NULL DEFAULT 1 CHECK (call_level > 0),
    liquidation_level float8 NOT NULL DEFAULT 1 CHECK (liquidation_level > 0)
);
COMMENT ON TABLE @S@.accounts IS 'margin accounts: the scenario preset that margins each (portmargin.scenario_presets.name) and its status thresholds: call when equity < call_level x initial margin, liquidation when equity <= liquidation_level x maintenance margin';

CREATE TABLE @S@.collateral (
    account_id bigint NOT NULL REFERENCES @S@.accounts ON DELETE CASCADE,
    currency   text NOT NULL,
    balance    float8 NOT NULL,
    PRIMARY KEY (account_id, currency)
);
COMMENT ON TABLE @S@.collateral IS 'cash and coin balances per account and currency; USD, USDC and USDT count at 1 USD, a coin at its index price (index_prices.underlying = currency)';

CREATE TABLE @S@.instruments (
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
COMMENT ON TABLE @S@.instruments IS 'static instrument data: options (call/put, strike, expiry), dated futures, perpetuals, spot; settlement linear (cash, USD) or inverse (coin-settled); contract multiplier in underlying units';

CREATE TABLE @S@.positions (
    account_id    bigint NOT NULL REFERENCES @S@.accounts ON DELETE CASCADE,
    instrument_id bigint NOT NULL REFERENCES @S@.instruments,
    quantity      float8 NOT NULL,
    entry_price   float8,
    PRIMARY KEY (account_id, instrument_id)
);
COMMENT ON TABLE @S@.positions IS 'open positions: contracts (negative = short) and, for futures and perpetuals, the average entry price (USD per underlying unit) from which unrealised P&L is counted';

CREATE TABLE @S@.index_prices (
    underlying text PRIMARY KEY,
    price      float8 NOT NULL CHECK (price > 0),
    as_of      timestamptz NOT NULL
);
COMMENT ON TABLE @S@.index_prices IS 'index (spot) price per underlying in USD and the time it was taken: the valuation time of every instrument on it, and the USD rate of a coin balance';

CREATE TABLE @S@.forwards (
    underlying text NOT NULL,
    expiry     timestamptz NOT NULL,
    forward    float8 NOT NULL CHECK (forward > 0),
    PRIMARY KEY (underlying, expiry)
);
COMMENT ON TABLE @S@.forwards IS 'forward (or futures mark) per underlying and expiry; an expiry without a row uses the index price';

CREATE TABLE @S@.implied_vols (
    instrument_id bigint PRIMARY KEY REFERENCES @S@.instruments ON DELETE CASCADE,
    vol           float8 NOT NULL CHECK (vol >= 0)
);
COMMENT ON TABLE @S@.implied_vols IS 'implied volatility per option (decimal, annualised)';

CREATE TABLE @S@.rates (
    currency text PRIMARY KEY,
    rate     float8 NOT NULL
);
COMMENT ON TABLE @S@.rates IS 'continuously compounded rate per settlement currency (USD for linear options); discounts option values; a missing rate is 0';

CREATE TABLE @S@.margin_history (
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
COMMENT ON TABLE @S@.margin_history IS 'snapshots of account_margin written by snapshot_margins() (e.g. from pg_cron)';

-- market data per instrument, optionally with one underlying moved to another price
CREATE FUNCTION @S@.instrument_market_at(shift_underlying text DEFAULT NULL, shift_price float8 DEFAULT NULL)
RETURNS TABLE (instrument_id bigint, underlying text, kind text, option_type text, strike float8, expiry timestamptz,
               settlement text, multiplier float8, index_price float8, forward float8, t float8, vol float8, rate float8)
LANGUAGE sql STABLE PARALLEL SAFE
AS $body$
  SELECT i.instrument_id, i.underlying, i.kind, i.option_type, i.strike, i.expiry, i.settlement, i.multiplier,
         ix.price * x.scale, coalesce(f.forward, ix.price) * x.scale,
         CASE WHEN i.kind IN ('option', 'future') THEN greatest(0, @PM@.year_fraction(ix.as_of, i.expiry)) ELSE 0 END,
         v.vol, coalesce(r.rate, 0)
  FROM @S@.instruments i
  JOIN @S@.index_prices ix ON ix.underlying = i.underlying
  CROSS JOIN LATERAL (SELECT CASE WHEN i.underlying = shift_underlying THEN shift_price / ix.price ELSE 1 END AS scale) x
  LEFT JOIN @S@.forwards f ON f.underlying = i.underlying AND f.expiry = i.expiry
  LEFT JOIN @S@.implied_vols v ON v.instrument_id = i.instrument_id
  LEFT JOIN @S@.rates r ON r.currency = CASE WHEN i.settlement = 'linear' THEN 'USD' ELSE i.underlying END
$body$;
COMMENT ON FUNCTION @S@.instrument_market_at(text, float8) IS 'market data per instrument (index, forward, years to expiry ACT/365, vol, rate); with shift_underlying and shift_price, that underlying''s index and forwards scaled to shift_price';

CREATE VIEW @S@.instrument_market AS SELECT * FROM @S@.instrument_market_at();
COMMENT ON VIEW @S@.instrument_market IS 'market data per instrument at the current prices';

-- positions with market data and mark-to-market value (USD), optionally one account with proposed orders
CREATE FUNCTION @S@.position_values_at(shift_underlying text DEFAULT NULL, shift_price float8 DEFAULT NULL,
                                       only_account bigint DEFAULT NULL, order_ids bigint[] DEFAULT NULL, order_qty float8[] DEFAULT NULL)
RETURNS TABLE (account_id bigint, instrument_id bigint, quantity float8, entry_price float8, underlying text, kind text,
               option_type text, strike float8, t float8, forward float8, vol float8, settlement text, multiplier float8,
               index_price float8, rate float8, unit_value float8, value_usd float8)
LANGUAGE sql STABLE PARALLEL SAFE
AS $body$
  WITH pos AS (
    SELECT p.account_id, p.instrument_id, p.quantity, p.entry_price, false AS is_order
    FROM @S@.positions p WHERE only_account IS NULL OR p.account_id = only_account
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
  FROM net n JOIN @S@.instrument_market_at(shift_underlying, shift_price) m USING (instrument_id)
  CROSS JOIN LATERAL (SELECT CASE m.kind
      WHEN 'option' THEN CASE WHEN m.settlement = 'inverse'
                              THEN @PM@.inverse_price(m.option_type, m.forward, m.strike, m.t, coalesce(m.vol, 0)) * m.index_price
                              ELSE @PM@.black76_price(m.option_type, m.forward, m.strike, m.t, coalesce(m.vol, 0), m.rate) END
      WHEN 'spot' THEN m.forward
      ELSE CASE WHEN m.settlement = 'inverse'
                THEN (1 - coalesce(n.entry_price, m.forward) / m.forward) * m.index_price
                ELSE m.forward - coalesce(n.entry_price, m.forward) END
    END AS unit_value) v
$body$;
COMMENT ON FUNCTION @S@.position_values_at(text, float8, bigint, bigint[], float8[]) IS 'positions with market data and USD mark-to-market value per contract (options: value; futures, perpetuals: unrealised P&L from entry_price; spot: price); optionally with one underlying moved, and for one account with proposed orders';

CREATE FUNCTION @S@.account_margin_at(shift_underlying text DEFAULT NULL, shift_price float8 DEFAULT NULL,
                                      only_account bigint DEFAULT NULL, order_ids bigint[] DEFAULT NULL, order_qty float8[] DEFAULT NULL)
RETURNS TABLE (account_id bigint, name text, method text, equity float8, initial_margin float8, maintenance_margin float8,
               excess float8, margin_ratio float8, status text, margin @PM@.margin)
LANGUAGE sql STABLE PARALLEL SAFE
AS $body$
  WITH pv AS (SELECT * FROM @S@.position_values_at(shift_underlying, shift_price, only_account, order_ids, order_qty)),
  m AS (
    SELECT pv.account_id,
           @PM@.portfolio_margin(pv.quantity, pv.underlying, pv.kind, pv.option_type, pv.strike, pv.t, pv.forward, pv.vol,
                                 pv.settlement, pv.multiplier, pv.index_price, ps.scenarios) AS m,
           sum(pv.value_usd) AS positions_usd
    FROM pv JOIN @S@.accounts a ON a.account_id = pv.account_id
    JOIN @PM@.scenario_presets ps ON ps.name = a.method
    GROUP BY pv.account_id),
  coll AS (
    SELECT c.account_id,
           sum(c.balance * CASE WHEN c.currency IN ('USD', 'USDC', 'USDT') THEN 1
                                ELSE (SELECT ix.price * CASE WHEN ix.underlying = shift_underlying THEN shift_price / ix.price ELSE 1 END
                                      FROM @S@.index_prices ix WHERE ix.underlying = c.currency) END) AS usd
    FROM @S@.collateral c WHERE only_account IS NULL OR c.account_id = only_account GROUP BY c.account_id),
  fx AS (SELECT ix.underlying, ix.price * CASE WHEN ix.underlying = shift_underlying THEN shift_price / ix.price ELSE 1 END AS usd
         FROM @S@.index_prices ix),
  r AS (
    SELECT a.account_id, a.name, a.method, a.call_level, a.liquidation_level, m.m,
           coalesce(coll.usd, 0) + coalesce(m.positions_usd, 0) AS equity,
           CASE WHEN m.m IS NULL THEN 1 WHEN (m.m).currency IS NULL OR (m.m).currency = 'USD' THEN 1
                ELSE (SELECT fx.usd FROM fx WHERE fx.underlying = (m.m).currency) END AS to_usd
    FROM @S@.accounts a LEFT JOIN m ON m.account_id = a.account_id LEFT JOIN coll ON coll.account_id = a.account_id
    WHERE only_account IS NULL OR a.account_id = only_account)
  SELECT r.account_id, r.name, r.method, r.equity,
         coalesce((r.m).initial_margin, 0) * r.to_usd, coalesce((r.m).maintenance_margin, 0) * r.to_usd,
         r.equity - coalesce((r.m).initial_margin, 0) * r.to_usd,
         CASE WHEN r.equity > 0 THEN coalesce((r.m).maintenance_margin, 0) * r.to_usd / r.equity END,
         CASE WHEN r.equity <= r.liquidation_level * coalesce((r.m).maintenance_margin, 0) * r.to_usd THEN 'liquidation'
              WHEN r.equity < r.call_level * coalesce((r.m).initial_margin, 0) * r.to_usd THEN 'call'
              ELSE 'healthy' END,
         r.m
  FROM r
$body$;
COMMENT ON FUNCTION @S@.account_margin_at(text, float8, bigint, bigint[], float8[]) IS 'account_margin computed with one underlying moved to shift_price and/or for one account with proposed orders (what-if); the margin column is the full portmargin.margin result in its own currency';

CREATE VIEW @S@.account_margin AS
SELECT account_id, name, method, equity, initial_margin, maintenance_margin, excess, margin_ratio, status,
       (margin).currency AS margin_currency, (margin).worst_label, (margin).worst_unit
FROM @S@.account_margin_at();
COMMENT ON VIEW @S@.account_margin IS 'one row per account: equity (collateral + mark-to-market, USD), initial and maintenance margin under the account''s method (USD), excess = equity - initial margin, margin_ratio = maintenance / equity, status healthy / call / liquidation by the account''s thresholds, the margin''s own currency, worst scenario and risk unit';

CREATE VIEW @S@.account_risk_matrix AS
SELECT a.account_id, s.idx AS scenario, s.label, s.price_move, s.vol_rule, s.vol_shift, s.weight,
       (a.margin).pnl[s.idx] AS pnl, (a.margin).currency
FROM @S@.account_margin_at() a
JOIN @S@.accounts acc USING (account_id)
JOIN @PM@.scenario_presets ps ON ps.name = acc.method
CROSS JOIN LATERAL @PM@.scenarios(ps.scenarios) s
WHERE (a.margin).initial_margin IS NOT NULL AND cardinality((a.margin).pnl) > 0;
COMMENT ON VIEW @S@.account_risk_matrix IS 'one row per account and scenario of its method: the scenario (index, label, price move, vol rule and shift, weight) and the account''s P&L in it, gains positive, in the margin''s currency: the source of a risk-matrix heatmap';

CREATE VIEW @S@.position_greeks AS
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
FROM @S@.position_values_at() p
JOIN @S@.instruments i USING (instrument_id)
LEFT JOIN LATERAL @PM@.black76_greeks(p.option_type, p.forward, p.strike, p.t, coalesce(p.vol, 0),
                                      CASE WHEN p.settlement = 'linear' THEN p.rate ELSE 0 END) g0 ON p.kind = 'option'
CROSS JOIN LATERAL (
  -- a coin-settled option pays its Black-76 USD value / forward in coin, worth index / forward of it in USD
  SELECT CASE WHEN p.settlement = 'inverse' THEN p.index_price / p.forward ELSE 1 END AS scale) sc
CROSS JOIN LATERAL (
  SELECT CASE WHEN p.kind = 'option' THEN g0.delta * sc.scale ELSE 1 END AS delta,
         CASE WHEN p.kind = 'option' THEN g0.gamma * sc.scale ELSE 0 END AS gamma,
         CASE WHEN p.kind = 'option' THEN g0.vega * sc.scale ELSE 0 END AS vega,
         CASE WHEN p.kind = 'option' THEN g0.theta_day * sc.scale ELSE 0 END AS theta_day) g;
COMMENT ON VIEW @S@.position_greeks IS 'Greeks per position (Black-76 on the forward; coin-settled options: of the coin payoff valued at the index): delta in underlying units and USD, gamma per underlying unit, vega per vol point and theta per day in USD and in coin, mark-to-market value in USD and coin; futures and perpetuals have delta = quantity x multiplier';

CREATE VIEW @S@.account_greeks AS
SELECT account_id, underlying, sum(delta) AS delta, sum(delta_usd) AS delta_usd, sum(gamma) AS gamma,
       sum(vega_usd) AS vega_usd, sum(vega_coin) AS vega_coin, sum(theta_day_usd) AS theta_day_usd,
       sum(theta_day_coin) AS theta_day_coin, sum(value_usd) AS value_usd, count(*) AS positions
FROM @S@.position_greeks GROUP BY account_id, underlying;
COMMENT ON VIEW @S@.account_greeks IS 'position_greeks summed per account and underlying';

CREATE VIEW @S@.margin_attribution AS
SELECT a.account_id, p.instrument_id, i.name, p.underlying, p.quantity, (a.margin).worst_scenario AS scenario,
       -p.quantity * (@PM@.risk_array(ps.scenarios, p.kind, p.option_type, p.strike, p.t, p.forward, p.vol,
                                      p.settlement, p.multiplier, p.underlying))[(a.margin).worst_scenario]
         * CASE WHEN (a.margin).currency = 'USD' AND p.settlement = 'inverse' THEN p.index_price ELSE 1 END AS loss,
       (a.margin).currency
FROM @S@.account_margin_at() a
JOIN @S@.accounts acc USING (account_id)
JOIN @PM@.scenario_presets ps ON ps.name = acc.method
JOIN @S@.position_values_at() p ON p.account_id = a.account_id
JOIN @S@.instruments i ON i.instrument_id = p.instrument_id
WHERE (a.margin).worst_scenario IS NOT NULL;
COMMENT ON VIEW @S@.margin_attribution IS 'each position''s loss in its account''s worst scenario (the scenario of worst_label), in the margin''s currency: what drives the requirement; the losses add up to the account''s loss in that scenario';

-- PL/pgSQL: its query (with the *_at functions inlined) is planned once per session
CREATE FUNCTION @S@.whatif_margin(account_id bigint, instrument_ids bigint[], quantities float8[])
RETURNS @PM@.margin
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
  IF whatif_margin.account_id IS NULL THEN
    RAISE EXCEPTION 'argument "account_id" must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF instrument_ids IS NULL OR quantities IS NULL OR cardinality(instrument_ids) <> cardinality(quantities)
     OR array_position(instrument_ids, NULL) IS NOT NULL OR array_position(quantities, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'invalid value for argument "quantities": % quantities for % instrument_ids', cardinality(quantities), cardinality(instrument_ids)
      USING ERRCODE = '22023', DETAIL = 'One quantity per instrument, neither array NULL nor with NULL elements.';
  END IF;
  RETURN (SELECT a.margin FROM @S@.account_margin_at(NULL, NULL, whatif_margin.account_id, instrument_ids, quantities) a);
END
$body$;
COMMENT ON FUNCTION @S@.whatif_margin(bigint, bigint[], float8[]) IS 'the margin of an account plus proposed orders (instrument_ids[k], quantities[k] contracts, negative = sell), without writing positions; equals inserting the orders (added to a position already held) and recomputing';

CREATE FUNCTION @S@.equity_excess_at(account_id bigint, underlying text, price float8)
RETURNS float8
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
  IF equity_excess_at.account_id IS NULL OR equity_excess_at.underlying IS NULL THEN
    RAISE EXCEPTION 'argument "%" must not be NULL', CASE WHEN equity_excess_at.account_id IS NULL THEN 'account_id' ELSE 'underlying' END
      USING ERRCODE = '22004';
  END IF;
  IF price IS NULL OR NOT (price > 1e-300 AND price < 1e300) THEN
    RAISE EXCEPTION 'invalid value for argument "price": %', price USING ERRCODE = '22023',
      DETAIL = 'A price must be a finite number greater than zero.';
  END IF;
  RETURN (SELECT a.equity - a.maintenance_margin
          FROM @S@.account_margin_at(equity_excess_at.underlying, price, equity_excess_at.account_id) a);
END
$body$;
COMMENT ON FUNCTION @S@.equity_excess_at(bigint, text, float8) IS 'equity minus maintenance margin (USD) of an account with the underlying''s index and forwards moved to price, other underlyings fixed';

CREATE FUNCTION @S@.liquidation_prices(account_id bigint, underlying text, search_range float8 DEFAULT 0.9,
                                       OUT lower float8, OUT upper float8)
LANGUAGE sql STABLE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp
AS $body$
  SELECT * FROM @PM@.liquidation_prices('@SRAW@', account_id, underlying, search_range)
$body$;
COMMENT ON FUNCTION @S@.liquidation_prices(bigint, text, float8) IS 'the underlying prices nearest to the index, below and above, at which the account''s equity falls to its maintenance margin (other underlyings fixed); NULL when there is none within [index x (1 - search_range), index / (1 - search_range)]';

CREATE FUNCTION @S@.snapshot_margins(at timestamptz DEFAULT now())
RETURNS integer
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $body$
  WITH ins AS (
    INSERT INTO @S@.margin_history (snapshot_at, account_id, method, equity, initial_margin, maintenance_margin,
                                   excess, margin_ratio, status)
    SELECT at, account_id, method, equity, initial_margin, maintenance_margin, excess, margin_ratio, status
    FROM @S@.account_margin
    RETURNING 1)
  SELECT count(*)::int FROM ins
$body$;
COMMENT ON FUNCTION @S@.snapshot_margins(timestamptz) IS 'writes every account''s margin at a timestamp into margin_history and returns the number of rows (schedule with pg_cron)';

CREATE VIEW @S@.margin_daily AS
WITH last_of_day AS (
  SELECT DISTINCT ON (account_id, snapshot_at::date) account_id, snapshot_at::date AS day, snapshot_at, equity,
         initial_margin, maintenance_margin, excess, margin_ratio, status
  FROM @S@.margin_history ORDER BY account_id, snapshot_at::date, snapshot_at DESC)
SELECT account_id, day, snapshot_at, equity, initial_margin, maintenance_margin, excess, margin_ratio, status,
       lag(initial_margin) OVER w AS prev_initial_margin,
       initial_margin - lag(initial_margin) OVER w AS initial_margin_change,
       lag(status) OVER w AS prev_status,
       status IS DISTINCT FROM lag(status) OVER w AND lag(status) OVER w IS NOT NULL AS status_changed,
       status <> 'healthy' AND coalesce(lag(status) OVER w, 'healthy') = 'healthy' AS crossed_threshold
FROM last_of_day
WINDOW w AS (PARTITION BY account_id ORDER BY day);
COMMENT ON VIEW @S@.margin_daily IS 'the last snapshot of each account per day with the day-over-day change of initial margin and status; crossed_threshold marks a healthy account that went to call or liquidation';
$tmpl$;
  ddl := replace(replace(replace(ddl, '@SRAW@', replace(target, '''', '''''')), '@S@', s), '@PM@', pm);
  EXECUTE ddl;
  RETURN target;
END
$fn$;
COMMENT ON FUNCTION @extschema@.create_reference_schema(text) IS
  'creates the reference schema in schema target: tables accounts, collateral, instruments, positions, index_prices, forwards, implied_vols, rates, margin_history; views instrument_market, account_margin, account_risk_matrix, position_greeks, account_greeks, margin_attribution, margin_daily; functions whatif_margin, liquidation_prices, snapshot_margins, equity_excess_at and the *_at functions behind the views';

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
