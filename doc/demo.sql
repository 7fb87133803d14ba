-- doc/demo.sql: the README's main job.  Prices and Greeks for a handful of
-- coin-settled BTC options (Black-76 on the forward, value in BTC) and
-- S&P 500 index options (Black-Scholes-Merton with a dividend yield), then
-- the portfolio margin of a small book of accounts under four methods, and
-- VaR / expected-shortfall margin of the crypto accounts over historical,
-- filtered historical and Monte Carlo scenarios built from a synthetic
-- index history, with a backtest report of the Monte Carlo VaR.
-- Last, the reference schema (create_reference_schema) in schema demo_venue
-- with a generated book of 1,000 accounts: margins by method and status,
-- the accounts closest to liquidation, a what-if, liquidation prices and a
-- snapshot; each risk unit under its own rule of a rulebook, the per-unit
-- breakdown, and equity under a collateral schedule.  Run by `bash
-- test/run.sh demo` in a throwaway cluster; apart from schema demo_venue
-- (dropped and recreated), the rulebook demo-deribit and the collateral
-- schedule demo-okx-example (deleted and recreated) it creates only
-- temporary objects, so it can be rerun.

\set QUIET on
\pset footer off
\echo 'BTC options, coin-settled (Deribit style): forward 97,250 USD, 30 days, rate 0'
SELECT o.option_type, o.strike, o.vol,
       round(g.price::numeric, 6)      AS price_btc,
       round(g.price_usd::numeric, 2)  AS price_usd,
       round(g.delta::numeric, 4)      AS delta,
       round(g.net_delta::numeric, 4)  AS net_delta,
       round(g.vega::numeric, 6)       AS vega_btc,
       round(g.theta_day::numeric, 6)  AS theta_btc_day,
       round(portmargin.inverse_implied_vol(g.price, o.option_type, 97250, o.strike, 30/365.0)::numeric, 6) AS implied_vol
FROM (VALUES ('call', 90000::float8, 0.55::float8),
             ('call', 100000, 0.52),
             ('call', 120000, 0.58),
             ('put',  90000, 0.57),
             ('put',  80000, 0.63)) AS o(option_type, strike, vol),
     LATERAL portmargin.inverse_greeks(o.option_type, 97250, o.strike, 30/365.0, o.vol) AS g;

\echo 'S&P 500 index options (BSM): spot 5,900, rate 4.3%, dividend yield 1.3%, expiry 2026-12-18 16:00 UTC, priced as of 2026-11-25 16:00 UTC'
SELECT o.option_type, o.strike, o.vol,
       round(g.price::numeric, 4) AS price,
       round(g.delta::numeric, 4) AS delta,
       round(g.gamma::numeric, 6) AS gamma,
       round(g.vega::numeric, 4)  AS vega,
       round(g.theta_day::numeric, 4) AS theta_day,
       round(g.rho::numeric, 4)   AS rho
FROM (VALUES ('call', 5900::float8, 0.14::float8),
             ('call', 6100, 0.12),
             ('put',  5900, 0.14),
             ('put',  5600, 0.19)) AS o(option_type, strike, vol),
     LATERAL portmargin.bs_greeks(o.option_type, 5900, o.strike,
                                  portmargin.year_fraction('2026-11-25 16:00+00', '2026-12-18 16:00+00'),
                                  o.vol, 0.043, 0.013) AS g;

-- ---------------------------------------------------------------------------
-- Portfolio margin of a small book
-- ---------------------------------------------------------------------------
-- positions / instruments / market as a risk system keeps them: one row per
-- account and instrument, static instrument data, and one market snapshot
-- row per instrument (its forward, implied vol, and the underlying's index
-- price).  Quantities are contracts, negative = short.  BTC and ETH are
-- coin-settled (inverse: P&L in coin, one contract = 1 coin of size), SOL
-- options are USDC-settled (linear, 10 SOL per contract), SPX options are
-- linear with multiplier 100.

CREATE TEMP TABLE instruments (
    instrument_id int PRIMARY KEY,
    name          text NOT NULL,
    underlying    text NOT NULL,
    kind          text NOT NULL,        -- option, future, perpetual
    option_type   text,
    strike        float8,
    expiry        timestamptz,          -- NULL for perpetuals
    settlement    text NOT NULL,        -- inverse (coin) or linear
    multiplier    float8 NOT NULL
);
INSERT INTO instruments VALUES
  (101, 'BTC-PERPETUAL',          'BTC', 'perpetual', NULL,   NULL,   NULL,                     'inverse', 1),
  (102, 'BTC-25DEC26',            'BTC', 'future',    NULL,   NULL,   '2026-12-25 08:00+00',    'inverse', 1),
  (103, 'BTC-26MAR27',            'BTC', 'future',    NULL,   NULL,   '2027-03-26 08:00+00',    'inverse', 1),
  (104, 'BTC-25DEC26-110000-C',   'BTC', 'option',    'call', 110000, '2026-12-25 08:00+00',    'inverse', 1),
  (105, 'BTC-25DEC26-90000-P',    'BTC', 'option',    'put',  90000,  '2026-12-25 08:00+00',    'inverse', 1),
  (106, 'BTC-26MAR27-85000-P',    'BTC', 'option',    'put',  85000,  '2027-03-26 08:00+00',    'inverse', 1),
  (201, 'ETH-PERPETUAL',          'ETH', 'perpetual', NULL,   NULL,   NULL,                     'inverse', 1),
  (202, 'ETH-25DEC26',            'ETH', 'future',    NULL,   NULL,   '2026-12-25 08:00+00',    'inverse', 1),
  (203, 'ETH-25DEC26-4000-C',     'ETH', 'option',    'call', 4000,   '2026-12-25 08:00+00',    'inverse', 1),
  (204, 'ETH-25DEC26-3000-P',     'ETH', 'option',    'put',  3000,   '2026-12-25 08:00+00',    'inverse', 1),
  (301, 'SOL_USDC-25DEC26-260-C', 'SOL', 'option',    'call', 260,    '2026-12-25 08:00+00',    'linear',  10),
  (302, 'SOL_USDC-25DEC26-220-P', 'SOL', 'option',    'put',  220,    '2026-12-25 08:00+00',    'linear',  10),
  (401, 'SPX 18DEC26 5900 C',     'SPX', 'option',    'call', 5900,   '2026-12-18 16:00+00',    'linear',  100),
  (402, 'SPX 18DEC26 5600 P',     'SPX', 'option',    'put',  5600,   '2026-12-18 16:00+00',    'linear',  100),
  (403, 'SPX 18DEC26 5400 P',     'SPX', 'option',    'put',  5400,   '2026-12-18 16:00+00',    'linear',  100),
  (404, 'SPX 18DEC26 6100 C',     'SPX', 'option',    'call', 6100,   '2026-12-18 16:00+00',    'linear',  100);

