-- test/estimate.sql: estimate_correlation (vols and correlations from a price
-- history, for monte_carlo_scenarios) and nearest_correlation (Higham's
-- repair, an opt-in).  Expected values come from numpy 1.24
-- (/usr/bin/python3, computed offline with the script quoted below: np.cov /
-- np.corrcoef of the log returns, the EWMA by an explicit loop, eigenvalues
-- by np.linalg.eigvalsh) and from Higham's published example (N. J. Higham,
-- "Computing the nearest correlation matrix - a problem from finance", IMA
-- J. Numer. Anal. 22 (2002) 329-343, its worked example:
-- https://doi.org/10.1093/imanum/22.3.329).  Nothing is pasted from a run of
-- this code.  Tolerance 1e-12 relative for the estimates.
--
-- The history: BTC, ETH, SOL over 2025-01-01 .. 2025-01-12, SOL has no
-- price on 2025-01-06, so 11 complete days and 10 log returns, the one
-- ending 2025-01-07 spanning the gap (as historical_scenarios aligns).
--
-- The numpy script (python3 expected.py):
--
--   import numpy as np
--   np.set_printoptions(precision=17)
--   days = ['2025-01-%02d' % d for d in range(1, 13)]
--   px = {'BTC': [100, 103, 101, 104, 108, 107, 105, 109, 112, 110, 113, 111],
--         'ETH': [ 50,  51,  49,  50,  53,  52,  51,  54,  55,  53,  56,  57],
--         'SOL': [ 20,  21,  20,  22,  23, None, 21,  22,  24,  23,  25,  24]}
--   names = sorted(px)
--   ok = [i for i in range(12) if all(px[u][i] is not None for u in names)]   # complete days
--   P = np.array([[px[u][i] for u in names] for i in ok], dtype=float)
--   r = np.diff(np.log(P), axis=0)                                           # log returns, across the gap
--   def show(tag, C, h=1):
--       sd = np.sqrt(np.diag(C)); R = C / np.outer(sd, sd); np.fill_diagonal(R, 1)   # unit diagonal exactly
--       print(tag, 'vols', repr(list(sd * np.sqrt(h))))
--       print(tag, 'corr', repr(list(R.ravel())))
--       e = np.linalg.eigvalsh(R); print(tag, 'eig', repr(list(e)), 'cond', repr(e[-1] / e[0]))
--       return R
--   print('T', len(r))
--   # sample
--   R = show('sample', np.cov(r, rowvar=False))
--   assert np.allclose(R, np.corrcoef(r, rowvar=False), atol=1e-15)
--   show('sample h=10', np.cov(r, rowvar=False), 10)
--   # ewma, lambda 0.9: seed = mean of r r', then S <- lam S + (1 - lam) r r', oldest first
--   lam = 0.9
--   S = r.T @ r / len(r)
--   for t in range(len(r)):
--       S = lam * S + (1 - lam) * np.outer(r[t], r[t])
--   Re = show('ewma', S)
--   # shrinkage 0.3 of the sample correlation toward the constant-correlation target
--   s = 0.3; k = 3
--   avg = R[np.triu_indices(k, 1)].mean(); print('avg', repr(avg))
--   T = np.full((k, k), avg); np.fill_diagonal(T, 1)
--   Rs = (1 - s) * R + s * T
--   print('shrunk corr', repr(list(Rs.ravel())))
--   e = np.linalg.eigvalsh(Rs); print('shrunk eig', repr(list(e)), 'cond', repr(e[-1] / e[0]))
--   # lookback 5: the last 5 returns
--   show('lookback5', np.cov(r[-5:], rowvar=False))
--   # change of the ewma estimate against the sample one
--   d = Re - R
--   print('change', repr(np.abs(d).max()), repr(np.linalg.norm(d, 'fro')))
--   # Higham (2002) alternating projections with Dykstra's correction, W = I, written here
--   # from the paper's description, for a 4 x 4 matrix that is not positive semi-definite
--   def nearcorr(A, tol=1e-14, maxit=100000):
--       Y = A.copy(); dS = np.zeros_like(A)
--       for _ in range(maxit):
--           R = Y - dS
--           w, V = np.linalg.eigh(R)
--           X = V @ np.diag(np.maximum(w, 0)) @ V.T
--           dS = X - R
--           Yn = X.copy(); np.fill_diagonal(Yn, 1)
--           if np.linalg.norm(Yn - Y, 'fro') / np.linalg.norm(Yn, 'fro') < tol:
--               return Yn
--           Y = Yn
--   B = np.array([[1, 0.9, 0.7, -0.5], [0.9, 1, 0.3, 0.2], [0.7, 0.3, 1, 0.8], [-0.5, 0.2, 0.8, 1]])
--   print('B eig', np.linalg.eigvalsh(B))
--   NB = nearcorr(B)
--   print('ncm B', repr([round(x, 10) for x in NB.ravel()]), 'eig', np.linalg.eigvalsh(NB))
--   A = np.array([[1., 1, 0], [1, 1, 1], [0, 1, 1]])
--   NA = nearcorr(A); print('ncm A', NA.ravel(), np.linalg.eigvalsh(NA))
--
-- Its output:
--
--   T 10
--   sample vols [0.02737877407708229, 0.03927040892086144, 0.06744383633623266]
--   sample corr [1.0, 0.8623413196388, 0.9247052399218575, 0.8623413196388, 1.0, 0.7653938732903894, 0.9247052399218575, 0.7653938732903894, 1.0]
--   sample eig [0.055376980777213654, 0.2413340007869581, 2.703289018435828] cond 48.81611421379926
--   sample h=10 vols [0.08657928562675447, 0.12418393683611718, 0.21327613696212094]
--   sample h=10 corr [1.0, 0.8623413196388, 0.9247052399218575, 0.8623413196388, 1.0, 0.7653938732903894, 0.9247052399218575, 0.7653938732903894, 1.0]
--   sample h=10 eig [0.055376980777213654, 0.2413340007869581, 2.703289018435828] cond 48.81611421379926
--   ewma vols [0.02749439119696324, 0.03961606082789395, 0.0663264467687003]
--   ewma corr [1.0, 0.8598243845260727, 0.9302557948253024, 0.8598243845260727, 1.0, 0.7751425698623408, 0.9302557948253024, 0.7751425698623408, 1.0]
--   ewma eig [0.05436515181151334, 0.23392644016420353, 2.711708408024282] cond 49.879533444988965
--   avg 0.8508134776170156
--   shrunk corr [1.0, 0.8588829670322646, 0.9025377112304049, 0.8588829670322646, 1.0, 0.7910197545883773, 0.9025377112304049, 0.7910197545883773, 1.0]
--   shrunk eig [0.08374779798631964, 0.21380783379019563, 2.7024443682234836] cond 32.26884089137404
--   lookback5 vols [0.026855977698574496, 0.03823106290069863, 0.06441896797994819]
--   lookback5 corr [1.0, 0.7869442896932506, 0.9186350054766648, 0.7869442896932506, 1.0, 0.6831714916409609, 0.9186350054766648, 0.6831714916409609, 1.0]
--   lookback5 eig [0.06601155979299046, 0.33755007782438295, 2.596438362382626] cond 39.33308606136486
--   change 0.00974869657195132 0.016259194749421727
--   B eig [-0.49020282512450747  0.5162147896207999   1.6428043694085324
--     2.3311836660951744 ]
--   ncm B [1.0, 0.761753383, 0.4864173485, -0.2788173552, 0.761753383, 1.0, 0.4090084255, 0.0871126859, 0.4864173485, 0.4090084255, 1.0, 0.6255959357, -0.2788173552, 0.0871126859, 0.6255959357, 1.0] eig [-7.1656384857609050e-15  3.8898319162153028e-01  1.4514725320030442e+00
--     2.1595442763754340e+00]
--   ncm A [1.                  0.7606898534022883  0.1572981061383747
--    0.7606898534022882  1.                  0.7606898534022886
--    0.15729810613837464 0.7606898534022886  1.                 ] [-6.964376506174531e-15  8.427018938616254e-01  2.157298106138382e+00]
\set ON_ERROR_ROLLBACK on
\set ON_ERROR_STOP off
BEGIN;
\ir lib/helpers.psql

