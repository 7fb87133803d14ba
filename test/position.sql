-- portfolio_margin over portmargin.position (issue 11, point 2): an aggregate
-- input built with named arguments, so that a row cannot be silently
-- mis-ordered; plausibility of units (vol a decimal, t in years).
--
-- Expected values are identities with independent computations:
--   * the position form folds a row exactly as the 12-argument form does:
--     every field of the result (its text form, float8 printed
--     shortest-exact, so equal text = equal bits) and of the partial state
--     equal, account by account, over coin-settled and linear options,
--     futures, perpetuals, spot, resting orders, mmp and liability rows,
--     under scenario sets of each grid method and under rulebooks;
--   * named arguments in any order build the same row, each value in its
--     own field (checked field by field against the literal given);
--   * a hand derivation (test/margin.sql, case (e)): deribit-btc, long 1 BTC
--     inverse perpetual, F = index = 60,000: worst move -16% loses
--     0.16 / 0.84 = 0.19047619047619047 BTC, roll shock
--     max(0.01, 0.075 x 0) = 0.01 BTC, initial margin 0.20047619047619047 BTC;
--   * position() raises the 12-argument aggregate's error for each bad row
--     (same SQLSTATE and message): the two are compared, not pasted;
--   * the plausibility rule (doc/conventions.md): vol > 10 and t > 50 years
--     are ERROR 22023 with the documented message and hint, in position()
--     and in both aggregate forms (a ROW(...)::portmargin.position bypasses
--     the constructor); the bounds themselves are accepted;
--   * a parallel plan, text round trips of states: equal the serial result.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS portmargin;
SET search_path = public;
SELECT plan(44);

-- the error a statement raises: sqlstate | message | detail | hint (NULL if none)
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hnt text;
BEGIN
  EXECUTE q;
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
  RETURN concat_ws(' | ', st, msg, nullif(det, ''), nullif(hnt, ''));
