-- test/var_tail.sql: the tail of a VaR / ES margin as rows (tail_scenarios)
-- and per-position Euler contributions (position_contributions), issue 16
-- point 1.  Expected values are worked by hand in the comments (the
-- Acerbi & Tasche 2002 convention of doc/var.md, ties broken by the lower
-- scenario index), re-derived by brute force in plain SQL (sort the losses,
-- count scenarios or add weights in exact numeric arithmetic), or are
-- identities against independent code paths (expected_shortfall,
-- value_at_risk, the portfolio_margin aggregate's initial_margin,
-- worst_scenario and unit_margins).  Nothing is pasted from a run of this
-- code.
\set ON_ERROR_ROLLBACK on
\set ON_ERROR_STOP off
BEGIN;
\ir lib/helpers.psql

SELECT plan(57);

-- rows of tail_scenarios as "scenario:weight" text, weights rounded to 12 decimals
CREATE FUNCTION pg_temp.tail_text(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE r text;
BEGIN
  EXECUTE 'SELECT string_agg(scenario || '':'' || round(weight::numeric, 12)::float8, '' '' ORDER BY scenario) FROM ' || q INTO r;
  RETURN r;
END $f$;

-- ---------------------------------------------------------------------------
-- 1. Hand-worked tails of P&L vectors
-- ---------------------------------------------------------------------------
-- doc/var.md's example: P&L 9, -18, 5.4, -12, losses -9, 18, -5.4, 12.  50%:
-- N beta = 4 x 0.5 = 2 (exact); going down the losses: s2 (18), s4 (12),
-- then the VaR scenario s3 (-5.4) with weight 2 - 2 = 0.  ES = (18 + 12) / 2
-- = 15; -sum(weight pnl) / sum(weight) = -(1 x -18 + 1 x -12 + 0 x 5.4) / 2 = 15.
SELECT is(pg_temp.tail_text($$portmargin.tail_scenarios('{9,-18,5.4,-12}', 0.5)$$), '2:1 3:0 4:1',
          'doc example at 50%: scenarios 2 and 4 with weight 1, the VaR scenario 3 with weight 0');
SELECT is((SELECT -sum(weight * pnl) / sum(weight) FROM portmargin.tail_scenarios('{9,-18,5.4,-12}', 0.5)), 15::float8,
          'doc example: -sum(weight x pnl) / sum(weight) = ES = 15');
-- at 60%: N beta = 1.6: s2 with weight 1, VaR scenario s4 with weight 0.6;
-- ES = (18 + 0.6 x 12) / 1.6 = 25.2 / 1.6 = 15.75
SELECT is(pg_temp.tail_text($$portmargin.tail_scenarios('{9,-18,5.4,-12}', 0.6)$$), '2:1 4:0.6',
          'doc example at 60%: N beta = 1.6, the boundary scenario 4 with weight 0.6');
SELECT pg_temp.near((SELECT -sum(weight * pnl) / sum(weight) FROM portmargin.tail_scenarios('{9,-18,5.4,-12}', 0.6)), 15.75, 1e-14,
                    'doc example at 60%: (18 + 0.6 x 12) / 1.6 = 15.75');
-- statistic var: the VaR scenario alone, weight 1 (50%: s3, VaR = -5.4)
SELECT is(pg_temp.tail_text($$portmargin.tail_scenarios('{9,-18,5.4,-12}', 0.5, 'var')$$), '3:1',
          'statistic var: the VaR scenario with weight 1');
-- N = 250 at 99% (losses 1..250): N beta = 2.5: 250 and 249 with weight 1, 248 with 0.5
-- (N beta is 250 x (1 - 0.99) = 2.5000000000000022 in doubles: weight 0.5 within 1e-12)
SELECT is(pg_temp.tail_text($$portmargin.tail_scenarios(array(SELECT -i::float8 FROM generate_series(1, 250) i), 0.99)$$),
          '248:0.5 249:1 250:1', 'N = 250 at 99%: two scenarios with weight 1 and the 3rd largest loss with 0.5');
-- Weighted, fractional boundary: P&L -10, -5, 0, 5 with weights 0.1, 0.2, 0.3, 0.4 (sum 1) at 80%:
-- beta = 0.2; s1 (loss 10, p 0.1, cumulative 0.1), s2 (loss 5, p 0.2, cumulative 0.3 > 0.2): VaR
-- scenario s2, of whose weight 0.2 - 0.1 = 0.1 fills the tail.  ES = (0.1 x 10 + 0.1 x 5) / 0.2 = 7.5.
SELECT is(pg_temp.tail_text($$portmargin.tail_scenarios('{-10,-5,0,5}', 0.8, 'es', '{0.1,0.2,0.3,0.4}')$$), '1:0.1 2:0.1',
          'weighted: scenario 1 with its weight 0.1, the VaR scenario 2 with 0.1 of its 0.2');
-- Weights 0.5, 0.5, 1, 1 (sum 3; probabilities 1/6, 1/6, 1/3, 1/3) at 75%: beta = 1/4; s1 cumulative
-- 1/6, s2 1/3 > 1/4: VaR s2, its tail probability 1/4 - 1/6 = 1/12 = weight 3/12 = 0.25 in weight
-- units; sum(weight) = 0.75 = beta x 3.  ES = (0.5 x 10 + 0.25 x 5) / 0.75 = 25/3.
SELECT is(pg_temp.tail_text($$portmargin.tail_scenarios('{-10,-5,0,5}', 0.75, 'es', '{0.5,0.5,1,1}')$$), '1:0.5 2:0.25',
          'weighted, total weight 3: the boundary''s weight is its tail probability 1/12 x 3 = 0.25');
SELECT pg_temp.near((SELECT -sum(weight * pnl) / sum(weight) FROM portmargin.tail_scenarios('{-10,-5,0,5}', 0.75, 'es', '{0.5,0.5,1,1}')),
                    25.0 / 3, 1e-14, 'weighted: ES = (0.5 x 10 + 0.25 x 5) / 0.75 = 25/3');
SELECT pg_temp.near((SELECT -sum(weight * pnl) / sum(weight) FROM portmargin.tail_scenarios('{-10,-5,0,5}', 0.75, 'es', '{0.5,0.5,1,1}')),
                    portmargin.expected_shortfall('{-10,-5,0,5}', 0.75, '{0.5,0.5,1,1}'), 1e-14, 'weighted: the rows give expected_shortfall');
-- a weight-0 scenario beyond the VaR is listed with weight 0: P&L -20, -10, 0 with weights 0, 0.5, 0.5
-- at 50%: s1 (loss 20, p 0), s2 (loss 10, p 0.5 > 0.5 (1 + 1e-12)? no: cumulative 0.5 is not above
-- 0.5 (1 + 1e-12)), s3 (loss 0, cumulative 1): VaR s3 = 0 with weight 0.5 x 1 - 0.5 = 0... so
-- ES = (0.5 x 10 + 0 x 0) / 0.5 = 10
SELECT is(pg_temp.tail_text($$portmargin.tail_scenarios('{-20,-10,0}', 0.5, 'es', '{0,0.5,0.5}')$$), '1:0 2:0.5 3:0',
          'weighted: a scenario of weight 0 beyond the VaR is listed with weight 0; the VaR scenario 3 with 0');

-- ---------------------------------------------------------------------------
-- 2. Ties: one total order, the lower scenario index first among equal losses
-- ---------------------------------------------------------------------------
-- P&L -5, -5, -5, 1 at 60%: N beta = 1.6; equal losses 5 in the order s1, s2, s3: s1 weight 1,
-- the VaR scenario s2 weight 0.6; s3 is outside
SELECT is(pg_temp.tail_text($$portmargin.tail_scenarios('{-5,-5,-5,1}', 0.6)$$), '1:1 2:0.6',
          'ties: the lower scenario index first (s1 whole, s2 the boundary)');
-- -0 and +0 are equal losses: P&L 0, -0, 1 at 50% (N beta = 1.5): s1, then VaR s2 with weight 0.5
SELECT is(pg_temp.tail_text($$portmargin.tail_scenarios('{0,-0,1}', 0.5)$$), '1:1 2:0.5',
          'ties: -0 and +0 are equal losses, in index order');
-- weighted ties: P&L -5, -5, 1 with weights 0.5, 0.5, 1 (p 0.25, 0.25, 0.5) at 80%: beta 0.2; s1
-- cumulative 0.25 > 0.2: the VaR scenario is s1 alone, its weight 0.2 x 2 = 0.4
SELECT is(pg_temp.tail_text($$portmargin.tail_scenarios('{-5,-5,1}', 0.8, 'es', '{0.5,0.5,1}')$$), '1:0.4',
          'weighted ties: the first of the equal losses is the VaR scenario, weight 0.2 x total 2 = 0.4');

-- ---------------------------------------------------------------------------
-- 3. Brute force: the tail re-derived in plain SQL over random P&L vectors
-- ---------------------------------------------------------------------------
-- Equal weights: order the losses (larger first, lower index first), N beta snapped to an integer
-- within 1e-9 (doc/var.md), k = min(floor(N beta) + 1, N): the first k - 1 with weight 1, the k-th
-- (VaR) with N beta - (k - 1).
CREATE FUNCTION pg_temp.bf_equal(pnl float8[], conf float8) RETURNS TABLE (scenario int, weight float8)
LANGUAGE sql AS $f$
  WITH c AS (SELECT cardinality(pnl) * (1 - conf) AS raw),
  n AS (SELECT CASE WHEN round(raw) >= 1 AND abs(raw - round(raw)) <= 1e-9 * raw THEN round(raw) ELSE raw END AS nb FROM c),
  k AS (SELECT nb, least(floor(nb) + 1, cardinality(pnl)) AS k FROM n),
  o AS (SELECT i AS idx, row_number() OVER (ORDER BY -pnl[i] DESC, i) AS rn FROM generate_subscripts(pnl, 1) i)
  SELECT o.idx, CASE WHEN o.rn < k.k THEN 1 ELSE k.nb - (k.k - 1) END FROM o, k WHERE o.rn <= k.k
$f$;
-- Weights: the same order; cumulative weight in exact numeric; the VaR scenario is the first whose
-- cumulative weight exceeds beta (1 + 1e-12) x total (the last one if none); before it, each its
-- own weight; the VaR scenario beta x total minus the weight before it.
CREATE FUNCTION pg_temp.bf_weighted(pnl float8[], conf float8, w float8[]) RETURNS TABLE (scenario int, weight float8)
LANGUAGE sql AS $f$
  WITH o AS (SELECT i AS idx, w[i]::text::numeric AS wi,
                    sum(w[i]::text::numeric) OVER (ORDER BY -pnl[i] DESC, i ROWS UNBOUNDED PRECEDING) AS cum,
                    row_number() OVER (ORDER BY -pnl[i] DESC, i) AS rn
             FROM generate_subscripts(pnl, 1) i),
  t AS (SELECT sum(wi) AS tot, (1 - conf)::text::numeric AS beta FROM o),
  v AS (SELECT coalesce(min(rn) FILTER (WHERE cum > t.beta * (1 + 1e-12) * t.tot), max(rn)) AS k FROM o, t GROUP BY t.tot, t.beta)
  SELECT o.idx, (CASE WHEN o.rn < v.k THEN o.wi ELSE t.beta * t.tot - (o.cum - o.wi) END)::float8
  FROM o, t, v WHERE o.rn <= v.k
$f$;
-- the rows of two tails that differ (scenario missing on one side, or weights more than 1e-12 apart)
CREATE FUNCTION pg_temp.tail_diff(q1 text, q2 text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE r bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM (SELECT scenario, weight FROM %s) a FULL JOIN (SELECT scenario, weight FROM %s) b USING (scenario)
                  WHERE a.weight IS NULL OR b.weight IS NULL OR abs(a.weight - b.weight) > 1e-12 * greatest(1, abs(b.weight))', q1, q2) INTO r;
  RETURN r;
END $f$;

SELECT setseed(0.16);
-- 200 vectors of 1 to 400 scenarios; half of them with P&L rounded to integers in [-5, 5] (many ties)
CREATE TEMP TABLE bf_cases AS
SELECT c, (ARRAY[0.5, 0.8, 0.9, 0.95, 0.975, 0.99, 0.6, 0.333])[1 + c % 8]::float8 AS conf,
       array(SELECT CASE WHEN c % 2 = 0 THEN round(10 * random() - 5) ELSE 100 * random() - 60 END::float8
             FROM generate_series(1, 1 + (c * 37) % 400) g WHERE c > 0) AS pnl
FROM generate_series(1, 200) c;
ALTER TABLE bf_cases ADD COLUMN w float8[];
UPDATE bf_cases SET w = array(SELECT CASE WHEN random() < 0.1 THEN 0 ELSE random() END FROM generate_series(1, cardinality(pnl)));
UPDATE bf_cases SET w[1] = 0.5;   -- a positive sum

SELECT is((SELECT sum(pg_temp.tail_diff(format('portmargin.tail_scenarios(%L::float8[], %s)', pnl, conf),
                                        format('pg_temp.bf_equal(%L::float8[], %s)', pnl, conf))) FROM bf_cases),
          0::numeric, 'equal weights: the tail of 200 random vectors (ties in half of them) as a brute-force sort gives it, weights within 1e-12');
SELECT is((SELECT sum(pg_temp.tail_diff(format('portmargin.tail_scenarios(%L::float8[], %s, ''es'', %L::float8[])', pnl, conf, w),
                                        format('pg_temp.bf_weighted(%L::float8[], %s, %L::float8[])', pnl, conf, w))) FROM bf_cases),
          0::numeric, 'weights (10% of them 0): the tail of 200 random vectors as exact cumulative sums give it, weights within 1e-12');
-- the rows reproduce expected_shortfall and value_at_risk (independent entry points)
SELECT is((SELECT count(*) FROM bf_cases
           WHERE NOT abs((SELECT -sum(weight * pnl) / sum(weight) FROM portmargin.tail_scenarios(pnl, conf))
                         - portmargin.expected_shortfall(pnl, conf)) <= 1e-12 * greatest(1, abs(portmargin.expected_shortfall(pnl, conf)))),
          0::bigint, 'equal weights: -sum(weight x pnl) / sum(weight) = expected_shortfall within 1e-12, 200 vectors');
SELECT is((SELECT count(*) FROM bf_cases
           WHERE NOT abs((SELECT -sum(weight * pnl) / sum(weight) FROM portmargin.tail_scenarios(pnl, conf, 'es', w))
                         - portmargin.expected_shortfall(pnl, conf, w)) <= 1e-12 * greatest(1, abs(portmargin.expected_shortfall(pnl, conf, w)))),
          0::bigint, 'weights: -sum(weight x pnl) / sum(weight) = expected_shortfall within 1e-12, 200 vectors');
SELECT is((SELECT count(*) FROM bf_cases
           WHERE (SELECT -pnl FROM portmargin.tail_scenarios(pnl, conf, 'var', w)) IS DISTINCT FROM portmargin.value_at_risk(pnl, conf, w)
              OR (SELECT count(*) FROM portmargin.tail_scenarios(pnl, conf, 'var')) <> 1),
          0::bigint, 'statistic var: one row, whose loss is value_at_risk, 200 vectors');
-- sum(weight) = N beta (equal weights, within rounding) and beta x total weight
SELECT is((SELECT count(*) FROM bf_cases
           WHERE NOT abs((SELECT sum(weight) FROM portmargin.tail_scenarios(pnl, conf, 'es', w))
                         - (1 - conf) * (SELECT sum(x) FROM unnest(w) x)) <= 1e-12 * greatest(1, cardinality(pnl))),
          0::bigint, 'weights: sum(weight) over the tail = (1 - confidence) x the total weight');

-- ---------------------------------------------------------------------------
-- 4. Per-position contributions against the portfolio_margin aggregate
-- ---------------------------------------------------------------------------
-- 30 accounts x 8 positions (futures and options on BTC, ETH, SOL, all cash-settled), 400 joint
-- scenarios of random moves.  For each account: position_contributions over risk_array rows
-- (quantities = quantity) must add up to (m).initial_margin, per underlying to (m).unit_margins,
-- and tail_scenarios(set, (m).pnl) must give the margin and, as its VaR scenario, worst_scenario.
SELECT setseed(0.42);
CREATE TEMP TABLE ct_book AS
SELECT g / 8 AS acct, g AS pos, (ARRAY['BTC','ETH','SOL'])[1 + (g * 7) % 3] AS und,
       CASE WHEN random() < 0.4 THEN 'future' ELSE 'option' END AS kind,
       CASE WHEN random() < 0.5 THEN 'call' ELSE 'put' END AS otype,
       80 + 40 * random() AS strike, 0.05 + random() AS t, 100::float8 AS fwd, 0.3 + 0.5 * random() AS vol,
       round((random() * 20 - 10)::numeric, 1)::float8 AS q
FROM generate_series(0, 239) g;
UPDATE ct_book SET otype = NULL, strike = NULL, vol = NULL WHERE kind = 'future';
CREATE TEMP TABLE ct_sets (name text PRIMARY KEY, s portmargin.scenario_set);
INSERT INTO ct_sets
SELECT 'base', portmargin.var_scenarios('{BTC,ETH,SOL}', array(SELECT 0.5 * random() - 0.25 FROM generate_series(1, 1200)),
                                        confidence => 0.99);
-- a 25% buffer, a stressed blend (unequal weights) at 97.5%, VaR, and a floor group that binds
INSERT INTO ct_sets SELECT 'buffer', portmargin.with_tail(s, 0.99, 'es', 0.25) FROM ct_sets WHERE name = 'base';
INSERT INTO ct_sets
SELECT 'blend', portmargin.with_tail(portmargin.blend_scenarios(s, portmargin.var_scenarios('{BTC,ETH,SOL}',
                                       array(SELECT 0.8 * random() - 0.4 FROM generate_series(1, 150))), 0.25), 0.975, 'es', 0.3)
FROM ct_sets WHERE name = 'base';
INSERT INTO ct_sets SELECT 'var', portmargin.with_tail(s, 0.99, 'var') FROM ct_sets WHERE name = 'base';
-- floor: 20 scenarios of moves of +-60%, random signs: the floor group's ES (its largest loss, N beta
-- = 0.2) exceeds the main group's for most accounts
INSERT INTO ct_sets
SELECT 'floor', portmargin.with_floor(s, portmargin.var_scenarios('{BTC,ETH,SOL}',
                                        array(SELECT CASE WHEN random() < 0.5 THEN -0.6 ELSE 0.6 END FROM generate_series(1, 60))))
FROM ct_sets WHERE name = 'base';

CREATE TEMP TABLE ct_res AS
WITH m AS (
  SELECT cs.name, b.acct,
         portmargin.portfolio_margin(portmargin.position(quantity => b.q, underlying => b.und, kind => b.kind, settlement => 'linear',
                                                         option_type => b.otype, forward => b.fwd, strike => b.strike, t => b.t,
                                                         vol => b.vol, multiplier => 1), cs.s) AS m,
         array_agg(portmargin.risk_array(cs.s, b.kind, b.otype, b.strike, b.t, b.fwd, b.vol, 'linear', 1, b.und) ORDER BY b.pos) AS rows,
         array_agg(b.q ORDER BY b.pos) AS qs, array_agg(b.und ORDER BY b.pos) AS unds
  FROM ct_book b CROSS JOIN ct_sets cs GROUP BY cs.name, b.acct)
SELECT m.name, m.acct, m.m, c.ordinal, c.contribution, m.unds[c.ordinal] AS und
FROM m CROSS JOIN LATERAL portmargin.position_contributions((SELECT s FROM ct_sets WHERE ct_sets.name = m.name), m.rows, m.qs) c;

SELECT is((SELECT count(DISTINCT (name, acct)) FROM ct_res), 150::bigint, '5 sets x 30 accounts');
SELECT is((SELECT count(*) FROM (SELECT name, acct FROM ct_res GROUP BY name, acct, (m).initial_margin
                                 HAVING NOT abs(sum(contribution) - (m).initial_margin) <= 1e-12 * greatest(1, (m).initial_margin)) x),
          0::bigint, 'per-position contributions add up to portfolio_margin''s initial_margin (1e-12 relative), 150 accounts x sets');
SELECT is((SELECT count(*) FROM (
             SELECT r.name, r.acct, r.und, sum(r.contribution) AS c,
                    (SELECT u.margin FROM unnest((min(r.m::text)::portmargin.margin).risk_units, (min(r.m::text)::portmargin.margin).unit_margins) u(unit, margin)
                     WHERE u.unit = r.und || ' (linear)') AS um,
                    (min(r.m::text)::portmargin.margin).initial_margin AS im
             FROM ct_res r GROUP BY r.name, r.acct, r.und) x
           WHERE NOT abs(c - um) <= 1e-12 * greatest(1, im)),
          0::bigint, 'per underlying, the positions'' contributions add up to unit_margins (1e-12 of the margin)');
SELECT ok((SELECT bool_and((m).initial_margin > 0) FROM ct_res WHERE name = 'base'), 'every account has a margin to split');
-- the floor group binds for every account (its statistic is the larger one)
SELECT ok((SELECT count(DISTINCT acct) FROM ct_res WHERE name = 'floor' AND (m).floor_statistic > (m).expected_shortfall) >= 20,
          'floor set: the floor group binds for at least 20 of the 30 accounts');
-- tail_scenarios(set, (m).pnl): the margin, the VaR scenario, the binding group
CREATE TEMP TABLE ct_tail AS
SELECT r.name, r.acct, (r.m).initial_margin AS im, (r.m).worst_scenario AS ws, cs.s,
       (SELECT (-sum(t.weight * t.pnl) / sum(t.weight)) * (1 + CASE r.name WHEN 'buffer' THEN 0.25 WHEN 'blend' THEN 0.3 ELSE 0 END)
        FROM portmargin.tail_scenarios(cs.s, (r.m).pnl) t) AS from_rows,
       (SELECT min(t.scenario) FROM portmargin.tail_scenarios(cs.s, (r.m).pnl) t) AS first_scenario,
       (SELECT max(t.scenario) FROM portmargin.tail_scenarios(cs.s, (r.m).pnl) t) AS last_scenario,
       (SELECT t.scenario FROM portmargin.tail_scenarios(cs.s, (r.m).pnl) t ORDER BY t.pnl DESC, t.scenario DESC LIMIT 1) AS var_scenario,
       coalesce((r.m).floor_statistic > (r.m).expected_shortfall, false) AS floor_binds
FROM (SELECT DISTINCT ON (name, acct) name, acct, m FROM ct_res) r JOIN ct_sets cs USING (name);
SELECT is((SELECT count(*) FROM ct_tail WHERE NOT abs(greatest(0, from_rows) - im) <= 1e-12 * greatest(1, im)), 0::bigint,
          'tail_scenarios(set, (m).pnl): max(0, -sum(weight x pnl) / sum(weight)) x (1 + buffer) = initial_margin, 150 accounts x sets');
SELECT is((SELECT count(*) FROM ct_tail WHERE var_scenario <> ws), 0::bigint,
          'the tail''s VaR scenario (smallest loss, last among ties) is the aggregate''s worst_scenario');
SELECT is((SELECT count(*) FROM ct_tail WHERE name = 'floor' AND floor_binds AND first_scenario <= 400), 0::bigint,
          'floor set, where the floor binds (the aggregate''s floor_statistic > expected_shortfall): the tail lies in the floor group (scenarios 401 to 420)');
SELECT is((SELECT count(*) FROM ct_tail WHERE name = 'floor' AND NOT floor_binds AND last_scenario > 400), 0::bigint,
          'floor set, where it does not bind: the tail lies in the main group');
SELECT is((SELECT count(*) FROM ct_tail WHERE name IN ('base', 'buffer', 'var') AND last_scenario > 400), 0::bigint,
          'without a floor the tail lies in the set''s 400 scenarios');
SELECT is((SELECT count(*) FROM ct_tail WHERE name = 'floor' AND floor_binds), (SELECT count(*) FROM ct_tail WHERE name = 'floor' AND first_scenario > 400),
          'floor set: the tail is in the floor group exactly for the accounts where the aggregate chose it');
-- ES at 99% of 400 equal scenarios: N beta = 4 -> 4 scenarios with weight 1 and the VaR scenario with 0
SELECT is((SELECT count(*) FROM ct_tail t WHERE name = 'base'
           AND (SELECT array_agg(weight ORDER BY weight) FROM portmargin.tail_scenarios(t.s, (SELECT (m).pnl FROM ct_res r WHERE r.name = t.name AND r.acct = t.acct LIMIT 1)))
               IS DISTINCT FROM '{0,1,1,1,1}'::float8[]), 0::bigint,
          '400 scenarios at 99%: N beta = 4, four scenarios with weight 1 and the VaR scenario with 0');
-- a floor that does not bind (the same set with a harmless floor of +-1% moves)
SELECT is((SELECT count(*) FROM portmargin.tail_scenarios(
             portmargin.with_floor(portmargin.var_scenarios('{X}', '{-0.1,-0.2,0.1,0.05}', confidence => 0.5),
                                   portmargin.var_scenarios('{X}', '{-0.01,0.01}')),
             '{-10,-20,10,5,-1,1}') WHERE scenario > 4), 0::bigint,
          'floor group with the smaller ES: the tail stays in the main group (ES 15 against 1)');
-- hand-worked floor: main group losses 10, 20, -10, -5 at 50% (ES (20 + 10) / 2 = 15), floor losses
-- 50, 50 (N beta = 1: scenario 5 whole, VaR scenario 6 with 0: ES 50 > 15): rows 5:1 6:0
SELECT is(pg_temp.tail_text($$portmargin.tail_scenarios(portmargin.with_floor(portmargin.var_scenarios('{X}', '{-0.1,-0.2,0.1,0.05}', confidence => 0.5),
                                                                               portmargin.var_scenarios('{X}', '{-0.5,-0.5}')),
                                                         '{-10,-20,10,5,-50,-50}')$$), '5:1 6:0',
          'floor binds: its scenarios 5 (weight 1) and 6 (the VaR scenario, weight 0), numbered in the whole set');

-- doc example's book: long 1 BTC future at 100, 2 ETH futures at 10 over the 4 scenarios at 50%:
-- BTC P&L 10, -20, 5, -10; ETH per future -0.5, 1, 0.2, -1.  Tail s2, s4 (weight 1 each, /2):
-- BTC (20 + 10) / 2 = 15, ETH 2 x (-1 + 1) / 2 = 0; with a 25% buffer 18.75 and 0.
SELECT is((SELECT array_agg(contribution ORDER BY ordinal) FROM portmargin.position_contributions(
             portmargin.var_scenarios('{BTC,ETH}', '{{0.1,-0.05},{-0.2,0.1},{0.05,0.02},{-0.1,-0.1}}', confidence => 0.5, buffer => 0.25),
             '{{10,-20,5,-10},{-0.5,1,0.2,-1}}', '{1,2}')), '{18.75,0}'::float8[],
          'doc example with a 25% buffer: BTC 15 x 1.25 = 18.75, ETH 0');
-- the same rows flat (k n elements, position by position), quantities folded in
SELECT is((SELECT array_agg(contribution ORDER BY ordinal) FROM portmargin.position_contributions(
             portmargin.var_scenarios('{BTC,ETH}', '{{0.1,-0.05},{-0.2,0.1},{0.05,0.02},{-0.1,-0.1}}', confidence => 0.5),
             '{10,-20,5,-10,-1,2,0.4,-2}')), '{15,0}'::float8[],
          'flat rows without quantities: 15 and 0');
-- statistic var: each position's loss in the VaR scenario (s3: BTC -5, ETH 2 x -0.2 = -0.4): margin
-- max(0, VaR) = max(0, -5.4) = 0, so every contribution is 0 (as unit_margins)
SELECT is((SELECT array_agg(contribution ORDER BY ordinal) FROM portmargin.position_contributions(
             portmargin.var_scenarios('{BTC,ETH}', '{{0.1,-0.05},{-0.2,0.1},{0.05,0.02},{-0.1,-0.1}}', confidence => 0.5, statistic => 'var'),
             '{{10,-20,5,-10},{-0.5,1,0.2,-1}}', '{1,2}')), '{0,0}'::float8[],
          'a margin of 0 (VaR -5.4 < 0): every contribution is 0');
-- at 60% VaR is the loss in s4: BTC 10, ETH 2 x 1 = 2 (total 12)
SELECT is((SELECT array_agg(contribution ORDER BY ordinal) FROM portmargin.position_contributions(
             portmargin.var_scenarios('{BTC,ETH}', '{{0.1,-0.05},{-0.2,0.1},{0.05,0.02},{-0.1,-0.1}}', confidence => 0.6, statistic => 'var'),
             '{{10,-20,5,-10},{-0.5,1,0.2,-1}}', '{1,2}')), '{10,2}'::float8[],
          'statistic var at 60%: each position''s loss in the VaR scenario 4 (10 and 2)');

-- ---------------------------------------------------------------------------
-- 5. Bad input: 22023 naming the argument, 22004 for NULL
-- ---------------------------------------------------------------------------
SELECT is(pg_temp.err($$SELECT * FROM portmargin.tail_scenarios('{}', 0.5)$$),
          '22023: invalid value for argument "pnl": the array is empty', 'empty pnl');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.tail_scenarios('{1,2}', 1)$$),
          '22023: invalid value for argument "confidence": 1', 'confidence 1');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.tail_scenarios('{1,2}', 0)$$),
          '22023: invalid value for argument "confidence": 0', 'confidence 0');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.tail_scenarios('{1,2}', 'NaN'::float8)$$),
          '22023: invalid value for argument "confidence": NaN', 'confidence NaN');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.tail_scenarios('{1,2}', 0.5, 'es', '{1.5,0}')$$),
          '22023: invalid value for argument "weights": element 1 is 1.5; a weight must be between 0 and 1', 'a weight above 1');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.tail_scenarios('{1,2}', 0.5, 'es', '{0.5,-0.1}')$$),
          '22023: invalid value for argument "weights": element 2 is -0.1; a weight must be between 0 and 1', 'a negative weight');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.tail_scenarios('{1,2}', 0.5, 'es', '{1}')$$),
          '22023: invalid value for argument "weights": 1 elements for 2 P&L values', 'weights of the wrong length');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.tail_scenarios('{1,2}', 0.5, 'es', '{0,0}')$$),
          '22023: invalid value for argument "weights": the weights sum to 0', 'weights summing to 0');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.tail_scenarios('{1,NULL}', 0.5)$$),
          '22023: invalid value for argument "pnl": element 2 is NULL', 'a NULL P&L');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.tail_scenarios('{1,Infinity}', 0.5)$$),
          '22023: invalid value for argument "pnl": element 2 is Infinity', 'an infinite P&L');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.tail_scenarios(NULL::float8[], 0.5)$$),
          '22004: argument "pnl" must not be NULL', 'NULL pnl');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.tail_scenarios('{1,2}', 0.5, 'cvar')$$),
          '22023: invalid value for argument "statistic": "cvar"', 'unknown statistic');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.tail_scenarios(portmargin.var_scenarios('{X}', '{0.1,-0.1}'), '{1,2,3}')$$),
          '22023: invalid value for argument "pnl": 3 elements for a set of 2 scenarios', 'set form: pnl of the wrong length');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.tail_scenarios(portmargin.preset('deribit-btc'), '{1,2,3}')$$),
          '22023: invalid value for argument "set": a deribit set; joint (var) scenarios are needed', 'set form: a grid set');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.position_contributions(portmargin.var_scenarios('{X}', '{0.1,-0.1}'), '{{1,2,3},{4,5,6}}')$$),
          '22023: invalid value for argument "pnl": 2 x 3: each position''s row needs the set''s 2 scenarios', 'contributions: rows of the wrong length');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.position_contributions(portmargin.var_scenarios('{X}', '{0.1,-0.1}'), '{{1,2},{3,4}}', '{1}')$$),
          '22023: invalid value for argument "quantities": 1 elements for 2 positions', 'contributions: quantities of the wrong length');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.tail_scenarios(portmargin.var_scenarios('{X}', '{0.1,-0.1}'), NULL)$$),
          '22004: argument "pnl" must not be NULL', 'set form: NULL pnl');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.position_contributions(NULL, '{1,2}')$$),
          '22004: argument "set" must not be NULL', 'contributions: NULL set');
SELECT is(pg_temp.err($$SELECT * FROM portmargin.position_contributions(portmargin.var_scenarios('{X}', '{0.1,-0.1}'), '{1e308,1e308,1e308,1e308}')$$),
          '22003: position_contributions: the P&L in scenario 1 is out of range for type double precision', 'contributions: an account P&L that overflows');

SELECT * FROM finish();
ROLLBACK;