-- forwards: BTC index 97,000 with a 5% basis, ETH 3,400 (6%), SOL 240 (4%),
-- SPX 5,900 carried at r - q = 3%; vols with a put skew
CREATE TEMP TABLE market (
    instrument_id int PRIMARY KEY,
    forward       float8 NOT NULL,
    vol           float8,               -- options only
    index_price   float8 NOT NULL,
    as_of         timestamptz NOT NULL
);
INSERT INTO market VALUES
  (101, 97030, NULL, 97000, '2026-11-25 08:00+00'),
  (102, 97400, NULL, 97000, '2026-11-25 08:00+00'),
  (103, 98620, NULL, 97000, '2026-11-25 08:00+00'),
  (104, 97400, 0.50, 97000, '2026-11-25 08:00+00'),
  (105, 97400, 0.55, 97000, '2026-11-25 08:00+00'),
  (106, 98620, 0.56, 97000, '2026-11-25 08:00+00'),
  (201, 3401,  NULL, 3400,  '2026-11-25 08:00+00'),
  (202, 3417,  NULL, 3400,  '2026-11-25 08:00+00'),
  (203, 3417,  0.66, 3400,  '2026-11-25 08:00+00'),
  (204, 3417,  0.71, 3400,  '2026-11-25 08:00+00'),
  (301, 240.8, 0.82, 240,   '2026-11-25 08:00+00'),
  (302, 240.8, 0.86, 240,   '2026-11-25 08:00+00'),
  (401, 5911,  0.14, 5900,  '2026-11-25 16:00+00'),
  (402, 5911,  0.19, 5900,  '2026-11-25 16:00+00'),
  (403, 5911,  0.23, 5900,  '2026-11-25 16:00+00'),
  (404, 5911,  0.12, 5900,  '2026-11-25 16:00+00');

CREATE TEMP TABLE accounts (
    account_id int PRIMARY KEY,
    book       text NOT NULL,           -- crypto or equity index
    strategy   text NOT NULL
);
INSERT INTO accounts VALUES
  ( 1, 'crypto', 'BTC covered call: long perpetual, short 110k call'),
  ( 2, 'crypto', 'BTC short strangle, naked'),
  ( 3, 'crypto', 'BTC futures calendar spread'),
  ( 4, 'crypto', 'BTC perpetual long, naked'),
  ( 5, 'crypto', 'BTC protective put: long future + put'),
  ( 6, 'crypto', 'ETH short put, naked'),
  ( 7, 'crypto', 'ETH short call, delta-hedged with future'),
  ( 8, 'crypto', 'SOL (USDC) short strangle'),
  ( 9, 'crypto', 'BTC strangle + ETH perpetual + SOL put'),
  (10, 'equity index', 'SPX put credit spread'),
  (11, 'equity index', 'SPX naked short call');

CREATE TEMP TABLE positions (
    account_id    int NOT NULL,
    instrument_id int NOT NULL,
    quantity      float8 NOT NULL,
    PRIMARY KEY (account_id, instrument_id)
);
INSERT INTO positions VALUES
  ( 1, 101,   1), ( 1, 104,  -1),
  ( 2, 104,  -5), ( 2, 105,  -5),
  ( 3, 103,  10), ( 3, 102, -10),
  ( 4, 101,   2),
  ( 5, 103,   3), ( 5, 106,   3),
  ( 6, 204, -30),
  ( 7, 203, -40), ( 7, 202,   6),
  ( 8, 301, -20), ( 8, 302, -20),
  ( 9, 104,  -1), ( 9, 105,  -1), ( 9, 201,   5), ( 9, 302,  10),
  (10, 402, -10), (10, 403,  10),
  (11, 404,  -5);

-- amounts in coin to 4 decimals, in USD to 2
CREATE FUNCTION pg_temp.amount(x float8, currency text) RETURNS numeric
LANGUAGE sql IMMUTABLE
AS $$ SELECT round(x::numeric, CASE WHEN currency = 'USD' THEN 2 ELSE 4 END) $$;

