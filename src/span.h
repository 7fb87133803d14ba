/*
 * span.h
 *	  CME SPAN from published risk arrays (pure numeric code: no PostgreSQL
 *	  headers): an account's positions folded per combined commodity and
 *	  contract month (PmSpanHolding), the combined commodities' published
 *	  parameters (PmSpanParams: tiers, intra-commodity spreads, delivery
 *	  month charges, short option minimum, inter-commodity spreads, account
 *	  type ratios), and the SPAN algorithm over them (pm_span_margin).
 *	  span.c computes; span_sql.c is the SQL glue; span_file.c reads CME's
 *	  risk parameter file.  doc/span.md cites the published method.
 */
#ifndef PORTMARGIN_SPAN_H
#define PORTMARGIN_SPAN_H

#include <stdbool.h>
#include <stddef.h>

#define PM_SPAN_NSCEN 16
#define PM_SPAN_MAX_INTRA_LEGS 8
#define PM_SPAN_MAX_INTER_LEGS 4

/* account types: the ratio or factor column of the file that applies */
#define PM_SPAN_MEMBER 0
#define PM_SPAN_HEDGER 1		/* also non-HRP */
#define PM_SPAN_SPECULATOR 2	/* also HRP */

/* a contract month CCYYMM */
static inline bool
pm_span_valid_month(int m)
{
	return m >= 100001 && m <= 999912 && m % 100 >= 1 && m % 100 <= 12;
}

/* ---- an account's positions, folded ---- */

/* one contract month of a combined commodity: sums over its positions */
typedef struct PmSpanMonth
{
	int			month;			/* CCYYMM: the future's, or the option's underlying future's */
	double		delta;			/* sum of quantity x composite delta */
	double		array[PM_SPAN_NSCEN];	/* sum of quantity x published array value */
} PmSpanMonth;

/* one combined commodity of an account */
typedef struct PmSpanHolding
{
	char	   *cc;
	int			cc_len;
	double		option_value;	/* sum of quantity x option value (premium-style options) */
	double		short_calls;	/* contracts short */
	double		short_puts;
	int			nmonths;
	int			maxmonths;
	PmSpanMonth *months;
	/*
	 * NULL: the scan arrays are the months' arrays summed per scan tier.
	 * Else the arrays already summed per scan tier of the commodity's
	 * parameters ([nscan_tiers + 1][16], the last: months in no tier), and
	 * the months' arrays are not read.
	 */
	const double *scan_arrays;
} PmSpanHolding;

/* ---- published parameters ---- */

typedef struct PmSpanTier
{
	int			tier;
	int			start;			/* CCYYMM, inclusive; 0 = open */
	int			end;			/* CCYYMM, inclusive; 0 = open */
} PmSpanTier;

typedef struct PmSpanIntraSpread
{
	int			priority;
	int			seq;			/* position in the file: breaks priority ties */
	double		rate;			/* charge per spread, performance-bond currency */
	int			nlegs;
	int			tier[PM_SPAN_MAX_INTRA_LEGS];	/* tier numbers */
	double		ratio[PM_SPAN_MAX_INTRA_LEGS];	/* delta per spread */
	char		side[PM_SPAN_MAX_INTRA_LEGS];	/* 'A' or 'B' */
} PmSpanIntraSpread;

typedef struct PmSpanSpotMonth
{
	int			month;
	double		rate_consumed;	/* per delta of the month consumed by intra spreads */
	double		rate_remaining; /* per delta left in outrights */
} PmSpanSpotMonth;

/* WFPR methods (the S record, CME's "Combined Commodities" page) */
#define PM_SPAN_WFPR_NORMAL 1	/* price risk / |net delta| */
#define PM_SPAN_WFPR_CAPPED 2	/* the same, at most the price scan range */
#define PM_SPAN_WFPR_SCANRANGE 3	/* the price scan range */

