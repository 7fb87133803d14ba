-- test/stress.sql: stress testing (doc/stress-testing.md): stress scenarios as
-- values (hypothetical_stress, mirrored, stress_set, the shipped library,
-- historical_stresses), the stress_pnl aggregate, the stress report of a
-- reference schema (stress_losses, stress_scenario_cover, stress_cover),
-- correlation stress and the liquidation cascade.
--
-- Expected values: Black-76 to 40 digits with mpmath (the script is in the
-- comment), identities with portmargin's Black-76 and inverse_price (tested
-- against QuantLib in test/pricing_truth.sql) and with the reference schema's
-- own revaluation (account_margin_at), brute-force SQL searches, closed-form
-- expected shortfall, and cascades worked out by hand below.
BEGIN;
\ir lib/helpers.psql
SELECT plan(90);

-- ---------------------------------------------------------------------------
-- stress scenarios as values
-- ---------------------------------------------------------------------------
SELECT is(portmargin.hypothetical_stress('crash', '{BTC,ETH}', '{-0.3,-0.4}', '{0.2,0.25}', 'test'),
          ROW('crash', '{BTC,ETH}', '{-0.3,-0.4}', '{0.2,0.25}', NULL, NULL, 'test')::portmargin.stress_scenario,
          'hypothetical_stress: the scenario as given');
SELECT is((portmargin.mirrored(portmargin.hypothetical_stress('crash', '{BTC,ETH}', '{-0.3,0.5}', '{0.2,0.25}'))).price_moves,
          '{0.3,-0.5}'::float8[], 'mirrored: every price move negated');
SELECT is((portmargin.mirrored(portmargin.hypothetical_stress('crash', '{BTC}', '{-0.3}', '{0.2}'))).vol_shifts,
          '{0.2}'::float8[], 'mirrored: vol shifts kept');
SELECT is((portmargin.mirrored(portmargin.hypothetical_stress('crash', '{BTC}', '{-0.3}'))).name, 'crash (mirrored)', 'mirrored: named');
SELECT throws_ok($$SELECT portmargin.mirrored(portmargin.hypothetical_stress('up', '{BTC}', '{1.5}'))$$, '22023', NULL,
                 'mirrored: a rise of 150% has no mirror (-150%): 22023');
SELECT throws_ok($$SELECT portmargin.hypothetical_stress('x', '{BTC}', '{-1}')$$, '22023',
                 'invalid value for argument "price_moves": price move of BTC in stress scenario ''x'' is -1',
                 'a move of -100%: 22023 naming the move');
SELECT throws_ok($$SELECT portmargin.hypothetical_stress('x', '{BTC}', '{NaN}')$$, '22023', NULL, 'a NaN move: 22023');
SELECT throws_ok($$SELECT portmargin.hypothetical_stress('x', '{BTC,ETH}', '{-0.1}')$$, '22023', NULL, 'one move for two underlyings: 22023');
SELECT throws_ok($$SELECT portmargin.hypothetical_stress('x', '{BTC,BTC}', '{-0.1,-0.2}')$$, '22023', NULL, 'an underlying twice: 22023');
SELECT throws_ok($$SELECT portmargin.hypothetical_stress('x', '{}', '{}')$$, '22023', NULL, 'no underlying: 22023');
SELECT throws_ok($$SELECT portmargin.hypothetical_stress('x', '{BTC}', '{-0.1}', '{Infinity}')$$, '22023', NULL, 'an infinite vol shift: 22023');
SELECT throws_ok($$SELECT portmargin.hypothetical_stress(NULL, '{BTC}', '{-0.1}')$$, '22004', 'argument "name" must not be NULL', 'NULL name: 22004');

-- stress_set: the union of the underlyings in name order, 0 where a scenario does not name one
SELECT results_eq(
  $$SELECT idx, underlying, price_move, vol_shift FROM portmargin.joint_moves(portmargin.stress_set(ARRAY[
      portmargin.hypothetical_stress('a', '{ETH,BTC}', '{-0.2,-0.3}', '{0.1,0.2}'),
      portmargin.hypothetical_stress('b', '{SPX}', '{0.05}')])) ORDER BY idx, underlying$$,
  $$VALUES (1, 'BTC', -0.3::float8, 0.2::float8), (1, 'ETH', -0.2, 0.1), (1, 'SPX', 0, 0),
           (2, 'BTC', 0, 0), (2, 'ETH', 0, 0), (2, 'SPX', 0.05, 0)$$,
  'stress_set: one column per underlying, moves and vol shifts, 0 where a scenario does not name the underlying');
SELECT throws_ok($$SELECT portmargin.stress_set('{}')$$, '22023',
                 'invalid value for argument "scenarios": an empty list of stress scenarios', 'an empty scenario list: 22023');
SELECT throws_ok($$SELECT portmargin.stress_set(ARRAY[portmargin.hypothetical_stress('a', '{BTC}', '{-0.1}'),
                                                    portmargin.hypothetical_stress('a', '{ETH}', '{-0.1}')])$$, '22023',
                 'invalid value for argument "scenarios": two stress scenarios are named ''a''', 'two scenarios of one name: 22023');
SELECT throws_ok($$SELECT portmargin.stress_set(ARRAY[ROW('a', '{BTC}', '{-2}', NULL, NULL, NULL, NULL)::portmargin.stress_scenario])$$,
                 '22023', NULL, 'a scenario built by hand is checked too: 22023');
SELECT throws_ok($$SELECT portmargin.stress_set(NULL)$$, '22004', NULL, 'NULL: 22004');

