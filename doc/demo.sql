-- doc/demo.sql: the README's main job.  Prices and Greeks for a handful of
-- coin-settled BTC options (Black-76 on the forward, value in BTC) and
-- S&P 500 index options (Black-Scholes-Merton with a dividend yield).
-- Run by `bash test/run.sh demo` in a throwaway cluster; it only reads.

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
