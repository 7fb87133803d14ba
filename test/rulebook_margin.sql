-- portfolio_margin over a rulebook: each risk unit under its own rule's set.
--
-- Expected values are identities with independent computations:
--   * a rulebook of one default rule is its scenario set (every field equal);
--   * without cross-unit offsets, the account's requirement is the sum over
--     units of each unit margined alone under its own set (in USD at the
--     unit's index price), per group the method's account rule;
--   * Deribit's cross-currency offset, restated here in SQL from each unit's
--     P&L vector (margined alone) and its own set's weights:
--     offset = max(0, sum_u scan_u - max_j sum_u c_uj), c_uj = loss_uj if
--     loss_uj >= 0 else -min(pnl_offset_u x -loss_uj, max_offsetable_pnl_u)
--     (a gain offsets at its own unit's rate),
--     loss_uj = -pnl_uj w_uj fx_u (doc/margin.md, Deribit's cross-collateral
--     offset);
--   * resting orders: the rise of the unit's requirement if all its buys, or
--     all its sells, were filled, computed by margining the filled books as
--     positions;
--   * parallel plans, text round trips of states and merged states equal the
--     serial one-pass result.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS portmargin;
SET search_path = public;
SELECT plan(31);

CREATE TEMP TABLE pos (acct int, q float8, u text, kind text, ot text, k float8, t float8, f float8,
                       v float8, s text, m float8, ix float8);
INSERT INTO pos VALUES
  (1, -5, 'BTC', 'option', 'call', 110000, 30 / 365.0, 97250, 0.60, 'inverse', 1, 97000),
  (1, -5, 'BTC', 'option', 'put',   90000, 30 / 365.0, 97250, 0.62, 'inverse', 1, 97000),
  (1,  2, 'BTC', 'future', NULL, NULL, 60 / 365.0, 98000, NULL, 'inverse', 1, 97000),
  (1, 10, 'ETH', 'perpetual', NULL, NULL, NULL, 3500, NULL, 'inverse', 1, 3500),
  (1, -4, 'ETH', 'option', 'put', 3200, 14 / 365.0, 3505, 0.7, 'inverse', 1, 3500),
  (1,  2, 'SOL', 'option', 'call', 200, 0.1, 180, 0.8, 'linear', 1, NULL),
  (2,  3, 'BTC', 'option', 'call', 100000, 45 / 365.0, 97500, 0.55, 'inverse', 1, 97000),
  (2, -1, 'ETH', 'future', NULL, NULL, 90 / 365.0, 3550, NULL, 'inverse', 1, 3500),
  (3, 50, 'SOL', 'perpetual', NULL, NULL, NULL, 180, NULL, 'linear', 1, NULL),
  (3, -20, 'SOL', 'option', 'put', 170, 0.05, 180, 0.9, 'linear', 1, NULL);

-- the rulebook under test: two Deribit sets with different ranges and no cross offset
-- (pnl_offset 0, so units add up; the offset has its own test below) and OKX for the rest
CREATE FUNCTION pg_temp.set_of(u text) RETURNS portmargin.scenario_set LANGUAGE sql AS $$
  SELECT CASE u WHEN 'BTC' THEN portmargin.deribit_scenarios()
                WHEN 'ETH' THEN portmargin.deribit_scenarios(price_range => 0.18, vol_range_up => 0.4, roll_move_risk => 0.05, roll_min_move => 0.005)
         ELSE portmargin.preset('okx-btc') END $$;
CREATE TEMP TABLE books AS
SELECT portmargin.rulebook(ARRAY['BTC', 'ETH', '*'], ARRAY['inverse', 'inverse', '*'],
                           ARRAY[pg_temp.set_of('BTC'), pg_temp.set_of('ETH'), pg_temp.set_of('SOL')],
                           ARRAY['btc', 'eth', 'rest']) AS rb;

-- 1. a rulebook of one default rule is its set ------------------------------------------
SELECT is_empty($$
  SELECT acct FROM pos GROUP BY acct
  HAVING to_json(portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, portmargin.rulebook(portmargin.preset('deribit-btc'))))::text
         IS DISTINCT FROM to_json(portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, portmargin.preset('deribit-btc')))::text$$,
  'rulebook(set): every field equal to the set''s result (deribit-btc)');