\echo
\echo 'The book: 11 accounts (quantities in contracts, negative = short)'
SELECT a.account_id, a.strategy,
       string_agg(to_char(p.quantity, 'SG990.9') || ' ' || i.name, ', ' ORDER BY i.instrument_id) AS positions
FROM accounts a
JOIN positions p USING (account_id)
JOIN instruments i USING (instrument_id)
GROUP BY a.account_id, a.strategy
ORDER BY a.account_id;

-- The account-margin query.  The one-row sub-select s is pulled up into the
-- join, so preset() runs once per position row: nothing on a book this size,
-- about 4 us a row on a large one.  There, write the scenario set as a
-- scalar sub-select, (SELECT portmargin.preset('deribit-btc')), which runs
-- once per query (doc/performance.md).
\echo 'Deribit-style risk matrix (preset deribit-btc: +/-16% x vol up/same/down, extended moves; MM = 0.8 x IM).'
\echo 'Single-currency accounts are margined in their coin (BTC, ETH) or USD (SOL, USDC-settled); mixed accounts in USD at the index.'
SELECT x.account_id, a.strategy, (m).currency,
       pg_temp.amount((m).initial_margin, (m).currency) AS initial_margin,
       pg_temp.amount((m).maintenance_margin, (m).currency) AS maintenance_margin,
       (m).worst_label
FROM (SELECT p.account_id,
             portmargin.portfolio_margin(portmargin.position(quantity => p.quantity, underlying => i.underlying, kind => i.kind,
                 settlement => i.settlement, option_type => i.option_type, forward => k.forward, strike => i.strike,
                 t => portmargin.year_fraction(k.as_of, i.expiry), vol => k.vol, multiplier => i.multiplier,
                 index_price => k.index_price), (SELECT portmargin.preset('deribit-btc'))) AS m
      FROM positions p
      JOIN instruments i USING (instrument_id)
      JOIN market k USING (instrument_id)
      GROUP BY p.account_id) x
JOIN accounts a USING (account_id)
WHERE a.book = 'crypto'
ORDER BY x.account_id;

\echo 'OKX-style portfolio margin (preset okx-btc: spot moves 0, +/-4, 8, 12%, +/-24% at 50%, basis risk; IMR = 1.3 x MMR)'
SELECT x.account_id, a.strategy, (m).currency,
       pg_temp.amount((m).initial_margin, (m).currency) AS initial_margin,
       pg_temp.amount((m).maintenance_margin, (m).currency) AS maintenance_margin,
       (m).worst_label
FROM (SELECT p.account_id,
             portmargin.portfolio_margin(portmargin.position(quantity => p.quantity, underlying => i.underlying, kind => i.kind,
                 settlement => i.settlement, option_type => i.option_type, forward => k.forward, strike => i.strike,
                 t => portmargin.year_fraction(k.as_of, i.expiry), vol => k.vol, multiplier => i.multiplier,
                 index_price => k.index_price), (SELECT portmargin.preset('okx-btc'))) AS m
      FROM positions p
      JOIN instruments i USING (instrument_id)
      JOIN market k USING (instrument_id)
      GROUP BY p.account_id) x
JOIN accounts a USING (account_id)
WHERE a.book = 'crypto'
ORDER BY x.account_id;

\echo 'Equity-index accounts under CME SPAN (preset span: 8% price scan, 4 vol points; IM = 1.10 x MM) and FINRA 4210(g) / OCC TIMS (preset finra-broad-index: +/-10%, 10 points), in USD'
SELECT x.account_id, x.method, a.strategy,
       pg_temp.amount((m).initial_margin, (m).currency) AS initial_margin,
       pg_temp.amount((m).maintenance_margin, (m).currency) AS maintenance_margin,
       (m).worst_label
FROM (SELECT p.account_id, s.name AS method,
             portmargin.portfolio_margin(portmargin.position(quantity => p.quantity, underlying => i.underlying, kind => i.kind,
                 settlement => i.settlement, option_type => i.option_type, forward => k.forward, strike => i.strike,
                 t => portmargin.year_fraction(k.as_of, i.expiry), vol => k.vol, multiplier => i.multiplier,
                 index_price => k.index_price), s.scenarios) AS m
      FROM positions p
      JOIN instruments i USING (instrument_id)
      JOIN market k USING (instrument_id)
      CROSS JOIN (SELECT name, scenarios FROM portmargin.scenario_presets
                  WHERE name IN ('span', 'finra-broad-index')) s
      GROUP BY p.account_id, s.name) x
JOIN accounts a USING (account_id)
WHERE a.book = 'equity index'
ORDER BY x.account_id, x.method DESC;

\echo 'Initial margin of every account under three methods (one aggregate per account and method)'
SELECT x.account_id, a.strategy, min((m).currency) AS currency,
       pg_temp.amount(min((m).initial_margin) FILTER (WHERE method = 'deribit-btc'), min((m).currency)) AS "deribit-btc",
       pg_temp.amount(min((m).initial_margin) FILTER (WHERE method = 'okx-btc'), min((m).currency)) AS "okx-btc",
       pg_temp.amount(min((m).initial_margin) FILTER (WHERE method = 'span'), min((m).currency)) AS span
