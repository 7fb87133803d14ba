-- test/stressed_period.sql: the stressed period found for you (doc/var.md,
-- "The stressed period"): stressed_window over a P&L series and
-- historical_scenario_days, the days each historical scenario spans.
--
-- Expected values: by hand (the arithmetic in the comments), a brute-force
-- SQL search with expected_shortfall / value_at_risk over every slice
-- (those are tested against numpy in test/var.sql), and identities: a
-- scenario's simple move is P(last_day) / P(first_day) - 1; the ES of a
-- book under the set built from the window's history is the window's value.
BEGIN;
SELECT plan(17);

-- by hand: pnl 1, -5, 2, -10, 3, -1, 4; windows of 3 at confidence 0.5 (beta N = 1.5: ES = (largest loss + 0.5 next) / 1.5)
--   (1,-5,2): (5 - 0.5) / 1.5 = 3;  (-5,2,-10): (10 + 2.5) / 1.5 = 8.333;  (2,-10,3): (10 - 1) / 1.5 = 6;
--   (-10,3,-1): (10 + 0.5) / 1.5 = 7;  (3,-1,4): (1 - 1.5) / 1.5 = -0.333  -> the second window, 8.333
SELECT is((SELECT (first_scenario, last_scenario, round(value::numeric, 12), windows)::text
           FROM portmargin.stressed_window('{1,-5,2,-10,3,-1,4}', 3, 0.5)),
          '(2,4,8.333333333333,5)', 'ES by hand: scenarios 2 to 4, (10 + 0.5 x 5) / 1.5 = 8.3333, 5 windows');
-- VaR at 0.5 of 3: the 2nd largest loss: -1, 5, -2, 1, -3 -> the second window, 5
SELECT is((SELECT (first_scenario, last_scenario, value)::text FROM portmargin.stressed_window('{1,-5,2,-10,3,-1,4}', 3, 0.5, 'var')),
          '(2,4,5)', 'VaR by hand: the 2nd largest loss of each window; the second window, 5');
-- ties: two windows with the same ES -> the earlier one
SELECT is((SELECT first_scenario FROM portmargin.stressed_window('{-10,0,0,-10,0}', 2, 0.5)), 1, 'a tie goes to the earlier window');
SELECT is((SELECT (first_day, last_day)::text FROM portmargin.stressed_window('{1,-5,2,-10,3,-1,4}', 3, 0.5, 'es',
                                                                            '{2026-01-01,2026-01-02,2026-01-05,2026-01-06,2026-01-07,2026-01-08,2026-01-09}')),
          '(2026-01-02,2026-01-06)', 'the window''s days: those of its first and last scenario');
SELECT is((SELECT windows FROM portmargin.stressed_window('{1,2,3}', 3)), 1, 'a window as long as the series: one window');

-- brute force: 600 random P&L values, windows of 80, ES 0.95 and VaR 0.99
CREATE TEMP TABLE series AS
SELECT array_agg((random() - 0.5) * 100 * (1 + 3 * (i BETWEEN 300 AND 360)::int) ORDER BY i) AS pnl
FROM generate_series(1, 600) i, (SELECT setseed(0.77)) s;
CREATE TEMP TABLE brute AS
SELECT s, portmargin.expected_shortfall(pnl[s:s + 79], 0.95) AS es, portmargin.value_at_risk(pnl[s:s + 79], 0.99) AS var
FROM series, generate_series(1, 521) s;
SELECT is((SELECT (first_scenario, value)::text FROM series, portmargin.stressed_window(pnl, 80, 0.95)),
          (SELECT (s, es)::text FROM brute ORDER BY es DESC, s LIMIT 1),
          'ES 0.95 over windows of 80 of 600: the brute-force search''s window and value');
SELECT is((SELECT (first_scenario, value)::text FROM series, portmargin.stressed_window(pnl, 80, 0.99, 'var')),
          (SELECT (s, var)::text FROM brute ORDER BY var DESC, s LIMIT 1),
          'VaR 0.99: the brute-force search''s window and value');

-- historical_scenario_days: each scenario's simple moves are P(last_day) / P(first_day) - 1 for every underlying
CREATE TEMP TABLE hist AS
SELECT u, date '2025-01-01' + i AS d, 100 * exp(sum((random() - 0.5) * 0.08) OVER (PARTITION BY u ORDER BY i)) AS p
FROM unnest('{XA,XB,XC}'::text[]) u, generate_series(0, 199) i, (SELECT setseed(0.31)) s;
DELETE FROM hist WHERE (u = 'XB' AND extract(doy FROM d)::integer % 13 = 0) OR (u = 'XC' AND extract(doy FROM d)::integer % 31 = 5);
CREATE FUNCTION pg_temp.moves_match(h integer, sc text, lb integer) RETURNS bigint LANGUAGE sql AS $f$
  WITH s AS (SELECT portmargin.historical_scenarios(array_agg(u), array_agg(d), array_agg(p), horizon => h, returns => 'simple',
                                                    scaling => sc, lookback => lb) AS s FROM hist),
  days AS (SELECT * FROM portmargin.historical_scenario_days((SELECT array_agg(u) FROM hist), (SELECT array_agg(d) FROM hist), h, sc, lb))
  SELECT count(*) FROM s, portmargin.joint_moves(s.s) j JOIN days ON days.idx = j.idx
  JOIN hist a ON a.u = j.underlying AND a.d = days.first_day JOIN hist b ON b.u = j.underlying AND b.d = days.last_day
  WHERE abs(j.price_move - (b.p / a.p - 1)) <= 1e-12