-- the shipped library: every row sourced by URL, checked, protected
SELECT is((SELECT count(*) FROM portmargin.stress_library WHERE shipped), 10::bigint, 'the library ships 10 published stresses');
SELECT is((SELECT count(*) FROM portmargin.stress_library
           WHERE (scenario).source LIKE 'http%' AND basis <> '' AND portmargin.check_stress_scenario(scenario)::text = ''
             AND NOT EXISTS (SELECT FROM unnest((scenario).price_moves) m WHERE m >= 0 OR m < -0.5)), 10::bigint,
          'each is sourced by URL, has a basis, is well formed and moves prices down by less than 50%');
SELECT is((SELECT (scenario).price_moves FROM portmargin.stress_library WHERE name = '1987-10-19 Black Monday'),
          ARRAY[round(224.84 / 282.70 - 1, 4)::float8], 'Black Monday: S&P 500 282.70 -> 224.84, -20.47%');
SELECT throws_ok($$UPDATE portmargin.stress_library SET basis = 'x' WHERE name = '1987-10-19 Black Monday'$$, '55000', NULL,
                 'a shipped stress cannot be changed: 55000');

-- ---------------------------------------------------------------------------
-- stress_pnl: one position per check, against closed forms
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE sets AS SELECT
  portmargin.stress_set(ARRAY[portmargin.hypothetical_stress('down', '{AAA,BBB}', '{-0.2,0.3}', '{0.15,-0.1}')]) AS one,
  portmargin.stress_set(ARRAY[portmargin.hypothetical_stress('s1', '{AAA}', '{-0.1}'), portmargin.hypothetical_stress('s2', '{AAA}', '{0.05}'),
                              portmargin.hypothetical_stress('s3', '{AAA}', '{-0.5}', '{-0.5}')]) AS three;
SELECT is((SELECT portmargin.stress_pnl(three, 2, 'AAA', 'future', 'linear', NULL, 100, NULL, NULL, NULL, 10, 100, NULL) FROM sets),
          '{-200,100,-1000}'::float8[], 'linear future: 2 x 10 x F m = -200, +100, -1000');
-- inverse future: value (1 - entry / F) P; with P and F moved by 1 + m the USD change is P m whatever the entry
SELECT ok((SELECT abs((portmargin.stress_pnl(three, 1, 'AAA', 'future', 'inverse', NULL, 102, NULL, NULL, NULL, 1, 100, NULL))[2]
                      - ((1 - 90 / (102 * 1.05)) * 100 * 1.05 - (1 - 90 / 102.0) * 100)) < 1e-12 FROM sets),
          'inverse future: the USD change of (1 - entry / F) P, entry 90, = P m = 5');
SELECT is((SELECT portmargin.stress_pnl(three, -3, 'AAA', 'spot', 'linear', NULL, 50, NULL, NULL, NULL, 1, 50, NULL) FROM sets),
          '{15,-7.5,75}'::float8[], 'spot (a coin balance): quantity x price x move');
-- mpmath, 40 digits: b76(cp,F,K,t,v,r) = exp(-r t) cp (F N(cp d1) - K N(cp d2));
-- b76(1,80,105,0.5,0.45,0.05) - b76(1,100,105,0.5,0.3,0.05) = -3.1490316686505472597
SELECT ok((SELECT abs((portmargin.stress_pnl(one, 1, 'AAA', 'option', 'linear', 'call', 100, 105, 0.5, 0.3, 1, 100, 0.05))[1]
                      + 3.1490316686505472597) < 1e-12 FROM sets),
          'linear call: F 100 -> 80, vol 0.30 -> 0.45, r 5%: -3.1490316686505 (mpmath)');
-- (b76(-1,130,90,0.25,0.5,0) - b76(-1,100,90,0.25,0.6,0)) x 99 / 100 = -6.1093278222280600533 (mpmath; the same as
-- the coin value B / F at the stressed coin price 99 x 1.3 minus B / F x 99 now)
SELECT ok((SELECT abs((portmargin.stress_pnl(one, 1, 'BBB', 'option', 'inverse', 'put', 100, 90, 0.25, 0.6, 1, 99, 0.05))[1]
                      + 6.1093278222280600533) < 1e-12 FROM sets),
          'coin-settled put: F 100 -> 130, vol 0.6 -> 0.5, index 99: -6.1093278222281 USD at the stressed coin price (mpmath)');
SELECT ok((SELECT abs((portmargin.stress_pnl(one, 1, 'BBB', 'option', 'inverse', 'put', 100, 90, 0.25, 0.6, 1, 99, 0))[1]
                      - (portmargin.inverse_price('put', 130, 90, 0.25, 0.5) * 99 * 1.3 - portmargin.inverse_price('put', 100, 90, 0.25, 0.6) * 99))
              < 1e-12 FROM sets),
          'coin-settled put = inverse_price at the stressed forward x the stressed index - inverse_price x index now');
SELECT ok((SELECT abs((portmargin.stress_pnl(three, 2, 'AAA', 'option', 'linear', 'call', 100, 90, 1, 0.2, 10, 100, 0.03))[3]
                      - 2 * 10 * (0 - portmargin.black76_price('call', 100, 90, 1, 0.2, 0.03))) < 1e-9 FROM sets),
          'vol 0.2 - 0.5 floored at 0: the call at F 50, K 90 is worth 0');
SELECT is((SELECT portmargin.stress_pnl(three, 5, 'ZZZ', 'future', 'linear', NULL, 100, NULL, NULL, NULL, 1, 100, NULL) FROM sets),
          '{0,0,0}'::float8[], 'an underlying the set does not name does not move');