END $$;
-- the lines of a statement's plan
CREATE FUNCTION pg_temp.plan_lines(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q;
END $$;
-- sqlstate | message only
CREATE FUNCTION pg_temp.errmsg(q text) RETURNS text LANGUAGE sql AS $$
  SELECT split_part(pg_temp.err(q), ' | ', 1) || ' | ' || split_part(pg_temp.err(q), ' | ', 2) $$;

-- rows of several kinds: acct, then the 12-argument order
CREATE TEMP TABLE pos (acct int, q float8, u text, kind text, ot text, k float8, t float8, f float8,
                       v float8, s text, m float8, ix float8);
INSERT INTO pos VALUES
  -- coin-settled (inverse): options, a future, a perpetual, orders, mmp, a liability
  (1, -5, 'BTC', 'option', 'call', 110000, 30 / 365.0, 97250, 0.60, 'inverse', 1, 97000),
  (1, -5, 'BTC', 'option', 'put',   90000, 30 / 365.0, 97250, 0.62, 'inverse', 1, 97000),
  (1,  2, 'BTC', 'future', NULL, NULL, 60 / 365.0, 98000, NULL, 'inverse', 1, 97000),
  (1,  3, 'BTC', 'order:option', 'C', 120000, 30 / 365.0, 97250, 0.65, 'inverse', 1, 97000),
  (1, -1, 'BTC', 'order:future', NULL, NULL, 60 / 365.0, 98000, NULL, 'inverse', 1, 97000),
  (1,  2, 'BTC', 'mmp', NULL, NULL, NULL, NULL, NULL, 'inverse', NULL, 97000),
  (1, 10, 'ETH', 'perpetual', NULL, NULL, NULL, 3500, NULL, 'inverse', 1, 3500),
  (1, -4, 'ETH', 'option', 'put', 3200, 14 / 365.0, 3505, 0.7, 'inverse', 1, 3500),
  (2,  3, 'BTC', 'option', 'call', 100000, 45 / 365.0, 97500, 0.55, 'inverse', 1, 97000),
  (2, -1, 'ETH', 'future', NULL, NULL, 90 / 365.0, 3550, NULL, 'inverse', 1, 3500),
  (2,  1, 'ETH', 'order:perpetual', NULL, NULL, NULL, 3500, NULL, 'inverse', 1, 3500),
  -- linear (USD / USDC): options, a perpetual, spot, an order, mmp and liability rows
  (3, 50, 'SOL', 'perpetual', NULL, NULL, NULL, 180, NULL, 'linear', 1, NULL),
  (3, -20, 'SOL', 'option', 'put', 170, 0.05, 180, 0.9, 'linear', 1, NULL),
  (3,  2, 'SOL', 'option', 'call', 200, 0.1, 180, 0.8, 'linear', 1, NULL),
  (3, -3, 'SOL', 'order:option', 'p', 160, 0.1, 180, 0.85, 'linear', 1, NULL),
  (3, 10, 'SOL', 'mmp', NULL, NULL, NULL, 180, NULL, 'linear', NULL, NULL),
  (4, 100, 'SPX', 'spot', NULL, NULL, NULL, 5900, NULL, 'linear', 1, NULL),
  (4, -2, 'SPX', 'option', 'call', 6000, 0.25, 5950, 0.16, 'linear', 100, NULL),
  (4,  1, 'SPX', 'future', NULL, NULL, 0.25, 5950, NULL, 'linear', 50, NULL),
  (5,  1, 'BTC', 'perpetual', NULL, NULL, NULL, 97000, NULL, 'inverse', 1, 97000),
  (5,  2, 'BTC', 'liability', NULL, NULL, NULL, NULL, NULL, 'inverse', NULL, 97000),
  -- expired options (t = 0) and a row without a quantity (skipped by both forms)
  (6, -1, 'ETH', 'option', 'call', 3000, 0, 3500, 0.5, 'inverse', 1, 3500),
  (6, NULL, 'ETH', 'option', 'call', 3000, 0.1, 3500, 0.5, 'inverse', 1, 3500);

-- each row as a position, built with named arguments (in an order unlike the 12-argument one)
CREATE TEMP VIEW posv AS
SELECT acct, portmargin.position(vol => v, t => t, strike => k, forward => f, option_type => ot,
                                 index_price => ix, multiplier => m, settlement => s, kind => kind,
                                 underlying => u, quantity => q) AS p,
       q, u, kind, ot, k, t, f, v, s, m, ix
FROM pos;

-- 1. the hand derivation ---------------------------------------------------------------
SELECT ok((SELECT abs((portmargin.portfolio_margin(
             portmargin.position(quantity => 1, underlying => 'BTC', kind => 'perpetual', settlement => 'inverse',
                                 forward => 60000, multiplier => 1, index_price => 60000),
             portmargin.preset('deribit-btc'))).initial_margin - (0.16 / 0.84::float8 + 0.01)) < 1e-15),
          'deribit-btc, long 1 BTC inverse perpetual: 0.16 / 0.84 + 0.01 BTC (test/margin.sql (e))');

-- 2. identity with the 12-argument form ---------------------------------------------------
-- the sets: every grid method; var margins positions only (no orders): its own check below
CREATE TEMP TABLE sets AS
SELECT name, portmargin.preset(name) AS sc FROM (VALUES ('deribit-btc'), ('okx-btc'), ('span'), ('finra-broad-index')) v(name)
UNION ALL SELECT 'grid', portmargin.grid_scenarios('{-0.2,-0.1,0,0.1,0.2,-0.1,0.1}', '{0,0,0,0,0,0.1,-0.1}');
SELECT is((SELECT count(*)::int FROM sets), 5, 'five scenario sets');
SELECT is_empty($$
  SELECT s.name, p.acct FROM sets s, posv p GROUP BY s.name, p.acct
  HAVING portmargin.portfolio_margin(p.q, p.u, p.kind, p.ot, p.k, p.t, p.f, p.v, p.s, p.m, p.ix, s.sc)::text
         IS DISTINCT FROM portmargin.portfolio_margin(p.p, s.sc)::text$$,
  'over a scenario set: every field equal to the 12-argument form, every account and set');
SELECT is((SELECT count(*)::int FROM (
             SELECT s.name, p.acct, portmargin.portfolio_margin(p.p, s.sc) m FROM sets s, posv p
             WHERE s.name = 'span' GROUP BY s.name, p.acct) x WHERE (m).initial_margin IS NOT NULL),
          6, 'the comparison above covers six accounts with results');
-- a constant set (the Const path) and an InitPlan (the executor parameter path)
SELECT is((SELECT portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, portmargin.preset('span'))::text FROM posv WHERE acct = 3),
          (SELECT portmargin.portfolio_margin(p, portmargin.preset('span'))::text FROM posv WHERE acct = 3),
          'a set given by preset(): equal');