$f$;
SELECT is(pg_temp.moves_match(5, 'overlapping', NULL),
          3 * (SELECT count(*) FROM portmargin.historical_scenario_days((SELECT array_agg(u) FROM hist), (SELECT array_agg(d) FROM hist), 5)),
          'overlapping 5-day scenarios: every move of every underlying is P(last_day) / P(first_day) - 1');
SELECT is((SELECT count(*)::integer FROM portmargin.historical_scenario_days((SELECT array_agg(u) FROM hist), (SELECT array_agg(d) FROM hist), 5)),
          (SELECT count(*)::integer FROM portmargin.scenarios((SELECT portmargin.historical_scenarios(array_agg(u), array_agg(d), array_agg(p), horizon => 5)
                                                               FROM hist))),
          '... and there are as many rows as scenarios');
SELECT is(pg_temp.moves_match(3, 'overlapping', 60), 3 * 58::bigint, 'with lookback 60: 58 three-day scenarios, all matching');
SELECT is(pg_temp.moves_match(1, 'overlapping', NULL),
          3 * (SELECT count(*) - 1 FROM (SELECT d FROM hist GROUP BY d HAVING count(*) = 3) c),
          'one-day scenarios across the gaps: one per complete day but the first');

-- blending uses it: a book's P&L under the whole history, its stressed window, the set of that window's history
-- (its scenarios' days), whose ES for the book is the window's value; blend_scenarios takes it
CREATE TEMP TABLE book (q float8, und text, f float8);
INSERT INTO book VALUES (1, 'XA', 100), (-2, 'XB', 50), (0.5, 'XC', 80);
CREATE TEMP TABLE full_set AS
SELECT portmargin.historical_scenarios(array_agg(u), array_agg(d), array_agg(p), horizon => 2, confidence => 0.9) AS s FROM hist;
CREATE TEMP TABLE book_pnl AS
SELECT (portmargin.portfolio_margin(q, und, 'future', NULL, NULL, 0.25, f, NULL, 'linear', 1, NULL, (SELECT s FROM full_set))).pnl AS pnl FROM book;
CREATE TEMP TABLE found AS
SELECT w.* FROM book_pnl, portmargin.stressed_window(pnl, 40, 0.9, 'es',
  ARRAY(SELECT last_day FROM portmargin.historical_scenario_days((SELECT array_agg(u) FROM hist), (SELECT array_agg(d) FROM hist), 2) ORDER BY idx)) w;
CREATE TEMP TABLE stressed_set AS
SELECT portmargin.historical_scenarios(array_agg(u), array_agg(d), array_agg(p), horizon => 2, confidence => 0.9) AS s
FROM hist WHERE d BETWEEN (SELECT first_day FROM portmargin.historical_scenario_days((SELECT array_agg(u) FROM hist), (SELECT array_agg(d) FROM hist), 2)
                           WHERE idx = (SELECT first_scenario FROM found))
                      AND (SELECT last_day FROM found);
SELECT is((SELECT count(*)::integer FROM portmargin.scenarios((SELECT s FROM stressed_set))), 40, 'the window''s history gives its 40 scenarios');
SELECT ok((SELECT abs((portmargin.portfolio_margin(q, und, 'future', NULL, NULL, 0.25, f, NULL, 'linear', 1, NULL, (SELECT s FROM stressed_set))).expected_shortfall
                      - (SELECT value FROM found)) <= 1e-9 FROM book),
          'the book''s ES under the stressed set is the window''s value');
SELECT ok((SELECT (portmargin.portfolio_margin(q, und, 'future', NULL, NULL, 0.25, f, NULL, 'linear', 1, NULL,
                                               portmargin.blend_scenarios((SELECT s FROM full_set), (SELECT s FROM stressed_set), 0.25))).initial_margin > 0
           FROM book), 'blend_scenarios(current, stressed, 0.25) margins the book');

-- bad input
SELECT throws_ok($$SELECT * FROM portmargin.stressed_window('{1,2,3}', 4)$$, '22023',
                 'invalid value for argument "window_size": 4 scenarios is longer than the history (3 scenarios)', 'a window longer than the history: 22023');
SELECT throws_ok($$SELECT * FROM portmargin.stressed_window('{1,NaN,3}', 2)$$, '22023', NULL, 'NaN in the P&L: 22023');
SELECT throws_ok($$SELECT * FROM portmargin.historical_scenario_days('{A,A}', '{2026-01-01,2026-01-01}', 1)$$, '22023', NULL,
                 'an underlying twice on a day: 22023');

SELECT * FROM finish();
ROLLBACK;
