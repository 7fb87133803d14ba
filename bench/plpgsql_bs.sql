-- bench/plpgsql_bs.sql
--
-- The "what a user writes otherwise" peer for bench/pricing.sql: a
-- Black-Scholes-Merton price in plain PL/pgSQL, written the way a careful
-- user would write it without the extension.  It is NOT part of portmargin;
-- it lives in the public schema of the benchmark database only.
--
-- Normal CDF: PostgreSQL 15 has no erf()/erfc(), so N(x) is coded by hand
-- with Abramowitz & Stegun (1964) formula 26.2.17, the polynomial
-- approximation found in Hull's textbook and most tutorials:
--
--     N(x) = 1 - phi(x) (b1 t + b2 t^2 + b3 t^3 + b4 t^4 + b5 t^5),
--     t = 1 / (1 + p x),  x >= 0,  N(-x) = 1 - N(x)
--
-- Its absolute error is |e(x)| < 7.5e-8 over the whole real line, so prices
-- agree with portmargin.bs_price to roughly 1e-7 * spot (about 1e-5 for a
-- spot of 100), which is what such user code is usually accepted with.  It
-- is also the cheapest of the usual formulas (one exp, one division, a
-- 5-term Horner polynomial), so it does not make the peer look slower than
-- it needs to be.
--
-- The guard at |x| > 37 is needed in PostgreSQL, not just an optimisation:
-- exp() raises "value out of range: underflow" instead of returning 0, and
-- short-dated, low-vol options reach |d1| of 50 and more.

CREATE OR REPLACE FUNCTION bench_plpgsql_norm_cdf(x float8)
RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    ax  float8 := abs(x);
    t   float8;
    tail float8;               -- 1 - N(|x|)
BEGIN
    IF ax > 37 THEN
        tail := 0;
    ELSE
        t := 1.0 / (1.0 + 0.2316419 * ax);
        tail := 0.398942280401432678 * exp(-0.5 * ax * ax)
              * t * (0.319381530 + t * (-0.356563782 + t * (1.781477937
              + t * (-1.821255978 + t * 1.330274429))));
    END IF;
    IF x >= 0 THEN
        RETURN 1.0 - tail;
    END IF;
    RETURN tail;
END
$$;

-- Black-Scholes-Merton price with continuous dividend yield q.
-- option_type: 'call'/'c' or 'put'/'p' (any case), like portmargin.bs_price.
CREATE OR REPLACE FUNCTION bench_plpgsql_bs_price(option_type text, s float8, k float8,
                                                  t float8, vol float8, r float8, q float8)
RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    is_call boolean;
    sd  float8;
    d1  float8;
    d2  float8;
    dq  float8;
    dr  float8;
BEGIN
    CASE lower(option_type)
        WHEN 'call', 'c' THEN is_call := true;
        WHEN 'put', 'p' THEN is_call := false;
        ELSE RAISE EXCEPTION 'invalid option_type: %', option_type;
    END CASE;
    IF s <= 0 OR k <= 0 OR t < 0 OR vol < 0 THEN
        RAISE EXCEPTION 'invalid arguments: s=% k=% t=% vol=%', s, k, t, vol;
    END IF;

    dq := exp(-q * t);
    dr := exp(-r * t);
    IF t = 0 OR vol = 0 THEN
        -- expiry or zero volatility: discounted intrinsic value on the forward
        IF is_call THEN
            RETURN greatest(s * dq - k * dr, 0);
        END IF;
        RETURN greatest(k * dr - s * dq, 0);
    END IF;

    sd := vol * sqrt(t);
    d1 := (ln(s / k) + (r - q + 0.5 * vol * vol) * t) / sd;
    d2 := d1 - sd;
    IF is_call THEN
        RETURN s * dq * bench_plpgsql_norm_cdf(d1) - k * dr * bench_plpgsql_norm_cdf(d2);
    END IF;
    RETURN k * dr * bench_plpgsql_norm_cdf(-d2) - s * dq * bench_plpgsql_norm_cdf(-d1);
END
$$;