FROM (SELECT p.account_id, s.name AS method,
             portmargin.portfolio_margin(portmargin.position(quantity => p.quantity, underlying => i.underlying, kind => i.kind,
                 settlement => i.settlement, option_type => i.option_type, forward => k.forward, strike => i.strike,
                 t => portmargin.year_fraction(k.as_of, i.expiry), vol => k.vol, multiplier => i.multiplier,
                 index_price => k.index_price), s.scenarios) AS m
      FROM positions p
      JOIN instruments i USING (instrument_id)
      JOIN market k USING (instrument_id)
      CROSS JOIN (SELECT name, scenarios FROM portmargin.scenario_presets
                  WHERE name IN ('deribit-btc', 'okx-btc', 'span')) s
      GROUP BY p.account_id, s.name) x
JOIN accounts a USING (account_id)
GROUP BY x.account_id, a.strategy
ORDER BY x.account_id;

-- ---------------------------------------------------------------------------
-- Rulebooks: each risk unit under its own parameters
-- ---------------------------------------------------------------------------
-- One scenario set for a whole account scans account 9's ETH perpetual and
-- SOL put with BTC's price range.  A rulebook gives each risk unit
-- (underlying, settlement) its own set.  The demo takes the shipped
-- rulebook 'deribit' of portmargin.rulebook_rules where there is one, with
-- a default rule (deribit-btc) added for units it has no rule for, and
-- otherwise builds the same from the presets: BTC/inverse deribit-btc,
-- ETH/inverse deribit-eth, anything else deribit-btc.  Deribit publishes no
-- price or volatility ranges for its USDC-settled pairs (SOL_USDC), so that
-- default is the user's choice, and its name says so.
CREATE TEMP TABLE demo_rulebook AS
SELECT portmargin.rulebook(array_agg(underlying), array_agg(settlement), array_agg(scenarios), array_agg(name)) AS rules
FROM (SELECT r.underlying, r.settlement, r.name, r.scenarios
      FROM portmargin.rules((SELECT portmargin.rulebook_preset('deribit')
                             WHERE EXISTS (SELECT 1 FROM portmargin.rulebook_rules WHERE rulebook = 'deribit'))) r
      UNION ALL
      SELECT u, 'inverse', p, portmargin.preset(p)
      FROM (VALUES ('BTC', 'deribit-btc'), ('ETH', 'deribit-eth')) v(u, p)
      WHERE NOT EXISTS (SELECT 1 FROM portmargin.rulebook_rules WHERE rulebook = 'deribit')
      UNION ALL
      SELECT '*', '*', 'user-supplied: deribit-btc (no published USDC-pair ranges)', portmargin.preset('deribit-btc')
      WHERE NOT EXISTS (SELECT 1 FROM portmargin.rulebook_rules WHERE rulebook = 'deribit' AND underlying = '*' AND settlement = '*')) x;

\echo
\echo 'The rulebook: which scenario set each risk unit takes (most specific rule first: (underlying, settlement), (underlying, *), (*, settlement), (*, *))'
SELECT r.underlying, r.settlement, r.name, portmargin.scenario_method(r.scenarios) AS method,
       portmargin.scenario_count(r.scenarios) AS scenarios
FROM demo_rulebook, portmargin.rules(rules) r;

\echo 'Crypto accounts: one scenario set (deribit-btc for every unit) against the rulebook (each unit its own rule)'
SELECT x.account_id, a.strategy, (x.one).currency,
       pg_temp.amount((x.one).initial_margin, (x.one).currency) AS "one set",
       pg_temp.amount((x.rb).initial_margin, (x.rb).currency) AS rulebook
FROM (SELECT p.account_id,
             portmargin.portfolio_margin(portmargin.position(quantity => p.quantity, underlying => i.underlying, kind => i.kind,
                 settlement => i.settlement, option_type => i.option_type, forward => k.forward, strike => i.strike,
                 t => portmargin.year_fraction(k.as_of, i.expiry), vol => k.vol, multiplier => i.multiplier,
                 index_price => k.index_price), (SELECT portmargin.preset('deribit-btc'))) AS one,
             portmargin.portfolio_margin(portmargin.position(quantity => p.quantity, underlying => i.underlying, kind => i.kind,
                 settlement => i.settlement, option_type => i.option_type, forward => k.forward, strike => i.strike,
                 t => portmargin.year_fraction(k.as_of, i.expiry), vol => k.vol, multiplier => i.multiplier,
                 index_price => k.index_price), (SELECT rules FROM demo_rulebook)) AS rb
      FROM positions p JOIN instruments i USING (instrument_id) JOIN market k USING (instrument_id)
      GROUP BY p.account_id) x
JOIN accounts a USING (account_id)
WHERE a.book = 'crypto'
ORDER BY x.account_id;

\echo 'Account 9 (BTC strangle, ETH perpetual, SOL put) unit by unit: the rule that applied and its components (unit currency)'
SELECT u.underlying, u.settlement, u.rule, u.rule_name, u.method, u.currency,
       pg_temp.amount(u.initial_margin, u.currency) AS initial_margin,
       pg_temp.amount(u.scan_loss, u.currency) AS worst_case,
       pg_temp.amount(u.roll_shock, u.currency) AS roll_shock,
       pg_temp.amount(u.margin_report, 'USD') AS usd, u.worst_label
FROM (SELECT portmargin.portfolio_margin(portmargin.position(quantity => p.quantity, underlying => i.underlying, kind => i.kind,
                 settlement => i.settlement, option_type => i.option_type, forward => k.forward, strike => i.strike,
                 t => portmargin.year_fraction(k.as_of, i.expiry), vol => k.vol, multiplier => i.multiplier,
                 index_price => k.index_price), (SELECT rules FROM demo_rulebook)) AS m
      FROM positions p JOIN instruments i USING (instrument_id) JOIN market k USING (instrument_id)
      WHERE p.account_id = 9) x
