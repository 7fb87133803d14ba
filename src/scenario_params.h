/*
 * scenario_params.h
 *	  Where each margin method keeps its parameters in a scenario set's
 *	  parameter array (pure numeric code; shared by scenario.c, which builds
 *	  sets, and margin.c, which applies the methods).
 */
#ifndef PORTMARGIN_SCENARIO_PARAMS_H
#define PORTMARGIN_SCENARIO_PARAMS_H

/* scenarios a set may have: a joint (var) set, any other */
#define PM_MAX_SCENARIOS 10000
#define PM_MAX_JOINT_SCENARIOS 10000000

/* span */
#define PM_P_SPAN_PSR 0
#define PM_P_SPAN_VSR 1
#define PM_P_SPAN_EXTREME 2
#define PM_P_SPAN_COVER 3
#define PM_P_SPAN_SOM 4
#define PM_P_SPAN_LOOKAHEAD 5
#define PM_P_SPAN_IM_RATIO 6
#define PM_P_SPAN_N 7
/* tims */
#define PM_P_TIMS_DOWN 0
#define PM_P_TIMS_UP 1
#define PM_P_TIMS_POINTS 2
#define PM_P_TIMS_PCM 3
#define PM_P_TIMS_VOL_DOWN 4
#define PM_P_TIMS_VOL_UP 5
#define PM_P_TIMS_N 6
/* deribit; extended moves follow as [count, moves...] */
#define PM_P_DB_RANGE 0
#define PM_P_DB_BUCKETS 1
#define PM_P_DB_VOL_UP 2
#define PM_P_DB_VOL_DOWN 3
#define PM_P_DB_SHORT_POWER 4
#define PM_P_DB_LONG_POWER 5
#define PM_P_DB_DTE_FLOOR 6
#define PM_P_DB_EXT_FACTOR 7
#define PM_P_DB_OPT_CONT 8
#define PM_P_DB_FUT_CONT 9
#define PM_P_DB_ROLL_RISK 10
#define PM_P_DB_ROLL_MIN 11
#define PM_P_DB_PNL_OFFSET 12
#define PM_P_DB_MAX_OFFSET 13
#define PM_P_DB_MM_FACTOR 14
#define PM_P_DB_NEXT 15
/*
 * 0.4.0's parameters, after the extended moves (offsets from
 * PM_P_DB_NEXT + 1 + count): stored only when one differs from its default,
 * so a 0.3.x set (without them) reads back with the defaults and its bytes
 * are what the constructor builds today
 */
#define PM_P_DB_T_MIN_VOL_UP 0
#define PM_P_DB_T_MMP_RATE 1
#define PM_P_DB_T_N 2
/*
 * okx; then [nmoves, moves..., ntiers, tiers..., multipliers...], then (0.4.0)
 * [next, basis_minimum, borrowing_mmr_rate, borrowing_imr_rate] with next =
 * PM_P_OKX_NEXT, present only when one of them is not its default; a set
 * without it (0.3.x's, or 0.4.0's at the defaults) reads as if they had
 * their defaults (pm_okx_ext_p)
 */
#define PM_P_OKX_VOL_UP 0
#define PM_P_OKX_VOL_DOWN 1
#define PM_P_OKX_EXTREME 2
#define PM_P_OKX_EXTREME_FRACTION 3
#define PM_P_OKX_BASIS 4
#define PM_P_OKX_MR7_RATE 5
#define PM_P_OKX_IMR_RATIO 6
#define PM_P_OKX_NMOVES 7
#define PM_P_OKX_EXT_BASIS_MIN 0	/* offsets in the 0.4.0 tail */
#define PM_P_OKX_EXT_BORROW_MMR 1
#define PM_P_OKX_EXT_BORROW_IMR 2
#define PM_P_OKX_NEXT 3
/* grid: the arrays are the scenarios themselves */
#define PM_P_GRID_RELATIVE 0
#define PM_P_GRID_IM_RATIO 1
#define PM_P_GRID_MM_RATIO 2
#define PM_P_GRID_N 3

/*
 * var (joint scenarios): then the moves, nscenarios x nunderlyings
 * (scenario-major), then as many volatility shifts when has_vols; the
 * underlying names follow the scenarios (scenario.h).  PM_P_VAR_HASH holds
 * the bits of a 64-bit hash of the whole set, computed when it is built
 * (pm_var_seal), so that the aggregate tells sets of megabytes apart
 * without comparing them byte by byte on every row.  In a margin state the
 * set is reduced: nunderlyings = 0, no moves or names.  One more parameter
 * after the shifts, present only when not 0 (0.4.0; a set without it ages
 * nothing), holds the ageing in days (pm_var_ageing_days_p).
 */
#define PM_P_VAR_CONFIDENCE 0
#define PM_P_VAR_STATISTIC 1	/* 0 VaR, 1 expected shortfall */
#define PM_P_VAR_BUFFER 2
#define PM_P_VAR_VOL_RELATIVE 3
#define PM_P_VAR_FLOOR_COUNT 4	/* the last floor_count scenarios form the floor group */
#define PM_P_VAR_NUND 5
#define PM_P_VAR_HAS_VOLS 6
#define PM_P_VAR_HASH 7		/* raw bits, not a number */
#define PM_P_VAR_N 8

/* the parameters of a joint set before its ageing: the tail parameters, moves and shifts */
static inline double
pm_var_base_count_p(const double *p, int nscen)
{
	return PM_P_VAR_N + (double) nscen * p[PM_P_VAR_NUND] * (1.0 + p[PM_P_VAR_HAS_VOLS]);
}

/* days (act/365) by which a joint set's options age over its horizon; 0 when it has no ageing */
static inline double
pm_var_ageing_days_p(const double *p, int nparams, int nscen)
{
	double		base = pm_var_base_count_p(p, nscen);

	return (double) nparams > base ? p[(size_t) base] : 0.0;
}

/* OKX minimum-charge tiers, stored after the spot moves */
static inline int
pm_okx_ntiers_p(const double *p)
{
	return (int) p[PM_P_OKX_NMOVES + 1 + (int) p[PM_P_OKX_NMOVES]];
}

static inline const double *
pm_okx_tiers_p(const double *p)
{
	return p + PM_P_OKX_NMOVES + 2 + (int) p[PM_P_OKX_NMOVES];
}

/* where the 0.4.0 tail starts: after the multipliers */
static inline int
pm_okx_base_count_p(const double *p)
{
	return PM_P_OKX_NMOVES + 2 + (int) p[PM_P_OKX_NMOVES] + 2 * pm_okx_ntiers_p(p);
}

/*
 * the 0.4.0 tail's value k (PM_P_OKX_EXT_*), or dflt for a 0.3.x set that has
 * none (np = the set's parameter count)
 */
static inline double
pm_okx_ext_p(const double *p, int np, int k, double dflt)
{
	int			base = pm_okx_base_count_p(p);

	return np > base + 1 + k ? p[base + 1 + k] : dflt;
}

#endif							/* PORTMARGIN_SCENARIO_PARAMS_H */
