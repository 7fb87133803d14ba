#!/usr/bin/python3
"""
bench/var_numpy.py -- the numpy peer of bench/var.sql's Monte Carlo ES
margin: what a user writes without portmargin.  Run by bench/var.sh after
var.sql, against the same database (psql from PATH, PG* environment).

1. Export (timed): COPY the positions, the instruments and the joint set's
   moves (portmargin.joint_moves of the stored 'mc' set) out of the
   database as CSV and parse them into numpy arrays.
2. Compute (timed, `runs` times):
   * revaluation, each instrument once under its underlying's column of
     moves, with the semantics of portmargin's joint sets (doc/var.md, "The
     var method of the aggregate"; doc/scenarios.md, "risk_array";
     src/riskarray.c): F_j = F (1 + m_j); option P&L = multiplier x
     (V(F_j) - V(F)), V the undiscounted Black-76 value with the
     instrument's own vol and t (no vol shifts in this set, no look-ahead
     outside SPAN); linear future P&L = multiplier x F x m_j;
   * the account x instrument quantity matrix times the instrument x
     scenario P&L matrix (one BLAS product);
   * per account, the tail with np.partition: N beta = 100,000 x 0.01 =
     1,000 (snapped to the integer, as portmargin does), VaR the 1,001st
     largest loss, ES = (sum of the 1,000 largest + (N beta - 1,000) VaR) /
     N beta; margin = max(0, ES).
3. Check: every account's margin equals portmargin's (var_out_mc, written
   by var.sql) to 1e-9 relative.
4. Print export and compute times (median, min, max) and the ratio of
   portmargin's median time for the same query (var_timing) to numpy's
   median compute time.

Single-threaded: OPENBLAS_NUM_THREADS=1 and OMP_NUM_THREADS=1 are set
before numpy is imported (bench/var.sh sets them too).
"""
import io
import math
import os
import subprocess
import sys
import time

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('MKL_NUM_THREADS', '1')

import numpy as np  # noqa: E402
from scipy.special import ndtr  # noqa: E402

CONFIDENCE = 0.99


def psql_copy(query):
    out = subprocess.run(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c',
                          f'COPY ({query}) TO STDOUT (FORMAT csv)'],
                         check=True, stdout=subprocess.PIPE).stdout
    return out.decode()


def psql_value(query):
    return subprocess.run(['psql', '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c', query],
                          check=True, stdout=subprocess.PIPE).stdout.decode().strip()


def export():
    pos = np.loadtxt(io.StringIO(psql_copy(
        'SELECT account_id, instrument_id, quantity FROM var_positions')), delimiter=',')
    ins_rows = [line.split(',') for line in psql_copy(
        "SELECT instrument_id, u, kind, coalesce(otype, ''), coalesce(strike, 0), t, forward, coalesce(vol, 0) "
        'FROM var_instruments ORDER BY instrument_id').splitlines()]
    moves_csv = psql_copy("SELECT idx, underlying, price_move FROM portmargin.joint_moves("
                          "(SELECT s FROM var_sets WHERE name = 'mc')) ORDER BY idx, underlying")
    und = sorted({r[1] for r in ins_rows})
    col = {u: i for i, u in enumerate(und)}
    mv = np.loadtxt(io.StringIO(moves_csv), delimiter=',', usecols=(0, 2))
    names = [line.split(',')[1] for line in moves_csv.splitlines()[:len(und)]]
    if names != und:
        raise SystemExit(f'unexpected column order {names}')
    S = int(mv[-1, 0])
    moves = mv[:, 1].reshape(S, len(und)).T.copy()     # underlying x scenario
    ins = {
        'id': np.array([int(r[0]) for r in ins_rows]),
        'col': np.array([col[r[1]] for r in ins_rows]),
        'option': np.array([r[2] == 'option' for r in ins_rows]),
        'call': np.array([r[3] == 'call' for r in ins_rows]),
        'strike': np.array([float(r[4]) for r in ins_rows]),
        't': np.array([float(r[5]) for r in ins_rows]),
        'forward': np.array([float(r[6]) for r in ins_rows]),
        'vol': np.array([float(r[7]) for r in ins_rows]),
    }
    return pos, ins, moves


def black76(call, F, K, s):
    """undiscounted Black-76 value; s = vol sqrt(t) > 0"""
    d1 = np.log(F / K) / s + 0.5 * s
    d2 = d1 - s
    if call:
        return F * ndtr(d1) - K * ndtr(d2)
    return K * ndtr(-d2) - F * ndtr(-d1)