CROSS JOIN LATERAL unnest((x.m).units) u;

-- ---------------------------------------------------------------------------
-- VaR / expected-shortfall margin over joint scenarios, and a backtest
-- ---------------------------------------------------------------------------
-- A synthetic daily index history for BTC, ETH and SOL (two years, a common
-- market factor, a volatile stretch in the middle), from setseed: what a
-- venue would keep in an index-price table.
SELECT setseed(0.2026) \gset
CREATE TEMP TABLE index_history AS
WITH z AS (
  SELECT d, sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS m,   -- market factor
            sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS e1,
            sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS e2,
            sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS e3
  FROM generate_series(1, 730) d),
r AS (
  SELECT d, CASE WHEN d BETWEEN 300 AND 360 THEN 2.0 ELSE 1.0 END AS regime, m, e1, e2, e3 FROM z)
SELECT u.underlying, DATE '2024-11-25' + r.d AS day,
       u.p0 * exp(sum(r.regime * u.vol * (0.8 * r.m + 0.6 * CASE u.underlying WHEN 'BTC' THEN r.e1 WHEN 'ETH' THEN r.e2 ELSE r.e3 END))
                  OVER (PARTITION BY u.underlying ORDER BY r.d)) AS price
FROM r, (VALUES ('BTC', 97000.0, 0.028), ('ETH', 3400.0, 0.036), ('SOL', 240.0, 0.048)) u(underlying, p0, vol);

-- daily log-return vols and correlations over the last year (for Monte Carlo)
CREATE TEMP TABLE calib AS
SELECT stddev(btc) sd_btc, stddev(eth) sd_eth, stddev(sol) sd_sol,
       corr(btc, eth) c_be, corr(btc, sol) c_bs, corr(eth, sol) c_es
FROM (SELECT day, ln(max(price) FILTER (WHERE underlying = 'BTC') / max(prev) FILTER (WHERE underlying = 'BTC')) btc,
             ln(max(price) FILTER (WHERE underlying = 'ETH') / max(prev) FILTER (WHERE underlying = 'ETH')) eth,
             ln(max(price) FILTER (WHERE underlying = 'SOL') / max(prev) FILTER (WHERE underlying = 'SOL')) sol
      FROM (SELECT underlying, day, price, lag(price) OVER (PARTITION BY underlying ORDER BY day) prev FROM index_history) h
      WHERE day > (SELECT max(day) FROM index_history) - 365 GROUP BY day) r;

-- joint scenario sets built from it
CREATE TEMP TABLE var_sets AS
SELECT 'hs 2-day, 1y' AS name,
       (SELECT portmargin.historical_scenarios(array_agg(underlying), array_agg(day), array_agg(price),
                                               horizon => 2, lookback => 365) FROM index_history) AS s
UNION ALL
SELECT 'fhs 2-day, 1y, lambda 0.97',
       (SELECT portmargin.historical_scenarios(array_agg(underlying), array_agg(day), array_agg(price),
                                               horizon => 2, lookback => 365, ewma_lambda => 0.97) FROM index_history)
UNION ALL
-- Monte Carlo calibrated to the same year: 2-day vols and correlations of the daily log returns
SELECT 'mc 2-day, 20000, +25% buffer',
       (SELECT portmargin.monte_carlo_scenarios('{BTC,ETH,SOL}',
                 ARRAY[sd_btc * sqrt(2), sd_eth * sqrt(2), sd_sol * sqrt(2)],
                 ARRAY[[1, c_be, c_bs], [c_be, 1, c_es], [c_bs, c_es, 1]],
                 n => 20000, seed => 7, buffer => 0.25) FROM calib);

\echo 'Joint scenario sets for VaR / expected shortfall (ES 99%): historical, filtered historical and Monte Carlo'
SELECT name, portmargin.scenario_count(s) AS scenarios, portmargin.scenario_method(s) AS method FROM var_sets ORDER BY name;

\echo 'ES 99% margin of the crypto accounts next to the Deribit-style matrix (coin accounts in coin, mixed in USD);'
\echo 'top_contributor: the underlying with the largest share of the ES (Euler allocation: the shares add up to the margin)'
SELECT x.account_id, a.strategy, min((m).currency) AS currency,
       pg_temp.amount(min((m).initial_margin) FILTER (WHERE method = 'deribit-btc'), min((m).currency)) AS "deribit-btc",
       pg_temp.amount(min((m).initial_margin) FILTER (WHERE method = 'hs 2-day, 1y'), min((m).currency)) AS "ES hs",
       pg_temp.amount(min((m).initial_margin) FILTER (WHERE method = 'fhs 2-day, 1y, lambda 0.97'), min((m).currency)) AS "ES fhs",
       pg_temp.amount(min((m).initial_margin) FILTER (WHERE method = 'mc 2-day, 20000, +25% buffer'), min((m).currency)) AS "ES mc +25%",
       min((m).worst_unit) FILTER (WHERE method = 'hs 2-day, 1y') AS top_contributor
