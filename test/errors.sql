-- test/errors.sql: every bad input ends in ERROR 22023 (invalid_parameter_value)
-- naming the argument and its value; never a crash, a NaN or an Infinity.
-- The calls are generated: each pricing function x each numeric argument x
-- each bad value (NaN, +/-Infinity, and the argument's out-of-domain values).
BEGIN;

CREATE TEMP TABLE fn (name text, args text[], base text[]);
INSERT INTO fn VALUES
  ('bs_price',       '{option_type,spot,strike,t,vol,rate,dividend}', '{call,100,100,0.5,0.2,0.05,0.01}'),
  ('bs_greeks',      '{option_type,spot,strike,t,vol,rate,dividend}', '{put,100,100,0.5,0.2,0.05,0.01}'),
  ('bs_delta',       '{option_type,spot,strike,t,vol,rate,dividend}', '{c,100,100,0.5,0.2,0.05,0.01}'),
  ('bs_gamma',       '{option_type,spot,strike,t,vol,rate,dividend}', '{p,100,100,0.5,0.2,0.05,0.01}'),
  ('bs_vega',        '{option_type,spot,strike,t,vol,rate,dividend}', '{CALL,100,100,0.5,0.2,0.05,0.01}'),
  ('bs_theta',       '{option_type,spot,strike,t,vol,rate,dividend}', '{Put,100,100,0.5,0.2,0.05,0.01}'),
  ('black76_price',  '{option_type,forward,strike,t,vol,rate}', '{call,100,100,0.5,0.2,0.05}'),
  ('black76_greeks', '{option_type,forward,strike,t,vol,rate}', '{put,100,100,0.5,0.2,0.05}'),
  ('black76_delta',  '{option_type,forward,strike,t,vol,rate}', '{call,100,100,0.5,0.2,0.05}'),
  ('black76_gamma',  '{option_type,forward,strike,t,vol,rate}', '{put,100,100,0.5,0.2,0.05}'),
  ('black76_vega',   '{option_type,forward,strike,t,vol,rate}', '{call,100,100,0.5,0.2,0.05}'),
  ('black76_theta',  '{option_type,forward,strike,t,vol,rate}', '{put,100,100,0.5,0.2,0.05}'),
  ('inverse_price',  '{option_type,forward,strike,t,vol,rate}', '{call,60000,65000,0.1,0.6,0}'),
  ('inverse_greeks', '{option_type,forward,strike,t,vol,rate}', '{put,60000,65000,0.1,0.6,0}'),
  ('implied_vol',         '{price,option_type,spot,strike,t,rate,dividend}', '{5,call,100,100,0.5,0.05,0.01}'),
  ('black76_implied_vol', '{price,option_type,forward,strike,t,rate}', '{5,put,100,100,0.5,0.05}'),
  ('inverse_implied_vol', '{price,option_type,forward,strike,t,rate}', '{0.05,call,60000,65000,0.1,0}');

-- bad values per argument: non-finite everywhere, plus each domain's edge
CREATE TEMP TABLE bad (arg text, val text, shown text);
INSERT INTO bad
SELECT a, v, v FROM unnest('{spot,forward,strike,t,vol,rate,dividend,price}'::text[]) a,
                    unnest('{NaN,Infinity,-Infinity}'::text[]) v
UNION ALL VALUES ('spot', '0', '0'), ('spot', '-1', '-1'), ('forward', '0', '0'), ('forward', '-65000', '-65000'),
                 ('strike', '0', '0'), ('strike', '-100', '-100'), ('t', '-0.001', '-0.001'),
                 ('vol', '-0.2', '-0.2'), ('price', '0', '0'), ('price', '-1', '-1');

CREATE TEMP TABLE cases AS
SELECT format('SELECT portmargin.%s(%s)', f.name,
              string_agg(CASE WHEN f.args[i] = 'option_type' THEN quote_literal(CASE WHEN f.args[i] = b.arg THEN b.val ELSE f.base[i] END)
                              ELSE quote_literal(CASE WHEN f.args[i] = b.arg THEN b.val ELSE f.base[i] END) || '::float8' END,
                         ', ' ORDER BY i)) AS call,
       format('invalid value for argument "%s": %s', b.arg, b.shown) AS message
FROM fn f JOIN bad b ON b.arg = ANY (f.args), generate_subscripts(f.args, 1) i
GROUP BY f.name, b.arg, b.val, b.shown;

-- unknown option types
INSERT INTO cases
SELECT format('SELECT portmargin.%s(%s)', f.name,
              string_agg(CASE WHEN f.args[i] = 'option_type' THEN quote_literal(o)
                              ELSE quote_literal(f.base[i]) || '::float8' END, ', ' ORDER BY i)),
       format('invalid value for argument "option_type": "%s"', o)
FROM fn f, unnest('{straddle,"",callx,"put ",pu}'::text[]) o, generate_subscripts(f.args, 1) i
GROUP BY f.name, o;

-- year_fraction with infinite timestamps
INSERT INTO cases VALUES
  ('SELECT portmargin.year_fraction(''infinity'', ''2027-01-01'')', 'invalid value for argument "as_of": infinity'),
  ('SELECT portmargin.year_fraction(''2027-01-01'', ''-infinity'')', 'invalid value for argument "expiry": -infinity');

SELECT plan((SELECT count(*)::int + 3 FROM cases));

SELECT throws_ok(call, '22023', message, call) FROM cases ORDER BY call;

-- results that would overflow raise 22003 instead of returning Infinity
SELECT throws_ok('SELECT portmargin.bs_gamma(''call'', 1e-10, 1e-10, 1e-300, 1e-156)', '22003', NULL,
                 'gamma at the money with vol*sqrt(t) = 1e-306 overflows: error, not Infinity');
SELECT throws_ok('SELECT portmargin.bs_price(''call'', 1e300, 1, 10, 0.2, -100)', '22003', NULL,
                 'price beyond the double range: error, not Infinity');
SELECT lives_ok('SELECT portmargin.bs_greeks(''call'', 1e-300, 1e300, 5, 3, 0.15, 0.1)',
                'extreme but representable inputs do not error');

SELECT * FROM finish();
ROLLBACK;
