-- portmargin 0.1.0: option pricing, Greeks and implied volatility.
-- Every object lives in the extension's schema (@extschema@ = portmargin);
-- every function is C, so no body depends on search_path.

\echo Use "CREATE EXTENSION portmargin" to load this file. \quit

CREATE TYPE @extschema@.greeks AS (
    price        float8,
    delta        float8,
    gamma        float8,
    vega         float8,
    theta        float8,
    theta_day    float8,
    rho          float8,
    dividend_rho float8,
    vanna        float8,
    volga        float8,
    charm        float8
);
COMMENT ON TYPE @extschema@.greeks IS
  'value and sensitivities of one option: vega per 1.00 vol, theta = -dV/dt per year (theta_day = theta/365), rho per 1.00 rate; dividend_rho is NULL for Black-76';

CREATE TYPE @extschema@.inverse_greeks AS (
    price      float8,
    price_usd  float8,
    delta      float8,
    net_delta  float8,
    gamma      float8,
    vega       float8,
    theta      float8,
    theta_day  float8,
    rho        float8
);
COMMENT ON TYPE @extschema@.inverse_greeks IS
  'coin-settled (inverse) option: price in coin, Black-Scholes delta and premium-adjusted net_delta = delta - price (coin), gamma per USD of forward, vega/theta/rho in coin';

CREATE FUNCTION @extschema@.bs_price(option_type text, spot float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0, dividend float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_bs_price'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bs_price(text, float8, float8, float8, float8, float8, float8) IS
  'Black-Scholes-Merton value of a European option on spot with continuous dividend yield';

CREATE FUNCTION @extschema@.bs_greeks(option_type text, spot float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0, dividend float8 DEFAULT 0)
RETURNS @extschema@.greeks
AS 'MODULE_PATHNAME', 'portmargin_bs_greeks'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bs_greeks(text, float8, float8, float8, float8, float8, float8) IS
  'Black-Scholes-Merton value and Greeks (spot delta, gamma, vega, theta, rho, dividend rho, vanna, volga, charm)';

CREATE FUNCTION @extschema@.bs_delta(option_type text, spot float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0, dividend float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_bs_delta'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bs_delta(text, float8, float8, float8, float8, float8, float8) IS
  'Black-Scholes-Merton delta dV/dS';

CREATE FUNCTION @extschema@.bs_gamma(option_type text, spot float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0, dividend float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_bs_gamma'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bs_gamma(text, float8, float8, float8, float8, float8, float8) IS
  'Black-Scholes-Merton gamma d2V/dS2';

CREATE FUNCTION @extschema@.bs_vega(option_type text, spot float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0, dividend float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_bs_vega'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bs_vega(text, float8, float8, float8, float8, float8, float8) IS
  'Black-Scholes-Merton vega dV/dvol, per 1.00 of volatility';

CREATE FUNCTION @extschema@.bs_theta(option_type text, spot float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0, dividend float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_bs_theta'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bs_theta(text, float8, float8, float8, float8, float8, float8) IS
  'Black-Scholes-Merton theta -dV/dt, per year';

CREATE FUNCTION @extschema@.black76_price(option_type text, forward float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_black76_price'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.black76_price(text, float8, float8, float8, float8, float8) IS
  'Black-76 value of a European option on a forward or future, discounted at rate';

CREATE FUNCTION @extschema@.black76_greeks(option_type text, forward float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0)
RETURNS @extschema@.greeks
AS 'MODULE_PATHNAME', 'portmargin_black76_greeks'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.black76_greeks(text, float8, float8, float8, float8, float8) IS
  'Black-76 value and Greeks with respect to the forward (rho with the forward held fixed)';

CREATE FUNCTION @extschema@.black76_delta(option_type text, forward float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_black76_delta'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.black76_delta(text, float8, float8, float8, float8, float8) IS
  'Black-76 delta dV/dF (discounted)';

CREATE FUNCTION @extschema@.black76_gamma(option_type text, forward float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_black76_gamma'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.black76_gamma(text, float8, float8, float8, float8, float8) IS
  'Black-76 gamma d2V/dF2';

CREATE FUNCTION @extschema@.black76_vega(option_type text, forward float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_black76_vega'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.black76_vega(text, float8, float8, float8, float8, float8) IS
  'Black-76 vega dV/dvol, per 1.00 of volatility';

CREATE FUNCTION @extschema@.black76_theta(option_type text, forward float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_black76_theta'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.black76_theta(text, float8, float8, float8, float8, float8) IS
  'Black-76 theta -dV/dt per year, forward held fixed';

CREATE FUNCTION @extschema@.inverse_price(option_type text, forward float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_inverse_price'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.inverse_price(text, float8, float8, float8, float8, float8) IS
  'value in coin of a coin-settled (inverse) option: Black-76 USD value on the forward divided by the forward';

CREATE FUNCTION @extschema@.inverse_greeks(option_type text, forward float8, strike float8, t float8, vol float8, rate float8 DEFAULT 0)
RETURNS @extschema@.inverse_greeks
AS 'MODULE_PATHNAME', 'portmargin_inverse_greeks'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.inverse_greeks(text, float8, float8, float8, float8, float8) IS
  'coin-settled (inverse) option value and Greeks in coin terms, with Black-Scholes delta and premium-adjusted net delta';

CREATE FUNCTION @extschema@.implied_vol(price float8, option_type text, spot float8, strike float8, t float8, rate float8 DEFAULT 0, dividend float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_implied_vol'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.implied_vol(float8, text, float8, float8, float8, float8, float8) IS
  'Black-Scholes-Merton implied volatility (Let''s Be Rational-style Householder solver); NULL outside the no-arbitrage bounds, 0 at the discounted intrinsic value';

CREATE FUNCTION @extschema@.black76_implied_vol(price float8, option_type text, forward float8, strike float8, t float8, rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_black76_implied_vol'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.black76_implied_vol(float8, text, float8, float8, float8, float8) IS
  'Black-76 implied volatility; NULL outside the no-arbitrage bounds, 0 at the discounted intrinsic value';

CREATE FUNCTION @extschema@.inverse_implied_vol(price float8, option_type text, forward float8, strike float8, t float8, rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_inverse_implied_vol'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.inverse_implied_vol(float8, text, float8, float8, float8, float8) IS
  'implied volatility of a coin-settled option from its price in coin (Black-76 on the forward, as Deribit quotes mark IV)';

CREATE FUNCTION @extschema@.year_fraction(as_of timestamptz, expiry timestamptz)
RETURNS float8
AS 'MODULE_PATHNAME', 'portmargin_year_fraction'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.year_fraction(timestamptz, timestamptz) IS
  'ACT/365 year fraction (expiry - as_of) / 365 days of 86,400 s; negative when expiry precedes as_of';