SELECT plan(90);

-- every element within tol relative: |got - want| <= tol |want| (exact where want = 0)
CREATE FUNCTION pg_temp.rel_is(got float8[], want float8[], tol float8, descr text) RETURNS text
LANGUAGE plpgsql AS $f$
DECLARE pass boolean := got IS NOT NULL AND cardinality(got) = cardinality(want)
  AND NOT EXISTS (SELECT 1 FROM unnest(got, want) u(g, w) WHERE g IS NULL OR NOT abs(g - w) <= tol * abs(w));
BEGIN
  RETURN ok(pass, descr) || CASE WHEN pass THEN '' ELSE E'\n' || diag(format(E'got:  %s\nwant: %s', got, want)) END;
END $f$;
CREATE FUNCTION pg_temp.rel(got float8, want float8, tol float8, descr text) RETURNS text
LANGUAGE sql AS $f$ SELECT pg_temp.rel_is(ARRAY[got], ARRAY[want], tol, descr) $f$;

CREATE TEMP TABLE h (u text, d date, p float8);
INSERT INTO h SELECT 'BTC', date '2025-01-01' + (i - 1)::int, p
  FROM unnest('{100,103,101,104,108,107,105,109,112,110,113,111}'::float8[]) WITH ORDINALITY x(p, i);