SELECT is((SELECT portmargin.stress_pnl(three, q, 'AAA', 'future', 'linear', NULL, 100, NULL, NULL, NULL, 1, 100, NULL)
           FROM sets, (VALUES (1.0), (-1.0), (4.0)) v(q)), '{-40,20,-200}'::float8[], 'positions add up');
SELECT is((SELECT portmargin.stress_pnl(three, 1, 'AAA', 'future', 'linear', NULL, 100, NULL, NULL, NULL, 1, 100, NULL)
           FROM sets WHERE false), NULL::float8[], 'no rows: NULL');
-- every option of a book priced once per instrument (cached) and again each time: the same sums
SELECT ok((SELECT bool_and(abs(a - b) <= 1e-9 * (1 + abs(b)))
           FROM (SELECT g, portmargin.stress_pnl(three, q, 'AAA', 'option', 'linear', CASE WHEN k % 2 = 0 THEN 'call' ELSE 'put' END,
                                                 100, 80 + k, 0.5, 0.4, 1, 100, 0.01) AS p
                 FROM sets, generate_series(1, 40) g, generate_series(1, 10) k, LATERAL (SELECT (g * k % 7) - 3.0 AS q) x GROUP BY g) s,
                LATERAL (SELECT sum(q * (portmargin.black76_price(CASE WHEN k % 2 = 0 THEN 'call' ELSE 'put' END, 100 * (1 + m), 80 + k, 0.5,
                                                                  greatest(0, 0.4 + vs), 0.01)
                                         - portmargin.black76_price(CASE WHEN k % 2 = 0 THEN 'call' ELSE 'put' END, 100, 80 + k, 0.5, 0.4, 0.01))) AS b,
                                i
                         FROM generate_series(1, 10) k, LATERAL (SELECT (s.g * k % 7) - 3.0 AS q) x,
                              (VALUES (1, -0.1, 0), (2, 0.05, 0), (3, -0.5, -0.5)) mv(i, m, vs)
                         GROUP BY i) r,
                LATERAL (SELECT s.p[r.i] AS a) y),
          '40 books of 10 options: the sums equal Black-76 revaluations summed in SQL');

-- parallel = serial, on 30,000 rows (regular tables: parallel workers cannot read temporary ones)
CREATE TABLE stress_test_book AS
SELECT (g % 500) AS account_id, ((g * 7) % 11) - 5.0 AS quantity, CASE g % 3 WHEN 0 THEN 'AAA' WHEN 1 THEN 'BBB' ELSE 'CCC' END AS underlying,
       CASE WHEN g % 4 = 0 THEN 'future' ELSE 'option' END AS kind, CASE WHEN g % 5 = 0 THEN 'inverse' ELSE 'linear' END AS settlement,
       CASE WHEN g % 2 = 0 THEN 'call' ELSE 'put' END AS option_type, 100.0 + g % 13 AS forward, 70.0 + g % 61 AS strike,
       0.1 + (g % 9) / 10.0 AS t, 0.2 + (g % 7) / 20.0 AS vol
FROM generate_series(1, 30000) g;
ANALYZE stress_test_book;
CREATE TABLE stress_test_set AS SELECT one AS s FROM sets;
CREATE TEMP TABLE serial_pnl AS
SELECT account_id, portmargin.stress_pnl((SELECT s FROM stress_test_set), quantity, underlying, kind, settlement, option_type, forward,
                                         strike, t, vol, 1, 100, 0.02) AS p
FROM stress_test_book GROUP BY account_id;
SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0; SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers = 8; SET LOCAL max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE plan_par AS SELECT pg_temp.explain($$CREATE TEMP TABLE parallel_pnl AS
  SELECT account_id, portmargin.stress_pnl((SELECT s FROM stress_test_set), quantity, underlying, kind, settlement, option_type, forward,
                                           strike, t, vol, 1, 100, 0.02) AS p
  FROM stress_test_book GROUP BY account_id$$) AS p;
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT ok(p ~ 'Partial (Hash|Group)?Aggregate' AND p ~ 'Finalize' AND p ~ 'Workers Launched: [12]',
          'the aggregate runs in parallel (partial and finalize aggregates, workers launched)')
  || CASE WHEN p ~ 'Workers Launched: [12]' THEN '' ELSE E'\n' || diag(p) END FROM plan_par;
SELECT is((SELECT count(*) FROM parallel_pnl par JOIN serial_pnl s USING (account_id)
           WHERE pg_temp.arr_close(par.p, s.p, 1e-9)), 500::bigint,
          'parallel (partial sums combined and serialised) = serial, 500 accounts');

-- bad input
SELECT throws_ok($$SELECT portmargin.stress_pnl(NULL, 1, 'AAA', 'future', 'linear', NULL, 100, NULL, NULL, NULL, 1, 100, NULL)$$,
                 '22004', 'argument "scenarios" must not be NULL', 'NULL scenarios: 22004');
SELECT throws_ok($$SELECT portmargin.stress_pnl(portmargin.preset('deribit-btc'), 1, 'AAA', 'future', 'linear', NULL, 100, NULL, NULL, NULL, 1, 100, NULL)$$,
                 '22023', NULL, 'a grid preset is not a stress set: 22023');
