-- doc/demo.sql: the README's main job.  Prices and Greeks for a handful of
-- coin-settled BTC options (Black-76 on the forward, value in BTC) and
-- S&P 500 index options (Black-Scholes-Merton with a dividend yield), then
-- the portfolio margin of a small book of accounts under four methods.
-- Run by `bash test/run.sh demo` in a throwaway cluster; it creates only
-- temporary tables and a temporary function, so it can be rerun anywhere.

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
             portmargin.portfolio_margin(p.quantity, i.underlying, i.kind, i.option_type, i.strike,
                 portmargin.year_fraction(k.as_of, i.expiry), k.forward, k.vol,
                 i.settlement, i.multiplier, k.index_price, s.scenarios) AS m
      FROM positions p
      JOIN instruments i USING (instrument_id)
      JOIN market k USING (instrument_id)
      CROSS JOIN (SELECT portmargin.preset('deribit-btc') AS scenarios) s
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
             portmargin.portfolio_margin(p.quantity, i.underlying, i.kind, i.option_type, i.strike,
                 portmargin.year_fraction(k.as_of, i.expiry), k.forward, k.vol,
                 i.settlement, i.multiplier, k.index_price, s.scenarios) AS m
      FROM positions p
      JOIN instruments i USING (instrument_id)
      JOIN market k USING (instrument_id)
      CROSS JOIN (SELECT portmargin.preset('okx-btc') AS scenarios) s
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
             portmargin.portfolio_margin(p.quantity, i.underlying, i.kind, i.option_type, i.strike,
                 portmargin.year_fraction(k.as_of, i.expiry), k.forward, k.vol,
                 i.settlement, i.multiplier, k.index_price, s.scenarios) AS m
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
             portmargin.portfolio_margin(p.quantity, i.underlying, i.kind, i.option_type, i.strike,
                 portmargin.year_fraction(k.as_of, i.expiry), k.forward, k.vol,
                 i.settlement, i.multiplier, k.index_price, s.scenarios) AS m
      FROM positions p
      JOIN instruments i USING (instrument_id)
      JOIN market k USING (instrument_id)
      CROSS JOIN (SELECT name, scenarios FROM portmargin.scenario_presets
                  WHERE name IN ('deribit-btc', 'okx-btc', 'span')) s
      GROUP BY p.account_id, s.name) x
JOIN accounts a USING (account_id)
GROUP BY x.account_id, a.strategy
ORDER BY x.account_id;
