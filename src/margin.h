/*
 * margin.h
 *	  Folded risk units and the margin result (pure numeric code): from
 *	  per-unit scenario P&L and position summaries to the account
 *	  requirement.  The steps every method shares are in margin.c, each
 *	  method's own rules in its method file (method.h); the aggregate that
 *	  folds positions into units is in margin_agg.c.
 */
#ifndef PORTMARGIN_MARGIN_H
#define PORTMARGIN_MARGIN_H

#include <stddef.h>

#include "riskarray.h"

/*
 * Sums per expiry and per (expiry, strike), three doubles each:
 *   expiry buckets  key t; value = net delta in underlying units;
 *                   x = the expiry's forward (the first row's; not a key)
 *   strike buckets  key (t, x = strike); value = net option quantity
 *                   (contracts x multiplier)
 * keyed_x says whether x is part of the key.  Small sets are searched
 * linearly; from PM_BUCKET_LINEAR buckets on, slots is an open-addressing
 * index into b[], built on demand (NULL after a copy or a growth).
 */
#define PM_BUCKET_LINEAR 12

typedef struct PmBucket
{
	double		t;
	double		x;
	double		value;
} PmBucket;

typedef struct PmBucketSet
{
	int			n;
	int			max;
	int			keyed_x;
	unsigned int mask;
	PmBucket   *b;
	int		   *slots;
} PmBucketSet;

/* the positions of one underlying and settlement, folded */
typedef struct PmUnit
{
	char	   *underlying;
	int			inverse;
	double		index_price;	/* 0 when no row carried one */
	double		max_forward;	/* highest forward of the unit's rows */
	double		option_value;	/* net option value, unit currency */
	double		short_options;	/* contracts short */
	double		option_contracts;	/* |contracts| x multiplier */
	double		long_futures;	/* size, underlying units */
	double		short_futures;
	double		gross_notional; /* linear: USD; inverse: coin */
	double	   *pnl;			/* one per scenario, unit currency */
	PmBucketSet expiries;		/* t: net delta, forward */
	PmBucketSet strikes;		/* (t, strike): net option quantity */
} PmUnit;

typedef struct PmMarginResult
{
	int			fx_to_usd;		/* amounts converted to USD (mixed currencies) */
	double		initial;
	double		maintenance;
	double		scan;
	double		short_option_minimum;
	double		net_option_value;
	double		per_contract_minimum;
	double		option_contingency;
	double		futures_contingency;
	double		roll_shock;
	double		basis_risk;
	double		minimum_charge;
	double		cross_offset;
	double		var;			/* var method: main group's VaR and ES */
	double		es;
	double		floor_statistic;	/* var method: the floor group's statistic; NAN if none */
	double		apc_buffer;		/* var method: buffer added on top */
	double		worst_quantile; /* the worst scenario is this quantile of the P&L; NAN if not one */
	int			worst_scenario; /* 0-based; -1 when none */
	int			worst_unit;		/* index into units; -1 when none */
	double	   *unit_margin;	/* [nunits], report currency */
	double	   *pnl;			/* [nscen], report currency */
	double	   *work;			/* var method: 4 nscen doubles of scratch (from alloc) */
	int		   *tail;			/* var method: nscen ints of scratch (from alloc) */
	/* lent by the caller: memory for scratch, freed with the caller's */
	void	   *(*alloc) (size_t size);
	/* called now and then in long loops (e.g. to check for interrupts); may be NULL */
	void		(*tick) (void *);
	void	   *tick_arg;
	int			tail_status;	/* var method: PM_TAIL_OK, else pm_tail's complaint ... */
	int			tail_scenario;	/* ... about this scenario (-1: none) */
} PmMarginResult;

struct PmSetView;

/*
 * Apply the rules of set's method (method.h) to units[0..nunits), which may
 * be none.  r->unit_margin and r->pnl must point to arrays of nunits and
 * set->nscen doubles, r->alloc, r->tick and r->tick_arg be set.
 */
extern void pm_margin_finalize(const struct PmSetView *set, const PmUnit *units, int nunits,
							   PmMarginResult *r);

/* roll shock (Deribit) or basis risk (OKX): sum_e |delta_e| x max(min_move, rate t_e), unit currency */
extern double pm_expiry_charge(const PmUnit *unit, double annual_rate, double min_move);

/* what one unit currency is worth in the report currency */
static inline double
pm_unit_fx(const PmMarginResult *r, const PmUnit *unit)
{
	return r->fx_to_usd && unit->inverse ? unit->index_price : 1.0;
}

#endif							/* PORTMARGIN_MARGIN_H */