INSERT INTO h SELECT 'ETH', date '2025-01-01' + (i - 1)::int, p
  FROM unnest('{50,51,49,50,53,52,51,54,55,53,56,57}'::float8[]) WITH ORDINALITY x(p, i);
INSERT INTO h SELECT 'SOL', date '2025-01-01' + (i - 1)::int, p
  FROM unnest('{20,21,20,22,23,NULL,21,22,24,23,25,24}'::float8[]) WITH ORDINALITY x(p, i) WHERE p IS NOT NULL;

-- the arrays once, in a shuffled order (the function sorts them)
CREATE TEMP TABLE a AS
SELECT array_agg(u ORDER BY md5(u || d)) AS u, array_agg(d ORDER BY md5(u || d)) AS d, array_agg(p ORDER BY md5(u || d)) AS p FROM h;

CREATE TEMP TABLE e AS
SELECT portmargin.estimate_correlation(u, d, p) AS sample,
       portmargin.estimate_correlation(u, d, p, 'ewma', 0.9) AS ewma,
       portmargin.estimate_correlation(u, d, p, shrinkage => 0.3) AS shrunk,
       portmargin.estimate_correlation(u, d, p, horizon => 10) AS h10,
       portmargin.estimate_correlation(u, d, p, lookback => 5) AS lb5
FROM a;

-- ---------------------------------------------------------------------------
-- 1. sample (np.cov, ddof 1, mean removed; np.corrcoef)
-- ---------------------------------------------------------------------------
SELECT is((sample).underlyings, '{BTC,ETH,SOL}', 'underlyings sorted') FROM e;
SELECT is((sample).observations, 10, '11 complete days: 10 log returns (SOL missing 2025-01-06)') FROM e;
SELECT is(ARRAY[(sample).first_day, (sample).last_day], '{2025-01-01,2025-01-12}'::date[], 'first and last day of the window') FROM e;
SELECT is((sample).method, 'sample', 'method reported') FROM e;
SELECT ok((sample).ewma_lambda IS NULL AND (sample).change_max_abs IS NULL AND (sample).change_frobenius IS NULL,
          'no lambda for sample; no change without previous') FROM e;
SELECT pg_temp.rel_is((sample).vols, '{0.02737877407708229, 0.03927040892086144, 0.06744383633623266}', 1e-12,
                      'sample: daily vols = sqrt(diag(np.cov))') FROM e;
SELECT pg_temp.rel_is((sample).correlation, '{1.0, 0.8623413196388, 0.9247052399218575, 0.8623413196388, 1.0, 0.7653938732903894, 0.9247052399218575, 0.7653938732903894, 1.0}', 1e-12,
                      'sample: correlation = np.corrcoef') FROM e;
SELECT is(array_dims((sample).correlation), '[1:3][1:3]', 'correlation is a 3 x 3 two-dimensional array') FROM e;
SELECT pg_temp.rel((sample).min_eigenvalue, 0.055376980777213654, 1e-12, 'sample: smallest eigenvalue (eigvalsh)') FROM e;
SELECT pg_temp.rel((sample).max_eigenvalue, 2.703289018435828, 1e-12, 'sample: largest eigenvalue') FROM e;
SELECT pg_temp.rel((sample).condition_number, 48.81611421379926, 1e-12, 'sample: condition number = largest / smallest') FROM e;
SELECT pg_temp.rel((sample).average_correlation, 0.8508134776170156, 1e-12, 'average off-diagonal correlation') FROM e;

