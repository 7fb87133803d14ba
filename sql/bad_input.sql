-- pg_regress: messages for bad input.  Each names the argument and its value
-- (SQLSTATE 22023 is asserted for every function in test/errors.sql).
\set SHOW_CONTEXT never
SELECT portmargin.bs_price('call', 'NaN', 100, 1, 0.2);
SELECT portmargin.bs_price('call', 100, 100, 1, 'Infinity');
SELECT portmargin.bs_price('call', 100, 100, -0.5, 0.2);
SELECT portmargin.bs_price('call', 100, 100, 0.5, -0.2);
SELECT portmargin.bs_price('call', 100, 0, 0.5, 0.2);
SELECT portmargin.black76_price('put', -65000, 60000, 0.5, 0.6);
SELECT portmargin.bs_greeks('straddle', 100, 100, 0.5, 0.2);
SELECT portmargin.bs_price('call', 100, 100, 0.5, 0.2, '-Infinity');
SELECT portmargin.bs_price('call', 100, 100, 0.5, 0.2, 0.05, 'NaN');
SELECT portmargin.implied_vol(0, 'call', 100, 100, 0.5);
SELECT portmargin.implied_vol(-1, 'call', 100, 100, 0.5);
SELECT portmargin.inverse_implied_vol('NaN', 'put', 60000, 65000, 0.5);
SELECT portmargin.year_fraction('-infinity', now());
SELECT portmargin.bs_gamma('call', 1e-10, 1e-10, 1e-300, 1e-156);
-- the margin aggregate: NaN anywhere is an error, even where a value is unused
SELECT (portmargin.portfolio_margin(1, 'X', 'future', NULL, NULL, NULL, 100, NULL, 'linear', 1, 'NaN', portmargin.preset('span'))).initial_margin;
SELECT (portmargin.portfolio_margin('NaN', 'X', 'future', NULL, NULL, NULL, 100, NULL, 'linear', 1, NULL, portmargin.preset('span'))).initial_margin;
SELECT (portmargin.portfolio_margin(1, 'X', 'future', NULL, NULL, NULL, 100, NULL, 'linear', -1, NULL, portmargin.preset('span'))).initial_margin;