def compute(pos, ins, moves):
    I = len(ins['id'])
    S = moves.shape[1]
    # revaluation: one P&L row per instrument
    pnl = np.empty((I, S))
    for i in range(I):
        m = moves[ins['col'][i]]
        F = ins['forward'][i]
        if ins['option'][i]:
            K, s = ins['strike'][i], ins['vol'][i] * math.sqrt(ins['t'][i])
            v0 = black76(ins['call'][i], np.array([F]), K, s)[0]
            pnl[i] = black76(ins['call'][i], F * (1.0 + m), K, s) - v0
        else:
            pnl[i] = F * m
    # account x instrument quantities, times the P&L matrix
    accounts, acc_idx = np.unique(pos[:, 0].astype(np.int64), return_inverse=True)
    row = np.searchsorted(ins['id'], pos[:, 1].astype(np.int64))
    Q = np.zeros((len(accounts), I))
    np.add.at(Q, (acc_idx, row), pos[:, 2])
    loss = -(Q @ pnl)
    # the tail
    nb = S * (1.0 - CONFIDENCE)
    r = round(nb)
    if r >= 1 and abs(nb - r) <= 1e-9 * nb:
        nb = float(r)
    k = min(math.floor(nb) + 1, S)
    top = np.partition(loss, S - k, axis=1)[:, S - k:]
    var = top.min(axis=1)
    es = (top.sum(axis=1) - var + (nb - (k - 1)) * var) / nb
    return accounts, np.maximum(es, 0.0)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    t0 = time.perf_counter()
    pos, ins, moves = export()
    export_ms = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        accounts, margin = compute(pos, ins, moves)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    med = times[len(times) // 2] if runs % 2 else 0.5 * (times[runs // 2 - 1] + times[runs // 2])

    pm = dict((int(a), float(m)) for a, m in (line.split('|') for line in psql_value(
        'SELECT account_id, initial_margin FROM var_out_mc ORDER BY account_id').splitlines()))
    worst = max(abs(margin[i] - pm[int(a)]) / max(1.0, abs(pm[int(a)])) for i, a in enumerate(accounts))
    equal = sum(abs(margin[i] - pm[int(a)]) <= 1e-9 * max(1.0, abs(pm[int(a)])) for i, a in enumerate(accounts))
    pm_ms = float(psql_value("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM var_timing "
                             "WHERE what LIKE 'ES 99%% account margin, mc set%%'"))
    pm_min = float(psql_value("SELECT min(ms) FROM var_timing WHERE what LIKE 'ES 99%% account margin, mc set%%'"))

    print('== numpy peer (bench/var_numpy.py): numpy %s, BLAS %s, OPENBLAS_NUM_THREADS=%s OMP_NUM_THREADS=%s'
          % (np.__version__, blas_name(), os.environ.get('OPENBLAS_NUM_THREADS'), os.environ.get('OMP_NUM_THREADS')))
    print('data: %d positions, %d instruments, %d accounts, %d scenarios x %d underlyings'
          % (len(pos), len(ins['id']), len(accounts), moves.shape[1], moves.shape[0]))
    print('export (COPY to CSV, parse into arrays): %.1f ms' % export_ms)
    print('compute (revaluation, matrix product, np.partition), %d runs: median %.1f ms, min %.1f, max %.1f'
          % (runs, med, times[0], times[-1]))
    print('check: %d of %d accounts equal portmargin\'s margin to 1e-9 relative (worst %.2e)'
          % (equal, len(accounts), worst))
    print('portmargin ES margin, same set: median %.1f ms, min %.1f' % (pm_ms, pm_min))
    print('ratio portmargin / numpy compute (medians): %.3f   (target <= 0.8: %s)'
          % (pm_ms / med, 'met' if pm_ms / med <= 0.8 else 'NOT met'))
    print('ratio portmargin / (numpy export + compute): %.3f' % (pm_ms / (med + export_ms)))
    if equal != len(accounts):
        sys.exit(1)


def blas_name():
    """the BLAS library numpy loaded (from /proc/self/maps)"""
    try:
        with open('/proc/self/maps') as f:
            libs = sorted({line.split()[-1] for line in f if 'blas' in line.lower() and '/' in line})
        return ', '.join(libs) or 'unknown'
    except OSError:
        return 'unknown'


if __name__ == '__main__':
    main()