-- ---------------------------------------------------------------------------
-- 2. EWMA, lambda 0.9: zero mean, seed = mean of r r', S <- lambda S + (1 - lambda) r r'
-- ---------------------------------------------------------------------------
SELECT is((ewma).ewma_lambda, 0.9::float8, 'ewma: lambda reported') FROM e;
SELECT pg_temp.rel_is((ewma).vols, '{0.02749439119696324, 0.03961606082789395, 0.0663264467687003}', 1e-12, 'ewma: vols') FROM e;
SELECT pg_temp.rel_is((ewma).correlation, '{1.0, 0.8598243845260727, 0.9302557948253024, 0.8598243845260727, 1.0, 0.7751425698623408, 0.9302557948253024, 0.7751425698623408, 1.0}', 1e-12,
                      'ewma: correlation') FROM e;
SELECT pg_temp.rel((ewma).min_eigenvalue, 0.05436515181151334, 1e-12, 'ewma: smallest eigenvalue') FROM e;
SELECT pg_temp.rel((ewma).condition_number, 49.879533444988965, 1e-12, 'ewma: condition number') FROM e;
SELECT is((portmargin.estimate_correlation(u, d, p, 'ewma')).ewma_lambda, 0.94::float8, 'ewma: lambda defaults to 0.94 (RiskMetrics daily)') FROM a;
SELECT is((portmargin.estimate_correlation(u, d, p, 'EWMA', 0.9)).vols, (ewma).vols, 'method is case-insensitive') FROM a, e;

-- the change of the EWMA estimate against the sample one
SELECT pg_temp.rel((portmargin.estimate_correlation(u, d, p, 'ewma', 0.9, previous => (sample).correlation)).change_max_abs,
                   0.00974869657195132, 1e-9, 'change_max_abs: max |R_ewma - R_sample|') FROM a, e;
SELECT pg_temp.rel((portmargin.estimate_correlation(u, d, p, 'ewma', 0.9, previous => (sample).correlation)).change_frobenius,
                   0.016259194749421727, 1e-9, 'change_frobenius: ||R_ewma - R_sample||_F') FROM a, e;
SELECT is(ARRAY[(x).change_max_abs, (x).change_frobenius], '{0,0}'::float8[], 'no change against itself')
FROM (SELECT portmargin.estimate_correlation(u, d, p, previous => (sample).correlation) AS x FROM a, e) s;
SELECT is((portmargin.estimate_correlation(u, d, p, previous => ARRAY(SELECT unnest((sample).correlation)))).change_max_abs, 0::float8,
          'previous may be flat (row-major)') FROM a, e;

-- ---------------------------------------------------------------------------
-- 3. shrinkage toward the constant-correlation target (Ledoit & Wolf 2004)
-- ---------------------------------------------------------------------------
SELECT pg_temp.rel_is((shrunk).correlation, '{1.0, 0.8588829670322646, 0.9025377112304049, 0.8588829670322646, 1.0, 0.7910197545883773, 0.9025377112304049, 0.7910197545883773, 1.0}', 1e-12,
                      'shrinkage 0.3: 0.7 R + 0.3 T') FROM e;
SELECT is((shrunk).vols, (sample).vols, 'shrinkage leaves the vols alone') FROM e;
SELECT pg_temp.rel((shrunk).min_eigenvalue, 0.08374779798631964, 1e-12, 'shrinkage 0.3: smallest eigenvalue') FROM e;
SELECT pg_temp.rel((shrunk).condition_number, 32.26884089137404, 1e-12, 'shrinkage 0.3: condition number (better conditioned)') FROM e;
SELECT pg_temp.rel_is((portmargin.estimate_correlation(u, d, p, shrinkage => 1)).correlation,
                      '{1, 0.8508134776170156, 0.8508134776170156, 0.8508134776170156, 1, 0.8508134776170156, 0.8508134776170156, 0.8508134776170156, 1}', 1e-12,
                      'shrinkage 1: the target itself') FROM a;
SELECT is((portmargin.estimate_correlation(u, d, p, shrinkage => 0)).correlation, (sample).correlation, 'shrinkage 0: the sample correlation') FROM a, e;