SELECT is_empty($$
  SELECT acct FROM pos GROUP BY acct
  HAVING to_json(portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, portmargin.rulebook(portmargin.preset('span'))))::text
         IS DISTINCT FROM to_json(portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, portmargin.preset('span')))::text$$,
  'rulebook(set): every field equal to the set''s result (span)');

-- 2. each unit under its own set: the account is the sum of the units margined alone ----------
CREATE TEMP TABLE alone AS
SELECT acct, u, s, portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, pg_temp.set_of(u)) AS r,
       max(ix) AS ix
FROM pos GROUP BY acct, u, s;
CREATE TEMP TABLE together AS
SELECT acct, portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT rb FROM books)) AS r
FROM pos GROUP BY acct;

SELECT is((SELECT count(*)::int FROM together), 3, 'three accounts margined in one pass');
SELECT ok((SELECT bool_and(abs((t.r).initial_margin - a.im) <= 1e-9 * greatest(1, a.im)
                       AND abs((t.r).maintenance_margin - a.mm) <= 1e-9 * greatest(1, a.mm))
           FROM together t
           JOIN (SELECT acct, sum((r).initial_margin * CASE WHEN s = 'inverse' AND (r).currency <> 'USD' THEN ix ELSE 1 END) AS im,
                              sum((r).maintenance_margin * CASE WHEN s = 'inverse' AND (r).currency <> 'USD' THEN ix ELSE 1 END) AS mm
                 FROM alone GROUP BY acct) a USING (acct)),
   'initial and maintenance margin = sum over units margined alone under their own sets, in USD (1e-9)');
SELECT is((SELECT (r).currency FROM together WHERE acct = 1), 'USD', 'mixed coins: the account is reported in USD');
SELECT is((SELECT (r).currency FROM together WHERE acct = 3), 'USD', 'a linear account: USD');
SELECT is((SELECT (r).pnl FROM together WHERE acct = 1), NULL,
          'units under different sets: no account P&L vector (NULL)');
SELECT is((SELECT array_agg(x.rule || ' ' || x.rule_name || ' ' || x.method ORDER BY x.underlying)
           FROM together, unnest((r).units) x WHERE acct = 1),
          ARRAY['BTC/inverse btc deribit', 'ETH/inverse eth deribit', '*/* rest okx'],
          'units: each unit names the rule that applied and its method');
SELECT ok((SELECT bool_and(abs(x.scan_loss - (a.r).scan_loss) <= 1e-12 * greatest(1, abs((a.r).scan_loss))
                       AND abs(x.roll_shock - (a.r).roll_shock) <= 1e-12 * greatest(1, abs((a.r).roll_shock)))
           FROM together t, unnest((t.r).units) x, alone a
           WHERE a.acct = t.acct AND a.u = x.underlying AND x.method = 'deribit'),
          'units: a Deribit unit''s scan loss and roll shock (coin) = the unit margined alone');
SELECT ok((SELECT bool_and(abs(x.initial_margin - (a.r).initial_margin) <= 1e-9 * greatest(1, (a.r).initial_margin))
           FROM together t, unnest((t.r).units) x, alone a
           WHERE a.acct = t.acct AND a.u = x.underlying),
          'units: each unit''s initial margin (unit currency) = the unit margined alone');
SELECT ok((SELECT bool_and(abs(x.margin_report - (t.r).unit_margins[i]) = 0)
           FROM together t, unnest((t.r).units) WITH ORDINALITY x(underlying, settlement, rule, rule_name, method, currency,
             initial_margin, maintenance_margin, scan_loss, short_option_minimum, net_option_value, per_contract_minimum,
             option_contingency, futures_contingency, roll_shock, delta_shock, open_orders_margin, mmp_margin, extreme_move,
             theta_decay, vega_term_structure, basis_risk, interest_rate, minimum_charge, borrowing, depeg,
             intra_spread_charge, spot_month_charge, inter_spread_credit, margin_report,
             worst_scenario, worst_label, i)),
          'units[i].margin_report = unit_margins[i] (same order as risk_units)');