SELECT throws_ok($$SELECT portmargin.stress_pnl(s, 1, 'AAA', 'future', 'linear', NULL, 100, NULL, NULL, NULL, 1, 100, NULL)
                   FROM (SELECT one AS s FROM sets UNION ALL SELECT three FROM sets) x$$,
                 '22023', 'invalid value for argument "scenarios": rows of one group use different stress sets', 'two sets in one group: 22023');
SELECT throws_ok($$SELECT portmargin.stress_pnl(one, NULL, 'AAA', 'future', 'linear', NULL, 100, NULL, NULL, NULL, 1, 100, NULL) FROM sets$$,
                 '22004', 'argument "quantity" must not be NULL', 'NULL quantity: 22004');
SELECT throws_ok($$SELECT portmargin.stress_pnl(one, 1, 'AAA', 'future', 'linear', NULL, 'NaN', NULL, NULL, NULL, 1, 100, NULL) FROM sets$$,
                 '22023', 'invalid value for argument "forward": NaN', 'NaN forward: 22023 naming it');
SELECT throws_ok($$SELECT portmargin.stress_pnl(one, 1, 'AAA', 'swap', 'linear', NULL, 100, NULL, NULL, NULL, 1, 100, NULL) FROM sets$$,
                 '22023', 'invalid value for argument "kind": "swap"', 'unknown kind: 22023');
SELECT throws_ok($$SELECT portmargin.stress_pnl(one, 1, 'AAA', 'option', 'linear', 'call', 100, NULL, 0.5, 0.3, 1, 100, NULL) FROM sets$$,
                 '22004', 'argument "strike" must not be NULL for an option', 'an option without a strike: 22004');
SELECT throws_ok($$SELECT portmargin.stress_pnl(one, 1, 'AAA', 'option', 'linear', 'straddle', 100, 90, 0.5, 0.3, 1, 100, NULL) FROM sets$$,
                 '22023', NULL, 'unknown option type: 22023');
SELECT throws_ok($$SELECT portmargin.stress_pnl(one, 1, 'AAA', 'option', 'linear', 'call', 100, 90, -0.5, 0.3, 1, 100, NULL) FROM sets$$,
                 '22023', 'invalid value for argument "t": -0.5', 'negative time: 22023');
SELECT throws_ok($$SELECT portmargin.stress_pnl(one, 1, 'AAA', 'option', 'linear', 'call', 100, 90, 0.5, -0.3, 1, 100, NULL) FROM sets$$,
                 '22023', 'invalid value for argument "vol": -0.3', 'negative vol: 22023');
SELECT throws_ok($$SELECT portmargin.stress_pnl(one, 1e300, 'AAA', 'future', 'linear', NULL, 1e300, NULL, NULL, NULL, 1e300, 100, NULL) FROM sets$$,
                 '22003', NULL, 'a P&L that overflows: 22003');

-- ---------------------------------------------------------------------------
-- historical stresses
-- ---------------------------------------------------------------------------
-- by hand: AAA 100 102 90 95 120 110, BBB 10 10 11 9 9 12 on days 1..6, BBB missing on day 3 (so day 3 is not used):
-- complete days 1 2 4 5 6; 2-day windows (1,4) (2,5) (4,6): AAA -5%, +17.647%, +15.789%; BBB -10%, -10%, +33.33%
CREATE TEMP TABLE hist (underlying text, day date, price float8);
INSERT INTO hist VALUES ('AAA', '2026-01-01', 100), ('AAA', '2026-01-02', 102), ('AAA', '2026-01-03', 90), ('AAA', '2026-01-04', 95),
  ('AAA', '2026-01-05', 120), ('AAA', '2026-01-06', 110),
  ('BBB', '2026-01-01', 10), ('BBB', '2026-01-02', 10), ('BBB', '2026-01-04', 9), ('BBB', '2026-01-05', 9), ('BBB', '2026-01-06', 12);
SELECT results_eq(
  $$SELECT name, first_day, last_day, underlyings, (SELECT array_agg(round(m::numeric, 6)) FROM unnest(price_moves) m)
    FROM portmargin.historical_stresses((SELECT array_agg(underlying) FROM hist), (SELECT array_agg(day) FROM hist),
                                        (SELECT array_agg(price) FROM hist), 2)$$,
  $$VALUES ('AAA fall 2026-01-01..2026-01-04', '2026-01-01'::date, '2026-01-04'::date, '{AAA,BBB}'::text[], '{-0.05,-0.1}'::numeric[]),
           ('AAA rise 2026-01-02..2026-01-05', '2026-01-02', '2026-01-05', '{AAA,BBB}', '{0.176471,-0.1}'),
           ('BBB fall 2026-01-01..2026-01-04', '2026-01-01', '2026-01-04', '{AAA,BBB}', '{-0.05,-0.1}'),
           ('BBB rise 2026-01-04..2026-01-06', '2026-01-04', '2026-01-06', '{AAA,BBB}', '{0.157895,0.333333}')$$,
  'historical_stresses by hand: day 3 (BBB missing) skipped, each underlying''s largest fall and rise with the joint moves; a tie goes to the earlier window');
SELECT results_eq(
  $$SELECT name FROM portmargin.historical_stresses((SELECT array_agg(underlying) FROM hist), (SELECT array_agg(day) FROM hist),
                                                   (SELECT array_agg(price) FROM hist), 1, count => 2) WHERE name LIKE 'AAA%'$$,
  $$VALUES ('AAA fall 2026-01-05..2026-01-06'), ('AAA fall 2026-01-02..2026-01-04'),
           ('AAA rise 2026-01-04..2026-01-05'), ('AAA rise 2026-01-01..2026-01-02')$$,
  'count 2, 1-day windows: AAA falls -8.33% then -6.86%, rises +26.3% then +2% (1-day windows never overlap)');
