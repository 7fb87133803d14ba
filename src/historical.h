/*
 * historical.h
 *	  Historical-simulation scenarios from aligned price or return history
 *	  (pure numeric code): one-day returns, optional filtering by EWMA
 *	  volatility (filtered historical simulation), and the margin period of
 *	  risk as overlapping h-day returns or square-root-of-time scaling.
 *
 * Conventions (doc/var.md states them with their sources):
 *   one-day return   log: r_t = ln(P_t / P_{t-1});  simple: P_t / P_{t-1} - 1
 *   EWMA (RiskMetrics Technical Document, 1996, sec. 5.2.1):
 *                    s2_1 = mean of r_t^2 over the window (zero-mean seed),
 *                    s2_{t+1} = lambda s2_t + (1 - lambda) r_t^2;
 *                    filtered r~_t = r_t sigma_now / sigma_t with
 *                    sigma_now = sqrt(s2_{T+1}) (Hull & White 1998,
 *                    "Incorporating volatility updating into the historical
 *                    simulation method for value-at-risk", J. of Risk 1)
 *   horizon h        overlapping: the h-day return ending on each day,
 *                    log sum (or simple product) of h one-day returns,
 *                    T - h + 1 scenarios;  sqrt: each one-day log return
 *                    times sqrt(h) (simple: times sqrt(h), floored at -0.99)
 *   move             log: expm1(h-day log return); simple: the return
 */
#ifndef PORTMARGIN_HISTORICAL_H
#define PORTMARGIN_HISTORICAL_H

#define PM_HIST_MIN_MOVE (-0.99)

/*
 * The loops below call pm_check_interrupts(NULL) about every
 * PM_HIST_TICK_WORK steps; the server glue defines it (sqlargs.c: a
 * pending query cancel leaves by longjmp, which is why these functions
 * allocate nothing), so this file needs no PostgreSQL headers.
 */
#define PM_HIST_TICK_WORK 65536
extern void pm_check_interrupts(void *arg);

/*
 * returns[t * nund + u] (t = 0..T-1, oldest first), one-day returns (log or
 * simple per log_returns), modified in place when ewma_lambda > 0.  Writes
 * the scenario moves to out[s * nund + u] and returns their number (T - h +
 * 1 overlapping, T with sqrt scaling; 0 if T < h).
 */
extern int	pm_hist_moves(double *returns, int T, int nund, int horizon, int log_returns,
						  int sqrt_scaling, double ewma_lambda, double *out);

/* one-day returns from prices[d * nund + u], d = 0..D-1: D - 1 rows into returns */
extern void pm_hist_returns(const double *prices, int D, int nund, int log_returns, double *returns);

#endif							/* PORTMARGIN_HISTORICAL_H */
