-- pg_regress: option pricing against published values.  Each row compares a
-- portmargin result with a value printed in a public source (QuantLib's test
-- suite, https://github.com/lballabio/QuantLib/tree/master/test-suite, which
-- prints Haug's examples; ids as in test/fixtures/published_values.csv), so
-- the expected output is all `t`.
SELECT abs(portmargin.bs_price('call', 60, 65, 0.25, 0.3, 0.08) - 2.1333684449162) < 1e-12 AS "QL-V01 Haug call",
       abs(portmargin.bs_price('put', 100, 95, 0.5, 0.2, 0.1, 0.05) - 2.46478764675582) < 1e-12 AS "QL-V02 BSM put",
       abs(portmargin.bs_price('c', 1.56, 1.6, 0.5, 0.12, 0.06, 0.08) - 0.0290992531494397) < 1e-14 AS "QL-V05 Garman-Kohlhagen";

SELECT abs(g.delta - 0.594628659729996) < 1e-12 AS "QL-G01 delta",
       abs(portmargin.bs_delta('put', 105, 100, 0.5, 0.36, 0.1, 0.1) + 0.356600764770718) < 1e-12 AS "QL-G02 put delta"
FROM portmargin.bs_greeks('call', 105, 100, 0.5, 0.36, 0.1, 0.1) g;

SELECT abs(portmargin.bs_gamma('call', 55, 60, 0.75, 0.3, 0.1) - 0.0278211604769408) < 1e-14 AS "QL-G04 gamma",
       abs(portmargin.bs_vega('put', 55, 60, 0.75, 0.3, 0.1) - 18.9357773496179) < 1e-11 AS "QL-G07 vega",
       abs(portmargin.bs_theta('put', 430, 405, 1 / 12.0, 0.2, 0.07, 0.05) + 31.1923503042706) < 1e-10 AS "QL-G08 theta/year",
       abs((portmargin.bs_greeks('put', 430, 405, 1 / 12.0, 0.2, 0.07, 0.05)).theta_day + 0.0854584939843029) < 1e-13 AS "QL-G09 theta/day",
       abs((portmargin.bs_greeks('call', 72, 75, 1, 0.19, 0.09)).rho - 38.7325050173291) < 1e-11 AS "QL-G10 rho",
       abs((portmargin.bs_greeks('put', 500, 490, 0.25, 0.15, 0.08, 0.05)).dividend_rho - 42.2253633691136) < 1e-11 AS "QL-G11 dividend rho";

SELECT abs(portmargin.black76_price('call', 100, 100, 0.5, 0.2, 0.02) - 5.5811067246048118) < 1e-13 AS "B76-1 price",
       abs(portmargin.black76_delta('call', 49, 50, 0.3846, 0.2, 0.05) - 0.45107017482201828) < 1e-14 AS "B76-4 delta",
       abs(portmargin.black76_gamma('call', 49, 50, 0.3846, 0.2, 0.05) - 0.0640646705882491) < 1e-14 AS "B76-5 gamma",
       abs(portmargin.black76_vega('call', 49, 50, 0.3846, 0.2, 0.05) * 0.01 - 0.118317785624171) < 1e-14 AS "B76-6 vega/pt",
       abs(portmargin.black76_theta('call', 49, 50, 0.3846, 0.2, 0.05) / 365 + 0.00816236877461674) < 1e-15 AS "B76-7 theta/day",
       abs((portmargin.black76_greeks('put', 49, 50, 0.3846, 0.2, 0.05)).rho * 0.01 + 0.0112432860013083) < 1e-15 AS "B76-10 rho/pt";

-- the composite's columns and their documented units
SELECT attname, format_type(atttypid, atttypmod)
FROM pg_attribute WHERE attrelid = 'portmargin.greeks'::regclass AND attnum > 0 ORDER BY attnum;
SELECT attname, format_type(atttypid, atttypmod)
FROM pg_attribute WHERE attrelid = 'portmargin.inverse_greeks'::regclass AND attnum > 0 ORDER BY attnum;

-- option_type is case-insensitive and accepts one-letter forms
SELECT count(DISTINCT portmargin.bs_price(o, 100, 100, 1, 0.2)) = 1 AS "call spellings agree"
FROM unnest('{call,CALL,Call,c,C}'::text[]) o;
SELECT count(DISTINCT portmargin.bs_price(o, 100, 100, 1, 0.2)) = 1 AS "put spellings agree"
FROM unnest('{put,PUT,Put,p,P}'::text[]) o;

-- STRICT: a NULL argument gives NULL, never an error
SELECT portmargin.bs_price(NULL, 100, 100, 1, 0.2) IS NULL AS null_type,
       portmargin.black76_price('call', NULL, 100, 1, 0.2) IS NULL AS null_forward,
       portmargin.implied_vol(NULL, 'call', 100, 100, 1) IS NULL AS null_price;