SELECT is((SELECT portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT portmargin.preset('okx-btc')))::text FROM posv WHERE acct = 1),
          (SELECT portmargin.portfolio_margin(p, (SELECT portmargin.preset('okx-btc')))::text FROM posv WHERE acct = 1),
          'a set from a sub-select: equal');

-- rulebooks: shipped ones and one of three rules
CREATE TEMP TABLE books AS
SELECT 'three' AS name, portmargin.rulebook(ARRAY['BTC', 'ETH', '*'], ARRAY['inverse', 'inverse', '*'],
         ARRAY[portmargin.preset('deribit-btc'), portmargin.preset('deribit-eth'), portmargin.preset('span')],
         ARRAY['btc', 'eth', 'rest']) AS rb
UNION ALL SELECT 'deribit-and-span', portmargin.rulebook(ARRAY['BTC', '*'], ARRAY['inverse', '*'],
         ARRAY[portmargin.preset('deribit-btc'), portmargin.preset('span')])
UNION ALL SELECT 'one rule', portmargin.rulebook(portmargin.preset('okx-btc'));
SELECT is_empty($$
  SELECT b.name, p.acct FROM books b, posv p GROUP BY b.name, p.acct
  HAVING portmargin.portfolio_margin(p.q, p.u, p.kind, p.ot, p.k, p.t, p.f, p.v, p.s, p.m, p.ix, b.rb)::text
         IS DISTINCT FROM portmargin.portfolio_margin(p.p, b.rb)::text$$,
  'over a rulebook: every field equal to the 12-argument form, every account and rulebook');
SELECT is((SELECT portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, portmargin.rulebook_preset('okx'))::text
           FROM posv WHERE acct IN (1, 5) AND kind NOT LIKE 'order:%' AND kind <> 'mmp'),
          (SELECT portmargin.portfolio_margin(p, portmargin.rulebook_preset('okx'))::text
           FROM posv WHERE acct IN (1, 5) AND kind NOT LIKE 'order:%' AND kind <> 'mmp'),
          'the shipped okx rulebook (liability row): equal');
SELECT is((SELECT portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT rb FROM books WHERE name = 'three'))::text
           FROM posv WHERE acct = 1),
          (SELECT portmargin.portfolio_margin(p, (SELECT rb FROM books WHERE name = 'three'))::text FROM posv WHERE acct = 1),
          'a rulebook from a sub-select: equal');