typedef struct PmSpanCc
{
	char	   *cc;
	char	   *currency;
	bool		premium_options;	/* option margin style P: options count in net option value */
	bool		limit_option_value; /* its net option value offsets its own risk only */
	int			wfpr_method;
	double		price_scan_range;	/* per contract; NAN when the file gives none */
	double		som_rate;		/* per short option contract */
	int			som_method;		/* 1: max(short calls, short puts); 2: their sum */
	double		maintenance_factor[3];	/* per account type */
	double		initial_ratio[3];
	int			nscan_tiers;
	PmSpanTier *scan_tiers;		/* none: the commodity is scanned whole */
	int			nintra_tiers;
	PmSpanTier *intra_tiers;
	int			nintra;
	PmSpanIntraSpread *intra;	/* by priority */
	int			nspot;
	PmSpanSpotMonth *spot;
} PmSpanCc;

typedef struct PmSpanInterSpread
{
	int			priority;
	int			seq;			/* position in the file: breaks priority ties */
	double		rate;			/* credit rate, a fraction (the file's percent / 100) */
	int			nlegs;
	int			cc[PM_SPAN_MAX_INTER_LEGS];	/* indices into PmSpanParams.cc */
	double		ratio[PM_SPAN_MAX_INTER_LEGS];	/* delta per spread */
	char		side[PM_SPAN_MAX_INTER_LEGS];	/* 'A' or 'B' */
	bool		required[PM_SPAN_MAX_INTER_LEGS];
} PmSpanInterSpread;

typedef struct PmSpanParams
{
	int			ncc;
	PmSpanCc   *cc;				/* sorted by name */
	int			ninter;
	PmSpanInterSpread *inter;	/* by priority */
} PmSpanParams;

/* ---- the result ---- */

typedef struct PmSpanCcResult
{
	int			cc;				/* index into PmSpanParams.cc */
	double		scan;			/* scan risk, summed over scan tiers */
	double		price_risk;		/* its price part (scan - time - volatility risk) */
	double		net_delta;		/* before any spread */
	double		wfpr;			/* weighted futures price risk */
	double		intra;			/* intra-commodity spread charge */
	double		spot;			/* delivery (spot) month charge */
	double		inter;			/* inter-commodity spread credit */
	double		som;			/* short option minimum */
	double		risk;			/* max(scan + intra + spot - inter, som) */
	double		maintenance;	/* risk x the maintenance factor */
	double		initial;		/* risk x the initial ratio */
	double		option_value;	/* net option value */
	int			worst_scenario; /* 0-based, of a commodity scanned whole; -1 otherwise */
} PmSpanCcResult;

/* pm_span_margin's complaints */
#define PM_SPAN_OK 0
#define PM_SPAN_UNKNOWN_CC 1	/* holding *bad is of a combined commodity the parameters lack */
#define PM_SPAN_CURRENCIES 2	/* holding *bad's currency differs from holding 0's */

/*
 * The SPAN requirement of holdings h[0..nh) under p for an account type
 * (PM_SPAN_*): out[i] for holding i; *maintenance and *initial the
 * account's, net option value deducted; *inter the total credit.  work is
 * scratch from the caller (pm_span_work_size(p, h, nh) bytes).  Returns
 * PM_SPAN_OK or a complaint with *bad the holding it is about.
 */
extern size_t pm_span_work_size(const PmSpanParams *p, const PmSpanHolding *h, int nh);
extern int	pm_span_margin(const PmSpanParams *p, const PmSpanHolding *h, int nh, int account_type,
						   void *work, PmSpanCcResult *out, double *maintenance, double *initial,
						   double *inter, int *bad);

/* the index of the tier of tiers t[0..n) that month lies in, or n when none */
extern int	pm_span_tier_of(const PmSpanTier *t, int n, int month);

/* the index of the tier numbered tn in t[0..n), or -1 */
extern int	pm_span_tier_index(const PmSpanTier *t, int n, int tn);

/* the index of combined commodity cc (len bytes) in p, or -1 */
extern int	pm_span_find_cc(const PmSpanParams *p, const char *cc, int len);

#endif							/* PORTMARGIN_SPAN_H */
