-- pg_regress: edge cases with documented results (doc/pricing.md).  The
-- expected values are intrinsic values and limits worked by hand.
-- t = 0: intrinsic; delta 1 / 0 / -1, and +/-1/2 exactly at the money
SELECT o, s, portmargin.bs_price(o, s, 100, 0, 0.3) AS price, portmargin.bs_delta(o, s, 100, 0, 0.3) AS delta,
       portmargin.bs_gamma(o, s, 100, 0, 0.3) AS gamma, portmargin.bs_vega(o, s, 100, 0, 0.3) AS vega
FROM unnest('{call,put}'::text[]) o, unnest('{90,100,110}'::float8[]) s ORDER BY o, s;

-- vol = 0 with t > 0 and zero rates: intrinsic on the forward
SELECT o, f, portmargin.black76_price(o, f, 100, 1, 0) AS price, portmargin.black76_delta(o, f, 100, 1, 0) AS delta
FROM unnest('{call,put}'::text[]) o, unnest('{90,100,110}'::float8[]) f ORDER BY o, f;

-- implied volatility at and beyond the bounds
SELECT portmargin.implied_vol(10, 'call', 110, 100, 0) AS at_intrinsic_t0,
       portmargin.implied_vol(9.99, 'call', 110, 100, 0.5) AS below_intrinsic,
       portmargin.implied_vol(110, 'call', 110, 100, 0.5) AS at_spot,
       portmargin.black76_implied_vol(100, 'put', 100, 100, 0.5) AS put_at_strike;

-- extreme inputs give finite numbers, never NaN
SELECT count(*) AS cases,
       count(*) FILTER (WHERE g.price = 'NaN' OR g.delta = 'NaN' OR g.gamma = 'NaN' OR g.vega = 'NaN'
                          OR g.theta = 'NaN' OR g.rho = 'NaN' OR g.vanna = 'NaN' OR g.volga = 'NaN'
                          OR g.charm = 'NaN') AS nan_results
FROM unnest('{call,put}'::text[]) o, unnest('{1e-6,1,1e6}'::float8[]) s, unnest('{1e-6,1,1e6}'::float8[]) k,
     unnest('{0,1e-9,1,100}'::float8[]) t, unnest('{0,1e-6,1,50}'::float8[]) v,
     LATERAL portmargin.bs_greeks(o, s, k, t, v, 0.05, 0.02) g;