-- ---------------------------------------------------------------------------
-- 4. horizon and lookback
-- ---------------------------------------------------------------------------
SELECT pg_temp.rel_is((h10).vols, '{0.08657928562675447, 0.12418393683611718, 0.21327613696212094}', 1e-12, 'horizon 10: vols x sqrt(10)') FROM e;
SELECT is((h10).correlation, (sample).correlation, 'horizon leaves the correlation alone') FROM e;
SELECT is((lb5).observations, 5, 'lookback 5: the last 5 returns') FROM e;
SELECT is((lb5).first_day, date '2025-01-07', 'lookback 5: from the price of 2025-01-07') FROM e;
SELECT pg_temp.rel_is((lb5).vols, '{0.026855977698574496, 0.03823106290069863, 0.06441896797994819}', 1e-12, 'lookback 5: vols') FROM e;
SELECT pg_temp.rel_is((lb5).correlation, '{1.0, 0.7869442896932506, 0.9186350054766648, 0.7869442896932506, 1.0, 0.6831714916409609, 0.9186350054766648, 0.6831714916409609, 1.0}', 1e-12,
                      'lookback 5: correlation') FROM e;
SELECT pg_temp.rel((lb5).condition_number, 39.33308606136486, 1e-12, 'lookback 5: condition number') FROM e;
SELECT is((portmargin.estimate_correlation(u, d, p, lookback => 10)).correlation, (sample).correlation, 'lookback = the whole history') FROM a, e;

-- ---------------------------------------------------------------------------
-- 5. end to end: monte_carlo_scenarios accepts the estimate
-- ---------------------------------------------------------------------------
SELECT is((SELECT count(*)::int FROM portmargin.joint_moves(portmargin.monte_carlo_scenarios((x).underlyings, (x).vols, (x).correlation, 1000, seed => 7))),
          3000, 'monte_carlo_scenarios(est.underlyings, est.vols, est.correlation, 1000): 1000 scenarios x 3 underlyings')
FROM (SELECT (portmargin.estimate_correlation(u, d, p, 'ewma', 0.97, shrinkage => 0.2, horizon => 2)) AS x FROM a) s;
-- over 20000 scenarios the log moves have about the estimated vols (standard error of a
-- standard deviation ~ sigma / sqrt(2 n) = 0.5%; 3% is six of them)
SELECT ok(abs(stddev_pop(ln(1 + price_move)) / (SELECT (sample).vols[1] FROM e) - 1) < 0.03, 'Monte Carlo BTC log moves have the estimated vol')
FROM portmargin.joint_moves((SELECT portmargin.monte_carlo_scenarios((sample).underlyings, (sample).vols, (sample).correlation, 20000, seed => 3) FROM e))
WHERE underlying = 'BTC';

-- ---------------------------------------------------------------------------
-- 6. nearest_correlation (opt-in; monte_carlo_scenarios still refuses)
-- ---------------------------------------------------------------------------
-- Higham (2002), the worked example: A = [[1,1,0],[1,1,1],[0,1,1]] has eigenvalues 1 - sqrt 2 < 0, 1, 1 + sqrt 2;
-- the nearest correlation matrix is [[1, 0.7607, 0.1573], [0.7607, 1, 0.7607], [0.1573, 0.7607, 1]].
SELECT is(array(SELECT round(x::numeric, 4) FROM unnest(portmargin.nearest_correlation('{{1,1,0},{1,1,1},{0,1,1}}')) x),
          '{1, 0.7607, 0.1573, 0.7607, 1, 0.7607, 0.1573, 0.7607, 1}'::numeric[], 'Higham''s example to the 4 published decimals');