SELECT results_eq(
  $$SELECT name FROM portmargin.historical_stresses((SELECT array_agg(underlying) FROM hist), (SELECT array_agg(day) FROM hist),
                                                   (SELECT array_agg(price) FROM hist), 2, count => 3) WHERE name LIKE 'BBB fall%'$$,
  $$VALUES ('BBB fall 2026-01-01..2026-01-04')$$,
  'count 3, 2-day windows: after (1,4) the overlapping (2,5) is skipped and (4,6) is a rise, not a fall: one fall');
-- against a brute-force search of a long series with gaps: 3 underlyings, 400 days, random walks
CREATE TEMP TABLE walk AS
SELECT u, d, exp(sum(r) OVER (PARTITION BY u ORDER BY d)) * 100 AS price
FROM (SELECT u, date '2024-01-01' + i AS d, (random() - 0.5) * 0.1 AS r
      FROM unnest('{XA,XB,XC}'::text[]) u, generate_series(0, 399) i, (SELECT setseed(0.25)) s) x;
DELETE FROM walk WHERE (u = 'XB' AND extract(doy FROM d)::integer % 17 = 0) OR (u = 'XC' AND extract(doy FROM d)::integer % 29 = 3);
CREATE TEMP TABLE brute AS
WITH cal AS (SELECT d, row_number() OVER (ORDER BY d) AS i FROM walk GROUP BY d HAVING count(*) = 3),
win AS (SELECT a.d AS d0, b.d AS d1, w0.u, w1.price / w0.price - 1 AS move
        FROM cal a JOIN cal b ON b.i = a.i + 10 JOIN walk w0 ON w0.d = a.d JOIN walk w1 ON w1.d = b.d AND w1.u = w0.u)
SELECT u, (array_agg(d0 ORDER BY move, d0))[1] AS fall_start, min(move) AS fall,
       (array_agg(d0 ORDER BY move DESC, d0))[1] AS rise_start, max(move) AS rise FROM win GROUP BY u;
SELECT is((SELECT count(*) FROM portmargin.historical_stresses((SELECT array_agg(u) FROM walk), (SELECT array_agg(d) FROM walk),
                                                              (SELECT array_agg(price) FROM walk), 10) h
           JOIN brute b ON h.name LIKE b.u || ' %'
           WHERE (h.name LIKE '% fall %' AND h.first_day = b.fall_start AND h.price_moves[array_position(h.underlyings, b.u)] = b.fall)
              OR (h.name LIKE '% rise %' AND h.first_day = b.rise_start AND h.price_moves[array_position(h.underlyings, b.u)] = b.rise)),
          6::bigint, 'a 400-day history with gaps, 10-day horizon: each largest fall and rise is the brute-force search''s');
SELECT throws_ok($$SELECT * FROM portmargin.historical_stresses((SELECT array_agg(underlying) FROM hist), (SELECT array_agg(day) FROM hist),
                                                                (SELECT array_agg(price) FROM hist), 5)$$,
                 '22023', 'invalid value for argument "horizon": 5 days is longer than the history',
                 'a history too short for the horizon (5 complete days, 5-day window): 22023 naming horizon');
SELECT throws_ok($$SELECT * FROM portmargin.historical_stresses('{A}', '{2026-01-01}', '{1}', 0)$$, '22023', NULL, 'horizon 0: 22023');
SELECT throws_ok($$SELECT * FROM portmargin.historical_stresses('{A,A}', '{2026-01-01,2026-01-01}', '{1,2}', 1)$$, '22023', NULL,
                 'two prices on one day: 22023');
SELECT throws_ok($$SELECT * FROM portmargin.historical_stresses('{A,A}', '{2026-01-01,2026-01-02}', '{1,-2}', 1)$$, '22023', NULL,
                 'a negative price: 22023');

-- ---------------------------------------------------------------------------
-- the stress report on a demo book
-- ---------------------------------------------------------------------------
SELECT portmargin.create_reference_schema('stest');
SELECT portmargin.generate_demo_book('stest', 150, 0.3);
SELECT is(portmargin.create_stress_tables('stest'), 'stest', 'create_stress_tables');
SELECT is(portmargin.create_stress_tables('stest'), 'stest', '... twice: idempotent');
INSERT INTO stest.stress_scenarios (name, scenario)
SELECT name, scenario FROM portmargin.stress_library UNION ALL
SELECT (portmargin.mirrored(scenario)).name, portmargin.mirrored(scenario) FROM portmargin.stress_library UNION ALL
SELECT 'BTC -30%', portmargin.hypothetical_stress('BTC -30%', '{BTC}', '{-0.3}');
CREATE TEMP TABLE rep AS SELECT * FROM stest.stress_losses;
SELECT is((SELECT count(*) FROM rep), 150 * 21::bigint, 'one row per account and scenario');
SELECT is((SELECT count(*) FROM rep r JOIN stest.account_margin_detail a USING (account_id)
           WHERE r.initial_margin = a.initial_margin AND r.maintenance_margin = a.maintenance_margin AND r.equity = a.gross_equity),
          150 * 21::bigint, 'margin and equity are account_margin''s (initial, maintenance, gross equity)');
