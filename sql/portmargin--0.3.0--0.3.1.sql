-- portmargin 0.3.0 -> 0.3.1: hardening.
--
-- The reference schema's SQL functions get SQL-standard bodies (BEGIN ATOMIC),
-- which are parsed and bound when they are created (create_reference_schema
-- runs with search_path = pg_catalog, pg_temp), so no operator, function or
-- type in them is looked up again in the caller's search_path; they are still
-- inlined into the caller's query.  The generator builds every statement with
-- format() (%I for identifiers, %L for the PL/pgSQL bodies), refuses the
-- extension's own schema, system schemas, names over 63 bytes and a schema that
-- already holds a reference schema, and upgrade_reference_schema() rebuilds
-- the functions and views of a schema made by an earlier version.
-- Every object lives in @extschema@ (portmargin) and is schema-qualified.

\echo Use "ALTER EXTENSION portmargin UPDATE TO '0.3.1'" to load this file. \quit

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

CREATE OR REPLACE FUNCTION @extschema@.create_reference_schema(target text DEFAULT 'venue')
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

-- reference schemas made by 0.3.0 keep their old functions (bodies parsed with the caller's search_path) until
-- upgrade_reference_schema() rebuilds them: an extension script may not replace objects it does not own
DO $do$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT n.nspname
           FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
           WHERE p.proname = 'account_margin_at' AND p.prosqlbody IS NULL
             AND p.prolang = (SELECT l.oid FROM pg_catalog.pg_language l WHERE l.lanname = 'sql')
             AND pg_catalog.strpos(p.prosrc, '.portfolio_margin(') > 0
           ORDER BY 1
  LOOP
    RAISE WARNING 'reference schema % still has the functions of portmargin 0.3.0, whose bodies use the caller''s search_path',
      pg_catalog.quote_ident(r.nspname)
      USING HINT = pg_catalog.format('Run SELECT @extschema@.upgrade_reference_schema(%L);', r.nspname);
  END LOOP;
END
$do$;