SELECT is(array_dims(portmargin.nearest_correlation('{{1,1,0},{1,1,1},{0,1,1}}')), '[1:3][1:3]', 'a 3 x 3 result');
-- positive semi-definite: the smallest eigenvalue of a symmetric 3 x 3 matrix in closed form
-- (O. K. Smith, "Eigenvalues of a symmetric 3 x 3 matrix", Comm. ACM 4(4) 1961, p. 168, as in
-- https://en.wikipedia.org/wiki/Eigenvalue_algorithm#3%C3%973_matrices:
-- q = tr/3, p = sqrt(sum (a_ij - q delta_ij)^2 / 6), B = (A - q I)/p, phi = acos(det(B)/2)/3,
-- smallest = q + 2 p cos(phi + 2 pi/3)); it must be >= -tolerance (1e-10)
CREATE FUNCTION pg_temp.min_eig3(m float8[]) RETURNS float8 LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE q float8 := (m[1][1] + m[2][2] + m[3][3]) / 3; p float8; b float8[]; r float8;
BEGIN
  p := sqrt(((m[1][1] - q)^2 + (m[2][2] - q)^2 + (m[3][3] - q)^2 + 2 * (m[1][2]^2 + m[1][3]^2 + m[2][3]^2)) / 6);
  b := ARRAY[[(m[1][1] - q) / p, m[1][2] / p, m[1][3] / p], [m[2][1] / p, (m[2][2] - q) / p, m[2][3] / p],
             [m[3][1] / p, m[3][2] / p, (m[3][3] - q) / p]];
  r := (b[1][1] * (b[2][2] * b[3][3] - b[2][3] * b[3][2]) - b[1][2] * (b[2][1] * b[3][3] - b[2][3] * b[3][1])
        + b[1][3] * (b[2][1] * b[3][2] - b[2][2] * b[3][1])) / 2;
  RETURN q + 2 * p * cos(acos(greatest(-1, least(1, r))) / 3 + 2 * pi() / 3);
END $f$;
SELECT pg_temp.near(pg_temp.min_eig3('{{1,1,0},{1,1,1},{0,1,1}}'), 1 - sqrt(2), 1e-14, 'the closed form gives Higham''s A its eigenvalue 1 - sqrt 2');
SELECT ok(pg_temp.min_eig3(m) >= -1e-10 AND pg_temp.min_eig3(m) < 1e-9
          AND m[1][1] = 1 AND m[2][2] = 1 AND m[3][3] = 1 AND m[1][2] = m[2][1] AND m[1][3] = m[3][1] AND m[2][3] = m[3][2],
          'Higham''s result: unit diagonal, symmetric, smallest eigenvalue in [-1e-10, 1e-9] (PSD, singular)')
FROM (SELECT portmargin.nearest_correlation('{{1,1,0},{1,1,1},{0,1,1}}') AS m) s;
SELECT pg_temp.arr_is(portmargin.nearest_correlation('{{1,1,0},{1,1,1},{0,1,1}}', 1e-14, 100000),
                      '{1, 0.7606898534022883, 0.1572981061383747, 0.7606898534022882, 1, 0.7606898534022886, 0.15729810613837464, 0.7606898534022886, 1}', 1e-10,
                      'Higham''s example at tolerance 1e-14 against numpy''s own implementation of the algorithm');
SELECT pg_temp.arr_is(portmargin.nearest_correlation('{{1,0.9,0.7,-0.5},{0.9,1,0.3,0.2},{0.7,0.3,1,0.8},{-0.5,0.2,0.8,1}}', 1e-14, 100000),
                      '{1.0, 0.761753383, 0.4864173485, -0.2788173552, 0.761753383, 1.0, 0.4090084255, 0.0871126859, 0.4864173485, 0.4090084255, 1.0, 0.6255959357, -0.2788173552, 0.0871126859, 0.6255959357, 1.0}', 1e-9,
                      'a 4 x 4 indefinite matrix (smallest eigenvalue -0.49) against numpy');
SELECT is(portmargin.nearest_correlation('{{1,0.5,0.2},{0.5,1,0.3},{0.2,0.3,1}}'), '{{1,0.5,0.2},{0.5,1,0.3},{0.2,0.3,1}}'::float8[],
          'a positive definite correlation matrix comes back unchanged');
SELECT is(portmargin.nearest_correlation((sample).correlation), (sample).correlation, 'the sample estimate comes back unchanged') FROM e;
SELECT is(portmargin.nearest_correlation('{1,0.5,0.5,1}'), '{{1,0.5},{0.5,1}}'::float8[], 'a flat (row-major) matrix is accepted');
SELECT is(portmargin.nearest_correlation('{{1}}'), '{{1}}'::float8[], '1 x 1');
-- the default stays: monte_carlo_scenarios refuses the non-positive-definite matrix
SELECT alike(pg_temp.err($$SELECT portmargin.monte_carlo_scenarios('{A,B,C}', '{0.1,0.1,0.1}', '{{1,1,0},{1,1,1},{0,1,1}}', 10)$$),
            '22023: invalid value for argument "correlation": the matrix is not positive definite%',
            'monte_carlo_scenarios still refuses a matrix that is not positive definite');