-- a one-underlying price stress against the schema's own revaluation: loss = gross equity now - at the moved price
-- (BTC: coin-settled options and futures and BTC balances, all counted at the stressed coin price)
SELECT is((SELECT count(*) FROM rep r
           JOIN stest.account_margin_detail a USING (account_id)
           JOIN stest.account_margin_at('BTC', 97000 * 0.7) m USING (account_id)
           WHERE r.scenario = 'BTC -30%' AND abs(r.loss - (a.gross_equity - m.gross_equity)) <= 1e-9 * (1 + abs(a.gross_equity))),
          150::bigint, 'BTC -30%: each loss = gross equity now - gross equity with BTC at 67,900 (account_margin_at)');
SELECT is((SELECT count(*) FROM rep r
           JOIN stest.account_margin_detail a USING (account_id)
           JOIN stest.account_margin_at('SPX', 5900 * (1 - 0.2047)) m USING (account_id)
           WHERE r.scenario = '1987-10-19 Black Monday' AND abs(r.loss - (a.gross_equity - m.gross_equity)) <= 1e-9 * (1 + abs(a.gross_equity))),
          150::bigint, 'Black Monday: each loss = gross equity now - with SPX 20.47% lower (linear SPX options, discounted)');
SELECT is((SELECT count(*) FROM rep WHERE loss_beyond_margin = greatest(0, loss - initial_margin) AND uncovered = greatest(0, loss - equity)),
          150 * 21::bigint, 'loss_beyond_margin and uncovered');
SELECT ok((SELECT count(*) FROM rep WHERE uncovered > 0) > 0, 'some accounts are in deficit under some scenario');
-- cover-N against brute force over the loss table: every pair of accounts in every scenario
SELECT results_eq(
  $$SELECT scenario, accounts_in_deficit, round(total_deficit::numeric, 6), cover_1, cover_2, accounts_beyond_margin, cover_1_margin, cover_2_margin
    FROM stest.stress_scenario_cover ORDER BY scenario$$,
  $$SELECT r.scenario, count(*) FILTER (WHERE r.uncovered > 0), round(sum(r.uncovered)::numeric, 6),
           (SELECT max(x.uncovered) FROM rep x WHERE x.scenario = r.scenario),
           (SELECT max(x.uncovered + y.uncovered) FROM rep x JOIN rep y ON x.scenario = y.scenario AND x.account_id < y.account_id
            WHERE x.scenario = r.scenario),
           count(*) FILTER (WHERE r.loss_beyond_margin > 0),
           (SELECT max(x.loss_beyond_margin) FROM rep x WHERE x.scenario = r.scenario),
           (SELECT max(x.loss_beyond_margin + y.loss_beyond_margin) FROM rep x JOIN rep y ON x.scenario = y.scenario AND x.account_id < y.account_id
            WHERE x.scenario = r.scenario)
    FROM rep r GROUP BY r.scenario ORDER BY r.scenario$$,
  'per scenario: deficits, cover-1 and cover-2 (also beyond margin) equal a brute-force search over all pairs of accounts');
SELECT results_eq(
  $$SELECT cover_1, cover_2, cover_1_margin, cover_2_margin FROM stest.stress_cover$$,
  $$SELECT max(x.uncovered), (SELECT max(x.uncovered + y.uncovered) FROM rep x JOIN rep y ON x.scenario = y.scenario AND x.account_id < y.account_id),
           max(x.loss_beyond_margin),
           (SELECT max(x.loss_beyond_margin + y.loss_beyond_margin) FROM rep x JOIN rep y ON x.scenario = y.scenario AND x.account_id < y.account_id)
    FROM rep x$$,
  'the venue''s cover-1 and cover-2 are the largest over the scenarios');
SELECT is((SELECT (c.cover_2_accounts, c.cover_2_scenario)::text FROM stest.stress_cover c),
          (SELECT (ARRAY[x.account_id, y.account_id], x.scenario)::text
           FROM rep x JOIN rep y ON x.scenario = y.scenario AND x.account_id <> y.account_id
           WHERE x.uncovered >= y.uncovered ORDER BY x.uncovered + y.uncovered DESC LIMIT 1),
          'cover-2 names its two accounts (the larger first) and its scenario');
SELECT is((SELECT count(*) FROM stest.stress_losses_for(ARRAY[portmargin.hypothetical_stress('BTC -30%', '{BTC}', '{-0.3}')]) f
           JOIN rep r ON r.account_id = f.account_id AND r.scenario = f.scenario AND r.loss = f.loss), 150::bigint,
          'stress_losses_for(scenarios) gives the view''s rows for a list');
SELECT throws_ok($$SELECT * FROM stest.stress_losses_for('{}')$$, '22023', NULL, 'stress_losses_for: an empty scenario list: 22023');
DELETE FROM stest.stress_scenarios;
SELECT is((SELECT count(*) FROM stest.stress_losses), 0::bigint, 'no stress scenarios: the views are empty, not an error');
SELECT is(portmargin.upgrade_reference_schema('stest'), 'stest', 'upgrade_reference_schema rebuilds the stress views');
SELECT has_view('stest', 'stress_cover', 'stress_cover is there after upgrade_reference_schema');