FROM (SELECT p.account_id, s.name AS method,
             portmargin.portfolio_margin(portmargin.position(quantity => p.quantity, underlying => i.underlying, kind => i.kind,
                 settlement => i.settlement, option_type => i.option_type, forward => k.forward, strike => i.strike,
                 t => portmargin.year_fraction(k.as_of, i.expiry), vol => k.vol, multiplier => i.multiplier,
                 index_price => k.index_price), s.s) AS m
      FROM positions p
      JOIN instruments i USING (instrument_id)
      JOIN market k USING (instrument_id)
      JOIN accounts a USING (account_id)
      CROSS JOIN (SELECT name, s FROM var_sets
                  UNION ALL SELECT name, scenarios FROM portmargin.scenario_presets WHERE name = 'deribit-btc') s
      WHERE a.book = 'crypto'
      GROUP BY p.account_id, s.name) x
JOIN accounts a USING (account_id)
GROUP BY x.account_id, a.strategy
ORDER BY x.account_id;

-- Backtest: the 1-day 99% VaR of a Monte Carlo model calibrated to the
-- year against each account's P&L over the last 250 days of history
-- (today's book revalued under each day's index moves; in-sample, for
-- illustration).
CREATE TEMP TABLE bt_sets AS
SELECT (SELECT portmargin.historical_scenarios(array_agg(underlying), array_agg(day), array_agg(price), lookback => 250)
        FROM index_history) AS realised,
       (SELECT portmargin.monte_carlo_scenarios('{BTC,ETH,SOL}', ARRAY[sd_btc, sd_eth, sd_sol],
                 ARRAY[[1, c_be, c_bs], [c_be, 1, c_es], [c_bs, c_es, 1]],
                 n => 20000, seed => 8, statistic => 'var') FROM calib) AS model;
\echo 'Backtest: 1-day 99% VaR of a Monte Carlo model (1-day vols) against 250 days of the book''s P&L under the realised index moves'
SELECT account_id, (b).observations AS days, (b).exceptions, round((b).kupiec_p::numeric, 4) AS kupiec_p,
       round((b).independence_p::numeric, 4) AS independence_p, (b).zone
FROM (SELECT v.account_id, portmargin.backtest(v.margin, r.pnl, DATE '2026-11-25' - 250 + r.idx::int, 0.99) AS b
      FROM (SELECT p.account_id,
                   (portmargin.portfolio_margin(portmargin.position(quantity => p.quantity, underlying => i.underlying, kind => i.kind,
                       settlement => i.settlement, option_type => i.option_type, forward => k.forward, strike => i.strike,
                       t => portmargin.year_fraction(k.as_of, i.expiry), vol => k.vol, multiplier => i.multiplier,
                       index_price => k.index_price), (SELECT model FROM bt_sets))).initial_margin AS margin,
                   (portmargin.portfolio_margin(portmargin.position(quantity => p.quantity, underlying => i.underlying, kind => i.kind,
                       settlement => i.settlement, option_type => i.option_type, forward => k.forward, strike => i.strike,
                       t => portmargin.year_fraction(k.as_of, i.expiry), vol => k.vol, multiplier => i.multiplier,
                       index_price => k.index_price), (SELECT realised FROM bt_sets))).pnl AS pnl
            FROM positions p JOIN instruments i USING (instrument_id) JOIN market k USING (instrument_id)
            JOIN accounts a USING (account_id) WHERE a.book = 'crypto'
            GROUP BY p.account_id) v
      CROSS JOIN LATERAL unnest(v.pnl) WITH ORDINALITY AS r(pnl, idx)
      GROUP BY v.account_id) x
ORDER BY account_id;

-- ---------------------------------------------------------------------------
-- The reference schema with a generated book of 1,000 accounts
-- ---------------------------------------------------------------------------
-- create_reference_schema() makes the tables a venue can adopt (accounts,
-- collateral, instruments, positions, index_prices, forwards, implied_vols,
-- rates, margin_history) and the BI views; generate_demo_book() fills them.
-- The schema demo_venue is dropped first, so the demo can be rerun.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS demo_venue CASCADE;
RESET client_min_messages;
SELECT portmargin.create_reference_schema('demo_venue') \gset
SELECT portmargin.generate_demo_book('demo_venue', 1000, 0.42) \gset

\echo 'Reference schema demo_venue: 1,000 generated accounts (BTC/ETH coin-settled options and futures, SOL USDC options, SPX options)'
\echo 'Account margins by method and status (view demo_venue.account_margin; amounts in USD)'
SELECT method, status, count(*) AS accounts,
       round(sum(equity)::numeric) AS equity, round(sum(initial_margin)::numeric) AS initial_margin,
       round(sum(maintenance_margin)::numeric) AS maintenance_margin
FROM demo_venue.account_margin
GROUP BY method, status ORDER BY method, status;

\echo 'The ten accounts closest to liquidation (highest maintenance / equity)'
SELECT account_id, name, method, round(equity::numeric, 2) AS equity, round(initial_margin::numeric, 2) AS initial_margin,
       round(maintenance_margin::numeric, 2) AS maintenance_margin, round(margin_ratio::numeric, 3) AS margin_ratio, status
FROM demo_venue.account_margin
ORDER BY margin_ratio DESC NULLS LAST, account_id LIMIT 10;

\echo 'What-if: account 3 before and after proposed orders (sell 3 BTC perpetuals, buy 2 puts), without writing positions'
SELECT 'now' AS case_, round((margin).initial_margin::numeric, 4) AS initial_margin, (margin).currency
FROM demo_venue.account_margin_at(only_account => 3)
UNION ALL
SELECT 'with the orders', round((m).initial_margin::numeric, 4), (m).currency
FROM (SELECT demo_venue.whatif_margin(3,
        ARRAY[(SELECT instrument_id FROM demo_venue.instruments WHERE name = 'BTC-PERPETUAL'),
              (SELECT instrument_id FROM demo_venue.instruments WHERE underlying = 'BTC' AND option_type = 'put'
               ORDER BY abs(strike - 90000), expiry LIMIT 1)],
        ARRAY[-3, 2]::float8[]) AS m) x;