-- the repaired matrix is singular (on the boundary of the PSD cone); a 1% blend toward the identity makes it positive definite
SELECT is((SELECT count(*)::int FROM portmargin.joint_moves(portmargin.monte_carlo_scenarios('{A,B,C}', '{0.1,0.1,0.1}',
             portmargin.stressed_correlation(portmargin.nearest_correlation('{{1,1,0},{1,1,1},{0,1,1}}'), 0, 0.01), 10))),
          30, 'the repair blended 1% toward the identity is accepted by monte_carlo_scenarios');

-- ---------------------------------------------------------------------------
-- 7. bad input: ERROR 22023 / 22004 naming the argument
-- ---------------------------------------------------------------------------
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p, lookback => 11) FROM a$$),
            '22023: invalid value for argument "lookback": 11 returns, but the history has 10', 'lookback longer than the history');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p, lookback => 1) FROM a$$),
            '22023: invalid value for argument "lookback": 1', 'lookback 1: no sample covariance');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p, 'ewma', 1) FROM a$$),
            '22023: invalid value for argument "ewma_lambda": 1', 'lambda 1');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p, 'ewma', 0) FROM a$$),
            '22023: invalid value for argument "ewma_lambda": 0', 'lambda 0');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p, 'ewma', 'NaN') FROM a$$),
            '22023: invalid value for argument "ewma_lambda": NaN', 'lambda NaN');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p, 'sample', 0.94) FROM a$$),
            '22023: invalid value for argument "ewma_lambda": 0.94', 'lambda with method sample');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p, shrinkage => 1.5) FROM a$$),
            '22023: invalid value for argument "shrinkage": 1.5', 'shrinkage above 1');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p, shrinkage => -0.1) FROM a$$),
            '22023: invalid value for argument "shrinkage": -0.1', 'shrinkage below 0');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p, method => 'garch') FROM a$$),
            '22023: invalid value for argument "method": "garch"', 'unknown method');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p, horizon => 0) FROM a$$),
            '22023: invalid value for argument "horizon": 0', 'horizon 0');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d[1:34], p) FROM a$$),
            '22023: invalid value for argument "days": 34 elements for 35 underlyings', 'days shorter than underlyings');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p || 1::float8) FROM a$$),
            '22023: invalid value for argument "prices": 36 elements for 35 underlyings', 'prices longer than underlyings');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(NULL, d, p) FROM a$$), '22004: argument "underlyings" must not be NULL', 'NULL underlyings');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, NULL, p) FROM a$$), '22004: argument "days" must not be NULL', 'NULL days');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, NULL) FROM a$$), '22004: argument "prices" must not be NULL', 'NULL prices');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p, NULL) FROM a$$), '22004: argument "method" must not be NULL', 'NULL method');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p, shrinkage => NULL) FROM a$$), '22004: argument "shrinkage" must not be NULL', 'NULL shrinkage');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p, horizon => NULL) FROM a$$), '22004: argument "horizon" must not be NULL', 'NULL horizon');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p[1:2] || NULL::float8 || p[4:]) FROM a$$),
            '22023: invalid value for argument "prices": element 3 is NULL', 'a NULL price');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d[1:2] || NULL::date || d[4:], p) FROM a$$),
            '22023: invalid value for argument "days": element 3 is NULL', 'a NULL day');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u[1:2] || NULL::text || u[4:], d, p) FROM a$$),
            '22023: invalid value for argument "underlyings": element 3 is NULL', 'a NULL underlying');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p[1:2] || 0::float8 || p[4:]) FROM a$$),
            '22023: invalid value for argument "prices": element 3 is 0; a price must be positive', 'a zero price');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation('{X,X,Y,Y}', '{2025-01-01,2025-01-02,2025-01-01,2025-01-02}', '{1,2,3,4}')$$),
            '22023: invalid value for argument "days": the history has 2 complete days', 'one return: fewer than 2');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation('{X,X,X,Y,Y,Y}', '{2025-01-01,2025-01-02,2025-01-03,2025-01-01,2025-01-02,2025-01-04}', '{1,2,3,4,5,6}')$$),
            '22023: invalid value for argument "days": the history has 2 complete days', 'missing days leave one return');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation('{X,X,X,Y,Y,Y}', '{2025-01-01,2025-01-02,2025-01-03,2025-01-01,2025-01-02,2025-01-03}', '{1,2,3,5,5,5}')$$),
            '22023: invalid value for argument "prices": the returns of "Y" have zero variance%', 'a constant price: correlations undefined');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation('{X,X,X}', '{2025-01-01,2025-01-02,2025-01-03}', '{1e300,1e-300,1e-300}')$$),
            '22023: invalid value for argument "prices": the log return of "X" from 2025-01-01 to 2025-01-02 is -Infinity', 'a price ratio that underflows: no infinite return');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation('{X,X,X}', '{2025-01-01,2025-01-01,2025-01-03}', '{1,2,3}')$$),
            '22023: invalid value for argument "days": underlying "X" has two observations on 2025-01-01', 'two observations on one day');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(u, d, p, previous => '{{1,0},{0,1}}') FROM a$$),
            '22023: invalid value for argument "previous": a 3 x 3 matrix is needed for 3 underlyings, got 2 x 2', 'previous of the wrong size');