-- ---------------------------------------------------------------------------
-- correlation stress
-- ---------------------------------------------------------------------------
-- two linear perpetuals at 100; account 1 long XA, short XB (a hedge), account 2 long XA alone; horizon vols 1%.
-- With log returns of 1% the P&L is nearly normal: ES99 = 100 s phi(z99) / 0.01, s = 0.01 sqrt(2 (1 - rho)) for the hedge,
-- 0.01 alone; rho 0.8 -> 0 multiplies the hedge's margin by sqrt(1 / 0.2) = 2.236.  The same seed draws the same
-- normals, and XA's column is the first normal under both matrices, so account 2's margin does not change at all.
SELECT portmargin.create_reference_schema('ctest');
INSERT INTO portmargin.scenario_presets (name, scenarios, description, source)
VALUES ('test-10pct', portmargin.grid_scenarios('{-0.1,0.1}', '{0,0}'), 'test: +/-10%, initial = maintenance = scan', 'test');
INSERT INTO ctest.accounts (account_id, name, method) VALUES (1, 'hedge', 'test-10pct'), (2, 'outright', 'test-10pct');
INSERT INTO ctest.instruments (instrument_id, name, underlying, kind) VALUES (1, 'XA-PERP', 'XA', 'perpetual'), (2, 'XB-PERP', 'XB', 'perpetual');
INSERT INTO ctest.index_prices VALUES ('XA', 100, now()), ('XB', 100, now());
INSERT INTO ctest.positions VALUES (1, 1, 1, 100), (1, 2, -1, 100), (2, 1, 1, 100);
INSERT INTO ctest.collateral VALUES (1, 'USD', 1e6), (2, 'USD', 1e6);
SELECT portmargin.create_stress_tables('ctest');
CREATE TEMP TABLE cs AS SELECT * FROM ctest.correlation_stress('{XA,XB}', '{0.01,0.01}', '{{1,0.8},{0.8,1}}',
                                                               portmargin.stressed_correlation('{{1,0.8},{0.8,1}}', 0), 200000, 7);
SELECT ok((SELECT abs(margin_normal / (100 * 0.01 * sqrt(0.4) * 2.665214220345808) - 1) < 0.03 FROM cs WHERE account_id = 1),
          'the hedge under rho 0.8: ES99 = 100 x 0.01 sqrt(0.4) x phi(2.3263) / 0.01 = 1.6856, within 3% (200,000 scenarios)');
SELECT ok((SELECT abs(margin_stressed / (100 * 0.01 * sqrt(2) * 2.665214220345808) - 1) < 0.03 FROM cs WHERE account_id = 1),
          'the hedge under rho 0: 3.7692, within 3%');
SELECT ok((SELECT abs(margin_stressed / margin_normal - sqrt(5)) < 0.02 * sqrt(5) FROM cs WHERE account_id = 1),
          'the hedge''s margin rises by sqrt(5) = 2.236 (within 2%)');
SELECT is((SELECT change FROM cs WHERE account_id = 2), 0::float8, 'the outright position: the same draws, the same margin');
SELECT pg_temp.arr_is(portmargin.stressed_correlation('{{1,0.8,-0.2},{0.8,1,0.1},{-0.2,0.1,1}}', 0.9, 0.5),
                      '{{1,0.85,0.35},{0.85,1,0.5},{0.35,0.5,1}}', 1e-15, 'stressed_correlation: halfway to 0.9');
SELECT is(array_dims(portmargin.stressed_correlation('{1,0.3,0.3,1}', 0)), '[1:2][1:2]', 'stressed_correlation: a flat 2 x 2 input gives a 2 x 2 matrix');
SELECT throws_ok($$SELECT portmargin.stressed_correlation('{{1,0.5},{0.4,1}}', 0)$$, '22023', NULL, 'an asymmetric matrix: 22023');
SELECT throws_ok($$SELECT portmargin.stressed_correlation('{{1,0,0},{0,1,0},{0,0,1}}', -0.6)$$, '22023',
                 'invalid value for argument "target": -0.6', 'a common correlation below -1/2 for 3 underlyings: 22023');
SELECT throws_ok($$SELECT portmargin.stressed_correlation('{{1,0},{0,1}}', 0.5, 1.5)$$, '22023', NULL, 'weight 1.5: 22023');

-- ---------------------------------------------------------------------------
-- liquidation cascade, worked by hand
-- ---------------------------------------------------------------------------
-- perpetual on ZZ (linear, multiplier 1) at 100, margin scan +/-10%: maintenance = 0.1 |q| p; equity = cash + q (p - 100).
--   account 11: long 10, cash 190 -> liquidated when 190 + 10 (p - 100) <= p, i.e. p <= 90
--   account 12: long 10, cash 145 -> p <= 95
--   account 13: long 20, cash 280 -> 280 + 20 (p - 100) <= 2 p, p <= 95.56
--   account 14: short 10, cash 1000 -> only above 181.8
-- shock -6%: p1 = 94.  Round 1 at 94: 12 and 13 liquidated; they sell 30; linear impact 0.2 x 30 / 30:
--   p2 = 94 exp(-0.2) = 76.9607; they close there: 12 at 145 - 10 x 23.0393 = -85.393, 13 at 280 - 20 x 23.0393 = -180.786.
-- Round 2 at p2: 11 liquidated (190 - 230.4 < 76.96), sells 10: p3 = p2 exp(-0.2 / 3) = 71.9973; it closes at
--   190 + 10 (p3 - 100) = -90.027.  Round 3 at p3: nobody else (14 gains): fixed point.
-- Square root: round 1 the same (30 / 30 = 1), round 2 p3 = p2 exp(-0.2 sqrt(1/3)).
INSERT INTO ctest.accounts (account_id, name, method) VALUES (11, 'a', 'test-10pct'), (12, 'b', 'test-10pct'), (13, 'c', 'test-10pct'),
  (14, 'd', 'test-10pct');