SELECT is((SELECT x.short_option_minimum FROM together t, unnest((t.r).units) x WHERE acct = 1 AND x.underlying = 'BTC'),
          NULL, 'a component the unit''s method does not have is NULL');

-- 3. Deribit's cross-currency offset across units with different sets ---------------------
CREATE TEMP TABLE xbook AS
SELECT portmargin.rulebook(ARRAY['BTC', 'ETH'], ARRAY['inverse', 'inverse'],
         ARRAY[portmargin.deribit_scenarios(pnl_offset => 0.5, max_offsetable_pnl => 1e12),
               portmargin.deribit_scenarios(price_range => 0.2, pnl_offset => 0.3, max_offsetable_pnl => 1e12)]) AS rb;
CREATE TEMP TABLE xalone AS
SELECT u, max(ix) AS ix, portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, portmargin.rule_for((SELECT rb FROM xbook), u, s)) AS r
FROM pos WHERE acct = 1 AND u IN ('BTC', 'ETH') GROUP BY u;
CREATE TEMP TABLE xexpected AS
WITH loss AS (
  SELECT a.u, sc.idx, -(a.r).pnl[sc.idx] * sc.weight * a.ix AS l, (a.r).scan_loss * a.ix AS scan,
         CASE a.u WHEN 'BTC' THEN 0.5 ELSE 0.3 END AS pnl_offset
  FROM xalone a, portmargin.scenarios(portmargin.rule_for((SELECT rb FROM xbook), a.u, 'inverse')) sc),
combined AS (SELECT idx, sum(CASE WHEN l >= 0 THEN l ELSE -least(pnl_offset * -l, 1e12) END) AS c FROM loss GROUP BY idx)
SELECT greatest(0, (SELECT sum(scan) FROM (SELECT DISTINCT u, scan FROM loss) z) - (SELECT greatest(0, max(c)) FROM combined)) AS offset_usd,
       (SELECT sum((r).initial_margin * ix) FROM xalone) AS sum_alone;
CREATE TEMP TABLE xtogether AS
SELECT portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT rb FROM xbook)) AS r
FROM pos WHERE acct = 1 AND u IN ('BTC', 'ETH');
SELECT ok((SELECT offset_usd > 0 FROM xexpected), 'the cross-currency case has an offset (not a vacuous check)');
SELECT ok((SELECT abs((r).cross_margin_offset - offset_usd) <= 1e-9 * offset_usd FROM xtogether, xexpected),
          'cross offset between BTC (range 16%, offset 50%) and ETH (range 20%, offset 30%) = the rule restated in SQL over each unit''s own weights and rate');
SELECT ok((SELECT abs((r).initial_margin - (sum_alone - offset_usd)) <= 1e-9 * sum_alone FROM xtogether, xexpected),
          'initial margin = sum of the units alone - the offset');

-- 4. resting orders: the rise if all buys or all sells filled ---------------------------
CREATE TEMP TABLE ord (q float8, u text, kind text, ot text, k float8, t float8, f float8, v float8, s text, m float8, ix float8);
INSERT INTO ord VALUES
  (-5, 'X', 'option', 'call', 105, 0.25, 100, 0.3, 'linear', 1, NULL),
  ( 2, 'X', 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL),
  ( 3, 'X', 'order:option', 'call', 110, 0.25, 100, 0.3, 'linear', 1, NULL),
  (-4, 'X', 'order:option', 'put', 90, 0.25, 100, 0.3, 'linear', 1, NULL),
  (-1, 'X', 'order:future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL);
CREATE TEMP TABLE ord_exp AS
SELECT (SELECT (portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, portmargin.preset('span'))).unit_margins[1]
        FROM ord WHERE kind NOT LIKE 'order:%') AS base,
       (SELECT (portmargin.portfolio_margin(q, u, replace(kind, 'order:', ''), ot, k, t, f, v, s, m, ix, portmargin.preset('span'))).unit_margins[1]
        FROM ord WHERE kind NOT LIKE 'order:%' OR q > 0) AS buys,
       (SELECT (portmargin.portfolio_margin(q, u, replace(kind, 'order:', ''), ot, k, t, f, v, s, m, ix, portmargin.preset('span'))).unit_margins[1]
        FROM ord WHERE kind NOT LIKE 'order:%' OR q < 0) AS sells;