SELECT alike(pg_temp.err($$SELECT portmargin.nearest_correlation('{{1,0.5,0.2},{0.5,1,0.3}}')$$),
            '22023: invalid value for argument "matrix": a square matrix is needed, got 2 x 3', 'nearest_correlation: not square');
SELECT alike(pg_temp.err($$SELECT portmargin.nearest_correlation('{{1,0.5},{0.4,1}}')$$),
            '22023: invalid value for argument "matrix": element (1, 2) = 0.5 differs from its transpose 0.4', 'nearest_correlation: not symmetric');
SELECT alike(pg_temp.err($$SELECT portmargin.nearest_correlation('{{1,2},{2,1}}')$$),
            '22023: invalid value for argument "matrix": element (1, 2) is 2; the elements must be in [-1, 1]', 'nearest_correlation: element outside [-1, 1]');
SELECT alike(pg_temp.err($$SELECT portmargin.nearest_correlation('{{1,NaN},{NaN,1}}')$$),
            '22023: invalid value for argument "matrix": element 2 is NaN', 'nearest_correlation: NaN');
SELECT alike(pg_temp.err($$SELECT portmargin.nearest_correlation('{{1,1,0},{1,1,1},{0,1,1}}', 0)$$),
            '22023: invalid value for argument "tolerance": 0', 'nearest_correlation: tolerance 0');
SELECT alike(pg_temp.err($$SELECT portmargin.nearest_correlation('{{1,1,0},{1,1,1},{0,1,1}}', max_iterations => 0)$$),
            '22023: invalid value for argument "max_iterations": 0', 'nearest_correlation: max_iterations 0');
SELECT alike(pg_temp.err($$SELECT portmargin.nearest_correlation('{{1,1,0},{1,1,1},{0,1,1}}', 1e-12, 2)$$),
            '22023: invalid value for argument "max_iterations": 2 iterations did not reach tolerance 1e-12', 'nearest_correlation: no convergence is an error, not a silent answer');
SELECT alike(pg_temp.err($$SELECT portmargin.nearest_correlation(array_fill(0::float8, '{201,201}'))$$),
            '22023: invalid value for argument "matrix": a 201 x 201 matrix; at most 200 x 200 is repaired', 'nearest_correlation: at most 200 x 200 (a cancel must not wait on GSL)');
SELECT alike(pg_temp.err($$SELECT portmargin.estimate_correlation(array_agg('u' || u), array_agg(date '2025-01-01' + d), array_agg(1 + d + u::float8))
                           FROM generate_series(1, 401) u, generate_series(0, 2) d$$),
            '22023: invalid value for argument "underlyings": 401 underlyings; at most 400 are estimated at once', 'estimate_correlation: at most 400 underlyings');
SELECT is(portmargin.nearest_correlation(NULL), NULL, 'nearest_correlation is STRICT');

-- a 1 x 1 matrix: [1] is the only correlation matrix (found by the fuzzer: GSL's eigensolver refuses a 1 x 1 problem)
SELECT is(portmargin.nearest_correlation('{-0.0035}'), '{{1}}'::float8[], 'a 1 x 1 matrix repairs to [1]');
SELECT * FROM finish();
ROLLBACK;
