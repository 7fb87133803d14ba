-- test/pricing_truth.sql: prices and Greeks against 40-digit truth.
-- test/fixtures/pricing_truth.csv holds 2,048 cases (1,000 random BSM, 1,000
-- random Black-76, 48 edge cases: moneyness 0.2-5, t 1 day-5 years, vol
-- 0.05-3, rate -0.02-0.15, dividend 0-0.1, both option types) whose values
-- and Greeks test/fixtures/gen_pricing_truth.py computed with mpmath by
-- differentiating the price function (regenerate with
-- `/usr/bin/python3 test/fixtures/gen_pricing_truth.py`).
-- Tolerances (issue #2):
--   price: 1e-12 relative where price > 1e-6 * spot, 1e-10 relative for any
--          smaller price that is a normal double (no underflow to 0), within
--          DBL_MIN where the truth itself is subnormal or zero;
--   Greeks: 1e-10 relative or 1e-12 * spot absolute.
BEGIN;

CREATE TEMP TABLE truth (id int, model text, option_type text, spot float8, strike float8, t float8,
                         vol float8, rate float8, dividend float8, price float8, delta float8,
                         gamma float8, vega float8, theta float8, rho float8, dividend_rho float8,
                         vanna float8, volga float8, charm float8);
\copy truth FROM 'test/fixtures/pricing_truth.csv' WITH (FORMAT csv, HEADER true)

CREATE TEMP TABLE got AS
SELECT t.id, g.*
FROM truth t,
     LATERAL (SELECT * FROM portmargin.bs_greeks(option_type, spot, strike, t, vol, rate, dividend) WHERE model = 'bsm'
              UNION ALL
              SELECT * FROM portmargin.black76_greeks(option_type, spot, strike, t, vol, rate) WHERE model = 'black76') g;

-- error of each quantity, in units of its tolerance (<= 1 passes).  Written
-- without multiplying tiny numbers: PostgreSQL's float operators raise an
-- underflow error where a product or quotient of nonzero values rounds to 0.
CREATE TEMP TABLE err AS
SELECT id, model, name, truth, value, spot, rel,
       CASE WHEN name = 'price' THEN
              CASE WHEN truth > 1e-6 * spot THEN rel / 1e-12
                   WHEN truth >= 2.2250738585072014e-308 THEN rel / 1e-10
                   ELSE abs(value - truth) / 2.2250738585072014e-308 END
            ELSE least(coalesce(rel / 1e-10, 'Infinity'), abs(value - truth) / (1e-12 * spot))
       END AS ratio
FROM (SELECT t.id, t.model, q.name, q.truth, q.value, t.spot,
             abs(q.value / nullif(q.truth, 0) - 1) AS rel
      FROM truth t JOIN got g USING (id),
           LATERAL (VALUES ('price', t.price, g.price), ('delta', t.delta, g.delta), ('gamma', t.gamma, g.gamma),
                           ('vega', t.vega, g.vega), ('theta', t.theta, g.theta), ('rho', t.rho, g.rho),
                           ('dividend_rho', t.dividend_rho, g.dividend_rho), ('vanna', t.vanna, g.vanna),
                           ('volga', t.volga, g.volga), ('charm', t.charm, g.charm)) AS q(name, truth, value)
      WHERE q.truth IS NOT NULL) e;

SELECT plan(13);

SELECT is((SELECT count(*)::int FROM truth), 2048, 'all 2,048 truth cases are loaded');
SELECT is((SELECT count(*)::int FROM got), 2048, 'every case is priced');

SELECT is_empty(format($$SELECT id, model, value, truth FROM err WHERE name = %L AND NOT ratio <= 1$$, n),
                format('%s within tolerance on every case', n))
FROM unnest('{price,delta,gamma,vega,theta,rho,dividend_rho,vanna,volga,charm}'::text[]) WITH ORDINALITY AS u(n, i)
ORDER BY i;

SELECT is_empty($$SELECT id FROM err WHERE name = 'price' AND truth >= 2.2250738585072014e-308 AND value = 0$$,
                'no price underflows to 0 where the truth is a normal double');

-- the measured accuracy, for doc/pricing.md: relative error over cases whose
-- truth is a normal double (|truth| > 1e-290), overall and where price > 1e-6 spot
SELECT diag(format('%-13s max rel err %s overall, %s where price > 1e-6 spot; max err/tolerance %s',
                   e.name, to_char(max(e.rel) FILTER (WHERE abs(e.truth) > 1e-290), '9.9EEEE'),
                   to_char(max(e.rel) FILTER (WHERE abs(e.truth) > 1e-290 AND t.price > 1e-6 * t.spot), '9.9EEEE'),
                   to_char(max(e.ratio), '9.9EEEE')))
FROM err e JOIN truth t USING (id) GROUP BY e.name ORDER BY e.name;

SELECT * FROM finish();
ROLLBACK;