CREATE TEMP TABLE ord_got AS
SELECT portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, portmargin.preset('span')) AS r FROM ord;
SELECT ok((SELECT greatest(buys, sells) > base FROM ord_exp), 'the orders raise the requirement (not a vacuous check)');
SELECT ok((SELECT abs(x.open_orders_margin - greatest(0, greatest(buys, sells) - base)) <= 1e-9 * base
           FROM ord_got, unnest((r).units) x, ord_exp),
          'open_orders_margin = max(req(positions + buys), req(positions + sells)) - req(positions)');
SELECT ok((SELECT abs((r).unit_margins[1] - greatest(base, buys, sells)) <= 1e-9 * base FROM ord_got, ord_exp),
          'the unit''s requirement includes its orders');
SELECT is((SELECT (portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, portmargin.preset('span'))).initial_margin
           FROM (SELECT * FROM ord UNION ALL SELECT 7, 'X', 'mmp', NULL, NULL, NULL, 100, NULL, 'linear', NULL, NULL) z),
          (SELECT (r).initial_margin FROM ord_got),
          'an mmp row changes nothing under a method that does not charge MMP (SPAN)');

-- 5. parallel, states, merge ------------------------------------------------------------
CREATE TEMP TABLE big AS
SELECT g AS acct, p.q * (1 + (g % 7)) AS q, p.u, p.kind, p.ot, p.k, p.t, p.f, p.v, p.s, p.m, p.ix
FROM pos p, generate_series(1, 400) g;
ANALYZE big;
CREATE TEMP TABLE serial AS
SELECT acct, to_json(portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT rb FROM books)))::text AS j
FROM big GROUP BY acct;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2; SET force_parallel_mode = on;
CREATE TEMP TABLE par AS
SELECT to_json(portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT rb FROM books)))::text AS j
FROM big WHERE acct = 7;
RESET force_parallel_mode; RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
SELECT is((SELECT j FROM par), (SELECT j FROM serial WHERE acct = 7), 'a rulebook margin through a parallel worker = serial');
SELECT is_empty($$
  SELECT acct FROM (SELECT acct, portmargin.portfolio_margin_state(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT rb FROM books)) st
                    FROM big GROUP BY acct) x JOIN serial USING (acct)
  WHERE to_json(portmargin.finalize_margin((st::text)::portmargin.margin_state))::text IS DISTINCT FROM j$$,
  'rulebook states: text round trip then finalize_margin = portfolio_margin, every account');
-- (merging adds a unit's expiry sums in another order: equal to rounding, not bit for bit)
SELECT ok((SELECT abs((m).initial_margin - (o).initial_margin) <= 1e-12 * (o).initial_margin
              AND abs((m).maintenance_margin - (o).maintenance_margin) <= 1e-12 * (o).maintenance_margin
              AND (m).risk_units = (o).risk_units
           FROM (SELECT portmargin.finalize_margin(portmargin.merge_margin_states(st)) AS m FROM (
                   SELECT portmargin.portfolio_margin_state(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT rb FROM books)) st
                   FROM big WHERE acct = 11 GROUP BY u) x) a,
                (SELECT portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT rb FROM books)) AS o
                 FROM big WHERE acct = 11) b),
          'states of one account computed per underlying and merged = one pass (1e-12)');

