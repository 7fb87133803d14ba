-- test/identities.sql: closed-form identities and published settlement
-- arithmetic.  Expected values are identities (put-call parity, Black-76 =
-- BSM with q = r on the same forward, inverse value x forward = Black-76
-- value) or published worked examples (Deribit settlement, net delta).
BEGIN;
SELECT plan(26);

CREATE TEMP TABLE grid AS
SELECT s, k, t, vol, r, q
FROM unnest('{20,100,60000}'::float8[]) s,
     unnest('{0.3,0.8,1,1.25,4}'::float8[]) m, LATERAL (SELECT s * m AS k) kk,
     unnest('{0.0027397260273972603,0.1,1,5}'::float8[]) t,
     unnest('{0.05,0.3,1.5}'::float8[]) vol,
     unnest('{-0.02,0,0.07}'::float8[]) r,
     unnest('{0,0.04}'::float8[]) q;

-- put-call parity: C - P = S exp(-q t) - K exp(-r t)
SELECT is_empty($$
  SELECT * FROM grid
  WHERE abs((portmargin.bs_price('call', s, k, t, vol, r, q) - portmargin.bs_price('put', s, k, t, vol, r, q))
            - (s * exp(-q * t) - k * exp(-r * t))) > 1e-13 * greatest(s, k)
$$, 'BSM put-call parity on 1,080 cases (1e-13 x max(S, K))');
SELECT is_empty($$
  SELECT * FROM grid
  WHERE abs((portmargin.black76_price('call', s, k, t, vol, r) - portmargin.black76_price('put', s, k, t, vol, r))
            - exp(-r * t) * (s - k)) > 1e-13 * greatest(s, k)
$$, 'Black-76 put-call parity (1e-13 x max(F, K))');
SELECT is_empty($$
  SELECT * FROM grid, LATERAL portmargin.bs_greeks('call', s, k, t, vol, r, q) c,
                      LATERAL portmargin.bs_greeks('put', s, k, t, vol, r, q) p
  WHERE abs((c.delta - p.delta) - exp(-q * t)) > 1e-14
     OR abs(c.gamma - p.gamma) > 1e-14 * greatest(c.gamma, 1e-300)
     OR abs(c.vega - p.vega) > 1e-14 * greatest(c.vega, 1e-300)
$$, 'parity of Greeks: delta_c - delta_p = exp(-q t); equal gamma and vega');

-- Black-76 = BSM with dividend = rate on the same forward (F = S)
SELECT is_empty($$
  SELECT * FROM grid, unnest('{call,put}'::text[]) o
  WHERE portmargin.black76_price(o, s, k, t, vol, r) <> portmargin.bs_price(o, s, k, t, vol, r, r)
$$, 'black76_price(F) = bs_price(S = F, dividend = rate), exactly');
SELECT is_empty($$
  SELECT * FROM grid, unnest('{call,put}'::text[]) o,
         LATERAL portmargin.black76_greeks(o, s, k, t, vol, r) b, LATERAL portmargin.bs_greeks(o, s, k, t, vol, r, r) g
  WHERE b.delta <> g.delta OR b.gamma <> g.gamma OR b.vega <> g.vega OR b.theta <> g.theta
$$, 'Black-76 and BSM with q = r agree on delta, gamma, vega and theta');
SELECT is_empty($$
  SELECT * FROM grid, unnest('{call,put}'::text[]) o
  WHERE portmargin.bs_price(o, s, k, t, vol, r, q) > 1e-290
    AND abs(portmargin.black76_price(o, s * exp((r - q) * t), k, t, vol, r) / portmargin.bs_price(o, s, k, t, vol, r, q) - 1)
        > CASE WHEN portmargin.bs_price(o, s, k, t, vol, r, q) > 1e-6 * s THEN 1e-12 ELSE 1e-10 END
$$, 'BSM = Black-76 on F = S exp((r - q) t) (1e-12 relative; 1e-10 for prices below 1e-6 x spot)');

-- coin-settled options: value in coin x forward = Black-76 value in USD
SELECT is_empty($$
  SELECT * FROM grid, unnest('{call,put}'::text[]) o
  WHERE abs(portmargin.inverse_price(o, s, k, t, vol, r) * s - portmargin.black76_price(o, s, k, t, vol, r))
        > 4e-16 * portmargin.black76_price(o, s, k, t, vol, r)
$$, 'inverse_price x forward = black76_price (within 2 ulps)');
SELECT is_empty($$
  SELECT * FROM grid, unnest('{call,put}'::text[]) o, LATERAL portmargin.inverse_greeks(o, s, k, t, vol, r) g,
         LATERAL portmargin.black76_greeks(o, s, k, t, vol, r) b
  WHERE g.net_delta <> g.delta - g.price OR g.delta <> b.delta OR g.price_usd <> b.price
     OR abs(g.vega * s - b.vega) > 4e-16 * b.vega OR abs(g.rho + t * g.price) > 4e-16 * abs(t * g.price)
$$, 'inverse Greeks: net_delta = delta - price; vega x F = Black-76 vega; rho = -t x coin price');

-- Deribit's published examples (support.deribit.com "Inverse Options"; FAQ on net delta)
SELECT is(portmargin.inverse_price('call', 125000, 100000, 0, 0.6), 0.2::float8,
          'long call K=100,000 settling at 125,000 pays 0.2 BTC');
SELECT is(portmargin.inverse_price('call', 400, 300, 0, 0.6), 0.25::float8,
          'call K=300 delivered at 400 pays 0.25 BTC');
SELECT is(portmargin.inverse_price('put', 200, 300, 0, 0.6), 0.5::float8,
          'put K=300 delivered at 200 pays 0.5 BTC');
