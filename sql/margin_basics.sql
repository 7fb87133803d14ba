-- pg_regress (make installcheck): scenario sets, the margin aggregate over a
-- set and over a rulebook, VaR / ES and the reference schema, on an installed
-- build.  Every column is a check whose expected value comes from the
-- published method or a closed form derived in the comment above it, so the
-- expected output is all `t`.  The pgTAP suites in test/ go much further
-- (doc/testing.md: running them against your own server).
SET extra_float_digits = 0;

-- scenario counts: CME SPAN's 16 risk scenarios; Deribit's risk matrix of
-- 9 price buckets x 3 vol scenarios plus 8 extended moves = 35
SELECT portmargin.scenario_count(portmargin.preset('span')) = 16 AS "span: 16 scenarios",
       portmargin.scenario_count(portmargin.deribit_scenarios()) = 3 * 9 + 8 AS "deribit: 27 + 8 scenarios";

-- one linear future, F = 100, multiplier 1, under the grid {-10%, 0, +10%}:
-- P&L {-10, 0, +10}; the worst loss 10 is the requirement (grid ratios 1)
SELECT abs((portmargin.portfolio_margin(1, 'X', 'future', NULL, NULL, 0.5, 100, NULL, 'linear', 1, NULL,
            portmargin.grid_scenarios('{-0.1,0,0.1}', '{0,0,0}'))).initial_margin - 10) < 1e-12
       AS "grid: long future, 10% move on 100";

-- a rulebook gives each risk unit its own set: X as above (10) and 2 futures
-- on Y at F = 50 under {-20%, 0, +20%} (2 x 50 x 0.2 = 20): 30 in all; the
-- rulebook of one default rule is its set
SELECT abs((portmargin.portfolio_margin(q, u, 'future', NULL, NULL, 0.5, f, NULL, 'linear', 1, NULL,
            portmargin.rulebook(ARRAY['X', 'Y'], ARRAY['*', '*'],
                                ARRAY[portmargin.grid_scenarios('{-0.1,0,0.1}', '{0,0,0}'),
                                      portmargin.grid_scenarios('{-0.2,0,0.2}', '{0,0,0}')]))).initial_margin - 30) < 1e-12
         AS "rulebook: 10 + 20",
       (SELECT portmargin.portfolio_margin(q, u, 'future', NULL, NULL, 0.5, f, NULL, 'linear', 1, NULL,
                 portmargin.rulebook(portmargin.grid_scenarios('{-0.2,0,0.2}', '{0,0,0}')))::text
        = portmargin.portfolio_margin(q, u, 'future', NULL, NULL, 0.5, f, NULL, 'linear', 1, NULL,
                 portmargin.grid_scenarios('{-0.2,0,0.2}', '{0,0,0}'))::text) AS "rulebook(set) = set"
FROM (VALUES (1::float8, 'X', 100::float8), (2, 'Y', 50)) p(q, u, f);

-- VaR and ES (Acerbi and Tasche 2002): P&L {-1,-2,-3,-4,5}, 80%: the tail is
-- the worst 20% = one scenario; VaR = the second largest loss 3 (lower
-- quantile), ES = the largest loss 4
SELECT portmargin.value_at_risk('{-1,-2,-3,-4,5}', 0.8) = 3 AS "VaR 80%",
       portmargin.expected_shortfall('{-1,-2,-3,-4,5}', 0.8) = 4 AS "ES 80%";

-- the reference schema on a small demo book: every account has a margin
-- row, and every risk unit of every account a per-unit row
SELECT portmargin.create_reference_schema('ic_ref') = 'ic_ref' AS "reference schema created";
SELECT portmargin.generate_demo_book('ic_ref', 40, 0.5) IS NOT NULL AS "demo book generated";
SELECT (SELECT count(*) FROM ic_ref.account_margin) = (SELECT count(*) FROM ic_ref.accounts) AS "one margin row per account",
       (SELECT bool_and(status IN ('healthy', 'call', 'liquidation')) FROM ic_ref.account_margin) AS "every status known",
       (SELECT count(*) FROM ic_ref.account_unit_margin)
       = (SELECT count(DISTINCT (p.account_id, i.underlying, i.settlement))
          FROM ic_ref.positions p JOIN ic_ref.instruments i USING (instrument_id)) AS "one unit row per account and unit";
SET client_min_messages = warning;
DROP SCHEMA ic_ref CASCADE;