-- a rulebook that changes from row to row of a rescanned sub-select (a parameter whose
-- value can come back at the same address, as a rescanned CTE row does) is read afresh
CREATE TEMP TABLE rb_rows AS
SELECT n, portmargin.rulebook(ARRAY['BTC', '*'], ARRAY['*', '*'],
                              ARRAY[portmargin.deribit_scenarios(price_range => 0.1 + 0.02 * n), portmargin.preset('okx-btc')]) AS rb
FROM generate_series(1, 6) n;
SELECT is_empty($$
  WITH r AS MATERIALIZED (SELECT n, rb FROM rb_rows)
  SELECT n FROM (
    SELECT n, (SELECT (portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, r.rb)).initial_margin
               FROM pos WHERE acct = 1) AS im
    FROM r) x
  WHERE im IS DISTINCT FROM (SELECT (portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix,
                                       (SELECT rb FROM rb_rows WHERE rb_rows.n = x.n))).initial_margin
                             FROM pos WHERE acct = 1)$$,
  'a rulebook from a rescanned CTE, different on each row: each row margined under its own');

-- a rulebook column (each account's row carries its rulebook, stored compressed): the
-- same results as the rulebook passed once
CREATE TEMP TABLE acct_rules (acct int PRIMARY KEY, rb portmargin.rulebook);
INSERT INTO acct_rules SELECT g, (SELECT rb FROM books) FROM generate_series(1, 400) g;
SELECT ok((SELECT bool_and(pg_column_compression(rb) IS NOT NULL) FROM acct_rules),
          'the rulebook column is stored compressed (the stored-form path is taken)');
SELECT is_empty($$
  SELECT acct FROM (SELECT b.acct, to_json(portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, r.rb))::text AS j
                    FROM big b JOIN acct_rules r USING (acct) GROUP BY b.acct) x JOIN serial USING (acct)
  WHERE x.j IS DISTINCT FROM serial.j$$,
  'a rulebook read from a column with every row: each account = the rulebook passed once');

-- 6. bad input ---------------------------------------------------------------------------
SELECT throws_like($$SELECT portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix,
                       portmargin.rulebook(ARRAY['BTC'], ARRAY['*'], ARRAY[portmargin.preset('deribit-btc')])) FROM pos$$,
                   '%no rule for risk unit ETH/inverse%', 'a unit no rule covers and no default -> 22023 naming the unit');
SELECT throws_ok($$SELECT portmargin.portfolio_margin(0, 'X', 'order:future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, portmargin.preset('span'))$$,
                 '22023', 'invalid value for argument "quantity": 0', 'an order of amount 0 -> 22023');
SELECT throws_ok($$SELECT portmargin.portfolio_margin(1, 'X', 'order:swap', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, portmargin.preset('span'))$$,
                 '22023', 'invalid value for argument "kind": "order:swap"', 'an order of an unknown kind -> 22023 naming it');

SELECT throws_ok($$SELECT portmargin.portfolio_margin(2, 'SOL', 'mmp', NULL, NULL, NULL, NULL, NULL, 'linear', NULL, NULL, portmargin.preset('deribit-btc'))$$,
                 '22023', NULL, 'an mmp row of a linear unit with no forward and no position (nothing to value its size at) -> 22023');
SELECT ok((SELECT abs(x.mmp_margin - 0.03 * 2 * 150) <= 1e-12
           FROM (SELECT portmargin.portfolio_margin(2, 'SOL', 'mmp', NULL, NULL, NULL, 150, NULL, 'linear', NULL, NULL, portmargin.preset('deribit-btc')) m) z,
                unnest((m).units) x),
          'an mmp row of a linear unit with no position: 3% (deribit-btc mmp_rate) x 2 SOL x its forward 150');

SELECT throws_ok($$SELECT portmargin.portfolio_margin(1, 'X', 'order:future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL,
                     portmargin.var_scenarios('{X}', '{{-0.1},{0.1}}'::float8[]))$$,
                 '0A000', NULL, 'a resting order under the var method -> 0A000 naming the kind (never margined at zero)');

SELECT * FROM finish();