SELECT ok(abs(g.delta - 0.5) < 1e-15 AND abs(g.net_delta - (0.5 - g.price)) < 1e-15,
          'at d1 = 0 (K = F exp(s^2/2)) the BS delta is 1/2 and net delta = 1/2 - coin price (Deribit FAQ definition)')
FROM portmargin.inverse_greeks('call', 60000, 60000 * exp(0.03125::float8), 0.25, 0.5) g;

-- t = 0 and vol = 0: discounted intrinsic on the forward, documented delta rule
SELECT results_eq($$
  SELECT portmargin.bs_price('call', 110, 100, 0, 0.3), portmargin.bs_price('put', 110, 100, 0, 0.3),
         portmargin.bs_delta('call', 110, 100, 0, 0.3), portmargin.bs_delta('put', 110, 100, 0, 0.3),
         portmargin.bs_delta('call', 90, 100, 0, 0.3), portmargin.bs_delta('put', 90, 100, 0, 0.3),
         portmargin.bs_gamma('call', 110, 100, 0, 0.3), portmargin.bs_vega('call', 110, 100, 0, 0.3)
$$, $$VALUES (10::float8, 0::float8, 1::float8, 0::float8, 0::float8, -1::float8, 0::float8, 0::float8)$$,
  't = 0: intrinsic value, delta 1 / 0 / -1, no gamma or vega');
SELECT results_eq($$
  SELECT portmargin.bs_price('call', 100, 100, 0, 0.3), portmargin.bs_delta('call', 100, 100, 0, 0.3),
         portmargin.bs_delta('put', 100, 100, 0, 0.3), portmargin.black76_delta('call', 100, 100, 0, 0.3)
$$, $$VALUES (0::float8, 0.5::float8, -0.5::float8, 0.5::float8)$$,
  't = 0 at the money: value 0, delta +/-1/2 (the limit of N(d1) as vol sqrt(t) -> 0)');
SELECT ok(portmargin.bs_price('call', 110, 100, 1, 0, 0.05) = exp(-0.05) * (110 * exp(0.05) - 100)
          OR abs(portmargin.bs_price('call', 110, 100, 1, 0, 0.05) - (110 - 100 * exp(-0.05))) < 1e-13,
          'vol = 0: discounted forward intrinsic, 110 - 100 exp(-0.05)');
SELECT is(portmargin.bs_price('put', 110, 100, 1, 0, 0.05), 0::float8, 'vol = 0 out of the money: 0');
SELECT ok(abs(portmargin.black76_vega('call', 100, 100, 1, 0, 0.05) - exp(-0.05) * 100 / sqrt(2 * pi())) < 1e-12,
          'vol = 0 at the forward money: vega is the right derivative exp(-rt) F sqrt(t) / sqrt(2 pi)');

-- deep in and out of the money: never below intrinsic, no NaN, monotone in strike
SELECT is_empty($$
  SELECT k FROM generate_series(1, 400) i, LATERAL (SELECT 100 * exp(-3 + i * 0.015::float8) AS k) kk,
         unnest('{0.0001,0.01,1}'::float8[]) t, unnest('{0.01,0.2,2}'::float8[]) vol
  WHERE portmargin.black76_price('call', 100, k, t, vol) < greatest(100 - k, 0)
     OR portmargin.black76_price('put', 100, k, t, vol) < greatest(k - 100, 0)
     OR portmargin.black76_price('call', 100, k, t, vol) = 'NaN'
$$, 'price >= intrinsic across strikes exp(-3)..exp(3) x F (QuantLib #2798 regime included)');
SELECT is_empty($$
  SELECT * FROM (
    SELECT k, portmargin.black76_price('call', 100, k, 0.01, 0.2) AS c, portmargin.black76_price('put', 100, k, 0.01, 0.2) AS p,
           lag(portmargin.black76_price('call', 100, k, 0.01, 0.2)) OVER (ORDER BY k) AS c_prev,
           lag(portmargin.black76_price('put', 100, k, 0.01, 0.2)) OVER (ORDER BY k) AS p_prev
    FROM generate_series(1, 2000) i, LATERAL (SELECT 100 * exp(-1 + i * 0.001::float8) AS k) kk) z
  WHERE c > c_prev OR p < p_prev
$$, 'call value non-increasing and put value non-decreasing in strike (monotone CDF)');
-- mpmath (50 digits): F N(d1) - K N(d2) = 1.6223056780944790920e-283
SELECT ok(abs(portmargin.black76_price('call', 100, 205, 0.01, 0.2) / 1.6223056780944790920e-283 - 1) < 1e-10,
          'a call 36 standard deviations out of the money keeps its tiny value (1.62e-283) to 1e-10');
SELECT is(portmargin.black76_price('call', 100, 300, 0.01, 0.2), 0::float8,
          'a value below the double range (~1e-655) is 0, not an error or NaN');
SELECT is(portmargin.black76_price('call', 100, 1e-300, 1, 0.5), 100::float8 - 1e-300,
          'strike near zero: the call is worth the forward');

-- year_fraction: ACT/365
SELECT is(portmargin.year_fraction('2026-01-01 00:00+00', '2027-01-01 00:00+00'), 1::float8, '365 days = 1 year');
SELECT is(portmargin.year_fraction('2024-01-01 00:00+00', '2025-01-01 00:00+00'), 366 / 365::float8, 'leap year: 366/365');
SELECT is(portmargin.year_fraction('2026-11-25 08:00+00', '2026-11-25 20:00+00'), 0.5 / 365::float8, '12 hours = 0.5/365');
SELECT is(portmargin.year_fraction('2026-03-29 12:00+02', '2026-03-29 10:00+00'), 0::float8,
          'instants, not wall-clock: the same instant in two time zones is 0');

SELECT * FROM finish();
ROLLBACK;