\echo 'Liquidation prices of BTC for the five BTC-book accounts not yet in liquidation that are closest to it (other underlyings fixed)'
SELECT a.account_id, a.name, round(a.margin_ratio::numeric, 3) AS margin_ratio,
       round(l.lower::numeric) AS btc_below, round(l.upper::numeric) AS btc_above
FROM (SELECT * FROM demo_venue.account_margin WHERE name LIKE 'BTC%' AND status <> 'liquidation'
      ORDER BY margin_ratio DESC LIMIT 5) a
CROSS JOIN LATERAL demo_venue.liquidation_prices(a.account_id, 'BTC') l
ORDER BY a.margin_ratio DESC;

-- deribit-btc accounts that no shipped rulebook covers go under a rulebook
-- of the presets (BTC deribit-btc, ETH deribit-eth, any other unit
-- deribit-btc), demo-deribit, deleted and recreated on every run
SET client_min_messages = warning;
DELETE FROM portmargin.rulebook_rules WHERE rulebook = 'demo-deribit' AND NOT shipped;
RESET client_min_messages;
INSERT INTO portmargin.rulebook_rules (rulebook, underlying, settlement, preset) VALUES
  ('demo-deribit', 'BTC', 'inverse', 'deribit-btc'), ('demo-deribit', 'ETH', 'inverse', 'deribit-eth'), ('demo-deribit', '*', '*', 'deribit-btc');
UPDATE demo_venue.accounts SET rulebook = 'demo-deribit' WHERE method = 'deribit-btc' AND rulebook IS NULL;
\echo 'Rulebooks in the reference schema: accounts by rulebook (NULL: the method''s preset for every unit; generate_demo_book puts'
\echo 'deribit-btc / okx-btc accounts under the rulebooks deribit / okx of portmargin.rulebook_rules where they cover every unit)'
SELECT method, coalesce(rulebook, '(preset)') AS rulebook, count(*) AS accounts, round(sum(initial_margin)::numeric) AS initial_margin
FROM demo_venue.account_margin GROUP BY method, rulebook ORDER BY method, rulebook;

\echo 'The per-unit breakdown (view demo_venue.account_unit_margin, for BI tools) of the first mixed BTC/ETH/SOL account'
SELECT account_id, unit, underlying, settlement, coalesce(rule, '(preset)') AS rule, rule_name, method, currency,
       pg_temp.amount(initial_margin, currency) AS initial_margin, pg_temp.amount(maintenance_margin, currency) AS maintenance_margin,
       round(margin_usd::numeric) AS margin_usd, worst_label
FROM demo_venue.account_unit_margin
WHERE account_id = (SELECT min(account_id) FROM demo_venue.accounts WHERE name LIKE 'MIX%' AND method = 'deribit-btc')
ORDER BY unit;