INSERT INTO ctest.instruments (instrument_id, name, underlying, kind) VALUES (3, 'ZZ-PERP', 'ZZ', 'perpetual');
INSERT INTO ctest.index_prices VALUES ('ZZ', 100, now());
INSERT INTO ctest.positions VALUES (11, 3, 10, 100), (12, 3, 10, 100), (13, 3, 20, 100), (14, 3, -10, 100);
INSERT INTO ctest.collateral VALUES (11, 'USD', 190), (12, 'USD', 145), (13, 'USD', 280), (14, 'USD', 1000);
CREATE TEMP TABLE hand AS SELECT 94 * exp(-0.2) AS p2, 94 * exp(-0.2) * exp(-0.2 / 3) AS p3_lin,
                                 94 * exp(-0.2) * exp(-0.2 * sqrt(1 / 3.0)) AS p3_sqrt;
CREATE TEMP TABLE casc AS SELECT * FROM ctest.liquidation_cascade('ZZ', -0.06, depth => 30, impact => 0.2, model => 'linear');
SELECT is((SELECT count(*) FROM casc), 3::bigint, 'linear: the shock and two rounds');
SELECT results_eq($$SELECT round, accounts_liquidated, account_ids, volume, stopped FROM casc ORDER BY round$$,
                  $$VALUES (0, 0, '{}'::bigint[], 0::float8, NULL::text), (1, 2, '{12,13}', -30, NULL), (2, 1, '{11}', -10, 'fixed point')$$,
                  'rounds: accounts 12 and 13 sell 30, then account 11 sells 10; fixed point');
SELECT ok((SELECT bool_and(abs(c.price - e.price) < 1e-9 AND abs(c.price_after - e.after) < 1e-9 AND abs(c.shortfall - e.sf) < 1e-9
                           AND abs(c.total_shortfall - e.total) < 1e-9)
           FROM casc c JOIN hand h ON true
           JOIN LATERAL (VALUES (0, 100::float8, 94::float8, 0::float8, 0::float8),
                                (1, 94, h.p2, (-(145 + 10 * (h.p2 - 100))) + (-(280 + 20 * (h.p2 - 100))),
                                    (-(145 + 10 * (h.p2 - 100))) + (-(280 + 20 * (h.p2 - 100)))),
                                (2, h.p2, h.p3_lin, -(190 + 10 * (h.p3_lin - 100)),
                                    (-(145 + 10 * (h.p2 - 100))) + (-(280 + 20 * (h.p2 - 100))) - (190 + 10 * (h.p3_lin - 100))))
                 AS e(round, price, after, sf, total) ON e.round = c.round),
          'linear: prices 100, 94, 76.961, 71.997 and shortfalls 266.18 then 90.027 as worked by hand');
SELECT ok((SELECT abs(price_after - h.p3_sqrt) < 1e-9 AND abs(shortfall + (190 + 10 * (h.p3_sqrt - 100))) < 1e-9
           FROM ctest.liquidation_cascade('ZZ', -0.06, depth => 30, impact => 0.2) c, hand h WHERE c.round = 2),
          'square root: round 2 moves the price by exp(-0.2 sqrt(10 / 30))');
SELECT results_eq($$SELECT round, accounts_liquidated, stopped FROM ctest.liquidation_cascade('ZZ', -0.06, 30, 0.2, 'linear', max_rounds => 1)$$,
                  $$VALUES (0, 0, NULL::text), (1, 2, 'round limit')$$, 'round limit 1: the first round, closed at its price after');
SELECT results_eq($$SELECT round, accounts_liquidated, stopped FROM ctest.liquidation_cascade('ZZ', -0.01, 30, 0.2)$$,
                  $$VALUES (0, 0, 'fixed point'::text)$$, 'a shock of -1%: nobody is liquidated');
-- cancellable: a statement timeout stops a long run of cascades (each round is a margin pass of the demo book)
CREATE FUNCTION pg_temp.cancelled(q text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
  EXECUTE q;
  RETURN 'finished';
EXCEPTION WHEN query_canceled THEN
  RETURN 'cancelled';
END $f$;
SET LOCAL statement_timeout = '300ms';
SELECT is(pg_temp.cancelled($$SELECT count(*) FROM generate_series(1, 1000) g,
                                   LATERAL stest.liquidation_cascade('BTC', -0.3 - g / 1e4, 100, 0.05) c$$),
          'cancelled', 'a long run of cascades answers a statement timeout (57014)');
RESET statement_timeout;
SELECT throws_ok($$SELECT * FROM ctest.liquidation_cascade('ZZ', -0.06, depth => 0, impact => 0.2)$$, '22023', 'invalid value for argument "depth": 0',
                 'depth 0: 22023 naming depth');
SELECT throws_ok($$SELECT * FROM ctest.liquidation_cascade('ZZ', -0.06, 30, impact => -1)$$, '22023', 'invalid value for argument "impact": -1',
                 'negative impact: 22023 naming impact');
SELECT throws_ok($$SELECT * FROM ctest.liquidation_cascade('ZZ', -0.06, 30, 0.2, max_rounds => 0)$$, '22023',
                 'invalid value for argument "max_rounds": 0', 'round limit 0: 22023 naming max_rounds');
SELECT throws_ok($$SELECT * FROM ctest.liquidation_cascade('ZZ', -0.06, 30, 0.2, model => 'cubic')$$, '22023', NULL, 'unknown model: 22023');
SELECT throws_ok($$SELECT * FROM ctest.liquidation_cascade('QQ', -0.06, 30, 0.2)$$, '22023', NULL, 'an underlying without a price: 22023');

SELECT * FROM finish();
ROLLBACK;