-- the account P&L under a rulebook whose rules (BTC/*, ETH/*) name one set: the set's
-- (it was left unwritten: uninitialised memory, a different vector on each call)
SELECT is((SELECT (portmargin.portfolio_margin(p, portmargin.rulebook_preset('okx'))).pnl
           FROM posv WHERE acct IN (1, 2) AND kind NOT LIKE 'order:%' AND kind <> 'mmp'),
          (SELECT (portmargin.portfolio_margin(p, portmargin.preset('okx-btc'))).pnl
           FROM posv WHERE acct IN (1, 2) AND kind NOT LIKE 'order:%' AND kind <> 'mmp'),
          'okx rulebook (BTC and ETH rules of one preset): account P&L = the preset''s, scenario by scenario');
-- partial states
SELECT is_empty($$
  SELECT p.acct FROM posv p GROUP BY p.acct
  HAVING portmargin.portfolio_margin_state(p.q, p.u, p.kind, p.ot, p.k, p.t, p.f, p.v, p.s, p.m, p.ix, (SELECT rb FROM books WHERE name = 'three'))::text
         IS DISTINCT FROM portmargin.portfolio_margin_state(p.p, (SELECT rb FROM books WHERE name = 'three'))::text$$,
  'portfolio_margin_state(position, rulebook): the 12-argument form''s state');
SELECT is_empty($$
  SELECT p.acct FROM posv p GROUP BY p.acct
  HAVING portmargin.portfolio_margin_state(p.q, p.u, p.kind, p.ot, p.k, p.t, p.f, p.v, p.s, p.m, p.ix, portmargin.preset('deribit-btc'))::text
         IS DISTINCT FROM portmargin.portfolio_margin_state(p.p, portmargin.preset('deribit-btc'))::text$$,
  'portfolio_margin_state(position, scenario_set): the 12-argument form''s state');
-- the set overload, not the rulebook one through the cast: its state is a set's
SELECT is((SELECT portmargin.portfolio_margin_state(p, portmargin.preset('span'))::text FROM posv WHERE acct = 4),
          (SELECT portmargin.portfolio_margin_state(q, u, kind, ot, k, t, f, v, s, m, ix, portmargin.preset('span'))::text FROM posv WHERE acct = 4),
          'a scenario set picks the (position, scenario_set) aggregate: the set form''s state');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE proname = 'portfolio_margin' AND pronamespace = 'portmargin'::regnamespace
             AND proargtypes[0] = 'portmargin.position'::regtype),
          2, 'portfolio_margin has two position overloads (scenario_set, rulebook)');

-- var (joint scenarios) margins positions: equal too
CREATE TEMP TABLE vs AS
SELECT portmargin.var_scenarios(ARRAY['BTC', 'ETH'],
         '{{-0.10,-0.12},{-0.05,-0.04},{0,0.01},{0.03,0.05},{0.08,0.06},{-0.2,-0.25},{0.12,0.1},{-0.01,0.02}}'::float8[],
         confidence => 0.9) AS sc;
SELECT is((SELECT portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT sc FROM vs))::text
           FROM posv WHERE acct IN (1, 2) AND kind NOT LIKE 'order:%' AND kind <> 'mmp'),
          (SELECT portmargin.portfolio_margin(p, (SELECT sc FROM vs))::text
           FROM posv WHERE acct IN (1, 2) AND kind NOT LIKE 'order:%' AND kind <> 'mmp'),
          'a joint (var) set: equal');

-- 3. named arguments: any order, each value in its field, defaults --------------------------
SELECT is(portmargin.position(quantity => -2, underlying => 'BTC', kind => 'option', settlement => 'inverse',
                              option_type => 'put', forward => 97250, strike => 90000, t => 0.25, vol => 0.6,
                              multiplier => 1, index_price => 97000),
          portmargin.position(index_price => 97000, vol => 0.6, t => 0.25, strike => 90000, forward => 97250,
                              multiplier => 1, option_type => 'put', kind => 'option', settlement => 'inverse',
                              underlying => 'BTC', quantity => -2),
          'named arguments in any order: the same position');
SELECT row_eq($$SELECT (p).quantity, (p).underlying, (p).kind, (p).settlement, (p).option_type, (p).forward, (p).strike,
                       (p).t, (p).vol, (p).multiplier, (p).index_price
                FROM (SELECT portmargin.position(vol => 0.6, strike => 90000, forward => 97250, t => 0.25,
                                                 quantity => -2, underlying => 'BTC', kind => 'option', settlement => 'inverse',
                                                 option_type => 'put', multiplier => 0.1, index_price => 97000) p) x$$,
              ROW(-2::float8, 'BTC'::text, 'option'::text, 'inverse'::text, 'put'::text, 97250::float8, 90000::float8,
                  0.25::float8, 0.6::float8, 0.1::float8, 97000::float8),
              'each named argument lands in its own field');
SELECT row_eq($$SELECT (p).option_type, (p).forward, (p).strike, (p).t, (p).vol, (p).multiplier, (p).index_price
                FROM (SELECT portmargin.position(quantity => 2, underlying => 'BTC', kind => 'mmp', settlement => 'inverse') p) x$$,
              ROW(NULL::text, NULL::float8, NULL::float8, NULL::float8, NULL::float8, NULL::float8, NULL::float8),
              'defaults: an mmp row needs quantity, underlying, kind and settlement only, the rest NULL');
SELECT lives_ok($$SELECT portmargin.position(quantity => 1, underlying => 'BTC', kind => 'perpetual', settlement => 'inverse',
                                              forward => 60000, multiplier => 1, index_price => 60000)$$,
                'defaults: a perpetual without option_type, strike, t and vol');
-- position() lays the row out itself: byte for byte PostgreSQL's ROW(...) (record_image_eq, *=),
-- with and without NULLs, short and long (4-byte header) texts
SELECT is_empty($$
  SELECT q, u FROM (SELECT q, u, kind, ot, k, t, f, v, s, m, ix FROM pos
                    UNION ALL SELECT 1, repeat('LONGNAME', 40), 'future', NULL, NULL, 0.5, 100, NULL, 'linear', 1, NULL
                    UNION ALL SELECT 2, 'Y', 'option', 'call', 100, 0.5, 100, 0.2, 'linear', 1, 50) x
  WHERE q IS NOT NULL
    AND NOT portmargin.position(q, u, kind, s, ot, f, k, t, v, m, ix) *= ROW(q, u, kind, s, ot, f, k, t, v, m, ix)::portmargin.position$$,
  'position() is byte for byte ROW(...)::portmargin.position, every row');
SELECT lives_ok($$SELECT portmargin.position(quantity => 1, underlying => 'SOL', kind => 'spot', settlement => 'linear',
                                              forward => 180, multiplier => 1)$$,
                'defaults: linear spot without index_price');
SELECT is((SELECT portmargin.position(quantity => NULL, underlying => NULL, kind => 'straddle', settlement => NULL)::text),
          '(,,straddle,,,,,,,,)',
          'a NULL quantity: not checked further (the aggregate skips the row)');

-- 4. position() raises the aggregate's errors ------------------------------------------------
CREATE TEMP TABLE bad (label text, q float8, u text, kind text, ot text, k float8, t float8, f float8,
                       v float8, s text, m float8, ix float8);
INSERT INTO bad VALUES
  ('unknown kind',       1, 'BTC', 'straddle', NULL, NULL, NULL, 60000, NULL, 'inverse', 1, 60000),
  ('unknown settlement', 1, 'BTC', 'future', NULL, NULL, 0.1, 60000, NULL, 'quanto', 1, 60000),
  ('negative t',         1, 'BTC', 'option', 'call', 60000, -0.1, 60000, 0.5, 'inverse', 1, 60000),
  ('negative vol',       1, 'BTC', 'option', 'call', 60000, 0.1, 60000, -0.5, 'inverse', 1, 60000),
  ('zero strike',        1, 'BTC', 'option', 'call', 0, 0.1, 60000, 0.5, 'inverse', 1, 60000),
  ('NaN quantity',       'NaN', 'BTC', 'future', NULL, NULL, 0.1, 60000, NULL, 'inverse', 1, 60000),
  ('bad option type',    1, 'BTC', 'option', 'straddle', 60000, 0.1, 60000, 0.5, 'inverse', 1, 60000),
  ('option without vol', 1, 'BTC', 'option', 'call', 60000, 0.1, 60000, NULL, 'inverse', 1, 60000),
  ('no forward',         1, 'BTC', 'future', NULL, NULL, 0.1, NULL, NULL, 'inverse', 1, 60000),
  ('no multiplier',      1, 'BTC', 'future', NULL, NULL, 0.1, 60000, NULL, 'inverse', NULL, 60000),
  ('no index price',     1, 'BTC', 'future', NULL, NULL, 0.1, 60000, NULL, 'inverse', 1, NULL),
  ('inverse spot',       1, 'BTC', 'spot', NULL, NULL, NULL, 60000, NULL, 'inverse', 1, 60000),
  ('zero order',         0, 'BTC', 'order:future', NULL, NULL, 0.1, 60000, NULL, 'inverse', 1, 60000),
  ('negative mmp',      -1, 'BTC', 'mmp', NULL, NULL, NULL, NULL, NULL, 'inverse', NULL, 60000),
  ('no underlying',      1, NULL, 'future', NULL, NULL, 0.1, 60000, NULL, 'inverse', 1, 60000),
  ('vol in percent',     1, 'BTC', 'option', 'call', 60000, 0.1, 60000, 60, 'inverse', 1, 60000),
  ('t in days',          1, 'BTC', 'future', NULL, NULL, 90, 60000, NULL, 'inverse', 1, 60000);
CREATE TEMP TABLE bad_err AS
SELECT label,
       pg_temp.err(format('SELECT portmargin.portfolio_margin(%L::float8, %L, %L, %L, %L::float8, %L::float8, %L::float8, %L::float8, %L, %L::float8, %L::float8, portmargin.preset(''deribit-btc''))',
                          q, u, kind, ot, k, t, f, v, s, m, ix)) AS agg,
       pg_temp.err(format('SELECT portmargin.position(quantity => %L, underlying => %L, kind => %L, settlement => %L, option_type => %L, forward => %L, strike => %L, t => %L, vol => %L, multiplier => %L, index_price => %L)',
                          q, u, kind, s, ot, f, k, t, v, m, ix)) AS ctor,
       pg_temp.err(format('SELECT portmargin.portfolio_margin(ROW(%L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L)::portmargin.position, portmargin.preset(''deribit-btc''))',
                          q, u, kind, s, ot, f, k, t, v, m, ix)) AS row_agg
FROM bad;
SELECT is_empty($$SELECT label FROM bad_err WHERE agg IS NULL OR agg NOT LIKE '22%'$$,
                'every bad row is an error of class 22 in the 12-argument aggregate');
SELECT is_empty($$SELECT label, agg, ctor FROM bad_err WHERE ctor IS DISTINCT FROM agg$$,
                'position() raises the 12-argument aggregate''s error (SQLSTATE, message, detail, hint) for every bad row');
SELECT is_empty($$SELECT label, agg, row_agg FROM bad_err WHERE row_agg IS DISTINCT FROM agg$$,
                'a ROW(...)::portmargin.position that bypasses position(): the aggregate raises the same error');

-- 5. plausibility: vol is a decimal, t in years ----------------------------------------------
SELECT is(pg_temp.err($$SELECT portmargin.position(quantity => 1, underlying => 'BTC', kind => 'option', settlement => 'inverse',
                          option_type => 'call', forward => 60000, strike => 60000, t => 0.1, vol => 25, multiplier => 1, index_price => 60000)$$),
          '22023 | invalid value for argument "vol": 25 | The option row of underlying "BTC" has a volatility of 2500%; at most 10 (1000%) is accepted. | vol is a decimal: 0.25 means 25%.',
          'position(): vol 25 (meaning 25%) is ERROR 22023 naming vol, its value and the row, with the hint');
SELECT is(pg_temp.err($$SELECT portmargin.portfolio_margin(1, 'SOL', 'option', 'put', 170, 91, 180, 0.8, 'linear', 1, NULL, portmargin.preset('span'))$$),
          '22023 | invalid value for argument "t": 91 | The option row of underlying "SOL" expires in 91 years; at most 50 years is accepted. | t is in years (ACT/365): 30 days is 30/365.0.',
          '12-argument form: t 91 (days) is ERROR 22023 naming t, its value and the row, with the hint');
SELECT is(pg_temp.errmsg($$SELECT portmargin.portfolio_margin(ROW(1, 'ETH', 'future', 'inverse', NULL, 3500, NULL, 180, NULL, 1, 3500)::portmargin.position,
                                                              portmargin.preset('deribit-eth'))$$),
          '22023 | invalid value for argument "t": 180',
          'position form, a ROW() bypassing position(): a future''s t of 180 is ERROR 22023');
SELECT is(pg_temp.errmsg($$SELECT portmargin.portfolio_margin(ROW(-3, 'BTC', 'order:option', 'inverse', 'put', 60000, 55000, 0.1, 80, 1, 60000)::portmargin.position,
                                                              portmargin.rulebook_preset('deribit'))$$),
          '22023 | invalid value for argument "vol": 80',
          'position form over a rulebook: a resting order''s vol of 80 is ERROR 22023');
SELECT is(pg_temp.errmsg($$SELECT portmargin.portfolio_margin(1, 'BTC', 'perpetual', NULL, NULL, 365, 60000, NULL, 'inverse', 1, 60000,
                                                              portmargin.preset('deribit-btc'))$$),
          '22023 | invalid value for argument "t": 365',
          'a perpetual''s t, given, is checked too (the aggregate ignores it, the unit mistake is still one)');
SELECT lives_ok($$SELECT portmargin.portfolio_margin(portmargin.position(quantity => 1, underlying => 'BTC', kind => 'option', settlement => 'inverse',
                    option_type => 'call', forward => 60000, strike => 60000, t => 50, vol => 10, multiplier => 1, index_price => 60000),
                    portmargin.preset('deribit-btc'))$$,
                'the bounds themselves, vol 10 (1000%) and t 50 years, are accepted');
SELECT is(pg_temp.errmsg($$SELECT portmargin.position(quantity => 1, underlying => 'BTC', kind => 'option', settlement => 'inverse',
                    option_type => 'call', forward => 60000, strike => 60000, t => 0.1, vol => 10.000001, multiplier => 1, index_price => 60000)$$),
          '22023 | invalid value for argument "vol": 10.000001', 'just above the bound: vol 10.000001 is an error');
SELECT lives_ok($$SELECT portmargin.portfolio_margin(1, 'BTC', 'future', NULL, NULL, 0.1, 60000, 25, 'inverse', 1, 60000,
                                                    portmargin.preset('deribit-btc'))$$,
                'a future''s vol is not used and not checked (as the aggregate never read it)');
SELECT lives_ok($$SELECT portmargin.portfolio_margin(2, 'BTC', 'mmp', NULL, NULL, 400, NULL, 70, 'inverse', NULL, 60000,
                                                    portmargin.preset('deribit-btc'))$$,
                'mmp and liability rows read neither t nor vol: not checked');
-- the pricing functions keep any vol (implied-vol solvers bracket at large vols)
SELECT ok(portmargin.black76_price('call', 100, 100, 1, 25, 0) > 99.99, 'black76_price still accepts vol 25 (price near the forward)');

-- 6. NULL positions, NULL rules -------------------------------------------------------------
SELECT is((SELECT portmargin.portfolio_margin(p, portmargin.preset('span'))::text
           FROM (SELECT p FROM posv WHERE acct = 3 UNION ALL SELECT NULL::portmargin.position) x),
          (SELECT portmargin.portfolio_margin(p, portmargin.preset('span'))::text FROM posv WHERE acct = 3),
          'a NULL position is skipped, as a NULL quantity is');
SELECT is((SELECT portmargin.portfolio_margin(NULL::portmargin.position, portmargin.rulebook_preset('deribit'))::text FROM generate_series(1, 3)),
          (SELECT portmargin.portfolio_margin(NULL::float8, 'BTC', 'future', NULL, NULL, 0.1, 60000, NULL, 'inverse', 1, 60000,
                                              portmargin.rulebook_preset('deribit'))::text FROM generate_series(1, 3)),
          'a group of NULL positions only: the 12-argument form''s result for rows without a quantity');
SELECT is(pg_temp.errmsg($$SELECT portmargin.portfolio_margin(portmargin.position(quantity => 1, underlying => 'BTC', kind => 'perpetual',
                    settlement => 'inverse', forward => 60000, multiplier => 1, index_price => 60000), NULL::portmargin.rulebook)$$),
          '22004 | argument "rules" must not be NULL', 'a NULL rulebook: ERROR 22004, as in the 12-argument form');
SELECT is(pg_temp.errmsg($$SELECT portmargin.portfolio_margin(portmargin.position(quantity => 1, underlying => 'BTC', kind => 'perpetual',
                    settlement => 'inverse', forward => 60000, multiplier => 1, index_price => 60000), NULL::portmargin.scenario_set)$$),
          '22004 | argument "scenarios" must not be NULL', 'a NULL scenario set: ERROR 22004, as in the 12-argument form');

-- 7. parallel query, states ---------------------------------------------------------------------
-- regular tables (parallel workers cannot read temporary ones), dropped at the end
CREATE TABLE position_test_big AS
SELECT g AS acct, p.q * (1 + (g % 7)) AS q, p.u, p.kind, p.ot, p.k, p.t, p.f, p.v, p.s, p.m, p.ix
FROM pos p, generate_series(1, 300) g;
ANALYZE position_test_big;
CREATE TABLE position_test_book AS SELECT rb FROM books WHERE name = 'three';
CREATE TEMP VIEW big AS SELECT * FROM position_test_big;
CREATE TEMP TABLE serial AS
SELECT acct, portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT rb FROM position_test_book))::text AS j
FROM big GROUP BY acct;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off;
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.plan_lines($$
            SELECT portmargin.portfolio_margin(portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s,
                     option_type => ot, forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix),
                     (SELECT rb FROM position_test_book)) FROM position_test_big$$) l WHERE l LIKE '%Partial Aggregate%'),
          'the position form has a parallel plan (Partial Aggregate under Gather)');
CREATE TEMP TABLE par AS
SELECT portmargin.portfolio_margin(portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s,
         option_type => ot, forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix),
         (SELECT rb FROM position_test_book)) AS m
FROM position_test_big WHERE acct = 7;
RESET parallel_leader_participation; RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
-- (workers' states are combined in the order they finish: a unit's expiry sums are added in
-- another order, so amounts agree to rounding, not bit for bit; test/rulebook_margin.sql)
SELECT ok((SELECT abs((p.m).initial_margin - (o.m).initial_margin) <= 1e-12 * (o.m).initial_margin
              AND abs((p.m).maintenance_margin - (o.m).maintenance_margin) <= 1e-12 * (o.m).maintenance_margin
              AND abs((p.m).roll_shock - (o.m).roll_shock) <= 1e-12 * (o.m).roll_shock
              AND (p.m).risk_units = (o.m).risk_units AND (p.m).currency = (o.m).currency
           FROM par p, (SELECT j::portmargin.margin AS m FROM serial WHERE acct = 7) o),
          'the position form through parallel workers (partial states serialised and combined) = the serial 12-argument result (1e-12)');
SELECT is_empty($$
  SELECT acct FROM (SELECT acct, portmargin.portfolio_margin_state(
                      portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s, option_type => ot,
                                          forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix),
                      (SELECT rb FROM position_test_book)) st
                    FROM big GROUP BY acct) x JOIN serial USING (acct)
  WHERE portmargin.finalize_margin((st::text)::portmargin.margin_state)::text IS DISTINCT FROM j$$,
  'position-form states: text round trip then finalize_margin = the 12-argument portfolio_margin, every account');

DROP TABLE position_test_big, position_test_book CASCADE;

-- a risk unit of an mmp row only (a parallel worker whose blocks hold no position of the unit
-- has one): its state serialises (its P&L vector was NULL and crashed the serialiser) and
-- finalises to Deribit's MMP margin, 3% of the MMP size (deribit-btc's mmp_rate 0.03):
-- 0.03 x 2 BTC = 0.06 BTC
SELECT ok((SELECT abs((portmargin.finalize_margin(portmargin.portfolio_margin_state(
             portmargin.position(quantity => 2, underlying => 'BTC', kind => 'mmp', settlement => 'inverse', index_price => 60000),
             portmargin.preset('deribit-btc'))::text::portmargin.margin_state)).initial_margin - 0.06) < 1e-15),
          'a unit of an mmp row only: its state round-trips and finalises to 3% x 2 BTC');
SELECT is((SELECT portmargin.finalize_margin(portmargin.portfolio_margin_state(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT rb FROM books WHERE name = 'three'))::text::portmargin.margin_state)::text
           FROM pos WHERE acct = 1 AND kind = 'mmp'),
          (SELECT portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT rb FROM books WHERE name = 'three'))::text
           FROM pos WHERE acct = 1 AND kind = 'mmp'),
          'an mmp-only unit under a rulebook: serialised state, finalised = the aggregate''s result');

SELECT * FROM finish();