-- Cross-collateral equity (doc/collateral.md): a collateral schedule
-- discounts each currency's equity by tiers.  OKX publishes its live tiers
-- through GET /api/v5/public/discount-rate-interest-free-quota; the demo
-- uses the BTC tiers of that endpoint's documented example response (0-20
-- BTC at 0.98, 20-25 at 0.9775, above 25 at 0) and, for ETH and USDC,
-- tiers of its own (illustrative, not OKX's), for the okx-btc accounts.
SET client_min_messages = warning;
DELETE FROM portmargin.collateral_tiers WHERE schedule = 'demo-okx-example';
DELETE FROM portmargin.collateral_schedules WHERE schedule = 'demo-okx-example';
RESET client_min_messages;
INSERT INTO portmargin.collateral_schedules (schedule, maintenance_basis, description)
VALUES ('demo-okx-example', 'discounted', 'the OKX API documentation''s example BTC tiers; ETH and USDC tiers illustrative');
INSERT INTO portmargin.collateral_tiers (schedule, currency, tier, lower_bound, upper_bound, discount_rate, source) VALUES
  ('demo-okx-example', 'BTC', 1, 0, 20, 0.98, 'OKX API example response'), ('demo-okx-example', 'BTC', 2, 20, 25, 0.9775, 'OKX API example response'),
  ('demo-okx-example', 'BTC', 3, 25, NULL, 0, 'OKX API example response (minDiscountRate 0)'),
  ('demo-okx-example', 'ETH', 1, 0, 500, 0.97, 'illustrative'), ('demo-okx-example', 'ETH', 2, 500, NULL, 0.9, 'illustrative'),
  ('demo-okx-example', 'USDC', 1, 0, NULL, 1, 'illustrative');
UPDATE demo_venue.accounts SET collateral_schedule = 'demo-okx-example' WHERE method = 'okx-btc';
\echo 'The okx-btc accounts with their collateral discounted per currency (equity per currency = balance + mark-to-market in it)'
SELECT status, count(*) AS accounts, round(sum(gross_equity)::numeric) AS gross_equity, round(sum(equity)::numeric) AS equity,
       round(sum(collateral_discount)::numeric) AS discount, round(sum(initial_margin)::numeric) AS initial_margin
FROM demo_venue.account_margin WHERE method = 'okx-btc' GROUP BY status ORDER BY status;
UPDATE demo_venue.accounts SET collateral_schedule = NULL;

-- Stress testing (doc/stress-testing.md): the published stresses of
-- portmargin.stress_library and their mirrors, revalued at the stressed
-- prices; cover-1 / cover-2; and one liquidation cascade with illustrative
-- impact parameters (no venue publishes them).
SELECT portmargin.create_stress_tables('demo_venue') \gset
INSERT INTO demo_venue.stress_scenarios (name, scenario)
SELECT name, scenario FROM portmargin.stress_library
UNION ALL SELECT (portmargin.mirrored(scenario)).name, portmargin.mirrored(scenario) FROM portmargin.stress_library;
\echo 'Stress report: the 20 scenarios (the library''s published moves and their mirrors) by total deficit (USD; uncovered = loss beyond the account''s equity)'
SELECT scenario, accounts_in_deficit, round(total_deficit) AS total_deficit, round(cover_1) AS cover_1, round(cover_2) AS cover_2,
       accounts_beyond_margin, round(total_beyond_margin) AS beyond_margin
FROM demo_venue.stress_scenario_cover ORDER BY total_deficit DESC, scenario;
\echo 'The venue''s cover-1 and cover-2 (CPMI-IOSCO PFMI principle 4): the largest uncovered loss of one and of two accounts in one scenario'
SELECT round(cover_1) AS cover_1, cover_1_scenario, round(cover_2) AS cover_2, cover_2_accounts, cover_2_scenario
FROM demo_venue.stress_cover;
\echo 'A liquidation cascade: BTC down 15%, liquidated BTC positions closed into the book, square-root impact (200 BTC move the price 5%)'
SELECT c.round, round(c.price) AS btc_price, c.accounts_liquidated, round(c.volume::numeric, 1) AS volume_btc,
       round(c.price_after) AS price_after, round(c.shortfall) AS shortfall, round(c.total_shortfall) AS insurance_fund_draw, c.stopped
FROM demo_venue.liquidation_cascade('BTC', -0.15, depth => 200, impact => 0.05) c;

\echo 'A margin snapshot (what a pg_cron job runs; see doc/reference-schema.md)'
SELECT demo_venue.snapshot_margins('2026-11-25 08:00+00') AS accounts_snapshotted;

-- Real time (doc/realtime.md): live margin keeps demo_venue.margin_live
-- current; a trade is re-margined in its transaction, a price tick by the
-- background worker; a status change is a margin_calls row and a NOTIFY.
\echo 'Real time: live margin on, the worker started (every 10 ms), this session LISTENing on portmargin_margin_calls'
SELECT portmargin.enable_live_margin('demo_venue') AS accounts_live;
SELECT portmargin.start_live_margin_worker('demo_venue', '10 ms') > 0 AS worker_started;
LISTEN portmargin_margin_calls;
SELECT account_id AS trader FROM demo_venue.margin_live WHERE status = 'healthy'
  AND account_id IN (SELECT account_id FROM demo_venue.accounts WHERE method = 'deribit-btc') ORDER BY excess DESC LIMIT 1 \gset
\echo 'Pre-trade checks for account' :trader ': selling 50 BTC perpetuals, then 1 (an accepted order is reserved in open_orders)'
SELECT accepted, reason FROM demo_venue.pretrade_check(:trader,
  ARRAY[(SELECT instrument_id FROM demo_venue.instruments WHERE name = 'BTC-PERPETUAL')], '{sell}', '{50}');
SELECT accepted, reason FROM demo_venue.pretrade_check(:trader,
  ARRAY[(SELECT instrument_id FROM demo_venue.instruments WHERE name = 'BTC-PERPETUAL')], '{sell}', '{1}');
\echo 'The order fills: the trade is booked (open order out, position in), and re-margined in the same transaction'
BEGIN;
DELETE FROM demo_venue.open_orders WHERE account_id = :trader;
INSERT INTO demo_venue.positions (account_id, instrument_id, quantity, entry_price)
SELECT :trader, instrument_id, -1, 97000 FROM demo_venue.instruments WHERE name = 'BTC-PERPETUAL'
ON CONFLICT (account_id, instrument_id) DO UPDATE SET quantity = demo_venue.positions.quantity - 1;
COMMIT;
SELECT account_id, status, round(equity) AS equity, round(initial_margin) AS initial_margin, cause FROM demo_venue.margin_live WHERE account_id = :trader;
\echo 'A tick: BTC down 4%, committed; the worker re-margins the BTC accounts; the accounts whose status changed are NOTIFYed:'
UPDATE demo_venue.index_prices SET price = price * 0.96 WHERE underlying = 'BTC';
DO $$ BEGIN FOR i IN 1 .. 1000 LOOP EXIT WHEN NOT EXISTS (SELECT 1 FROM demo_venue.margin_queue); PERFORM pg_sleep(0.005); END LOOP; END $$;
SELECT pg_sleep(0.1) \g /dev/null
SELECT cause, count(*) AS accounts, max(updated_at) - min(updated_at) AS spread FROM demo_venue.margin_live GROUP BY cause ORDER BY cause;
SELECT new_status, count(*) AS margin_calls_after_the_tick FROM demo_venue.margin_calls WHERE cause = 'tick' GROUP BY new_status ORDER BY new_status;
SELECT portmargin.stop_live_margin_worker('demo_venue') AS worker_stopped;
