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

#define PM_SIDE_POSITIONS 0
#define PM_SIDE_BUY 1
#define PM_SIDE_SELL 2

/* the positions of one underlying and settlement, folded */
typedef struct PmUnit
{
	char	   *underlying;
	int			name_len;		/* strlen(underlying) */
	int			inverse;
	double		index_price;	/* 0 when no row carried one */
	double		max_forward;	/* highest forward of the unit's rows */
	double		option_value;	/* net option value, unit currency */
	double		short_options;	/* contracts short */
	double		option_contracts;	/* |contracts| x multiplier */
	double		long_futures;	/* size, underlying units */
	double		short_futures;
	double		gross_notional; /* linear: USD; inverse: coin */
	/* account-level inputs carried by rows of their own kinds (0 when none): */
	double		mmp_size;		/* Deribit MMP: max(max quote quantity, quantity limit), underlying units */
	double		liability;		/* OKX MR8: amount borrowed, in the unit's currency (its underlying) */
	/*
	 * The unit's resting orders (kind 'order:...'), folded like positions:
	 * all its buy orders, all its sell orders; NULL when none.  Set at
	 * finalisation (the aggregate keeps them as units of side 1 and 2).
	 */
	const struct PmUnit *buy_orders;
	const struct PmUnit *sell_orders;
	int			side;			/* in the aggregate's state: 0 positions, PM_SIDE_BUY / PM_SIDE_SELL orders */
	int			nscen;			/* length of pnl: the scenario count of the unit's set */
	int			rule;			/* in the aggregate: the index of the unit's rule in its rulebook (0 without one) */
	double	   *pnl;			/* one per scenario, unit currency */
	PmBucketSet expiries;		/* t: net delta, forward */
	PmBucketSet strikes;		/* (t, strike): net option quantity */
} PmUnit;

/*
 * Per-unit components of the requirement, in the unit's own currency (coin
 * for an inverse unit), NAN where the unit's method has none: the breakdown a
 * BI tool reads per account and risk unit (the margin type's units field).
 */
typedef enum PmComponent
{
	PM_COMP_INITIAL,			/* the unit's initial margin */
	PM_COMP_MAINTENANCE,		/* and maintenance margin */
	PM_COMP_SCAN,				/* worst weighted scenario loss (SPAN scan risk, Deribit worst case, OKX MR1) */
	PM_COMP_SHORT_OPTION_MINIMUM,	/* SPAN */
	PM_COMP_NET_OPTION_VALUE,	/* value of the unit's options */
	PM_COMP_PER_CONTRACT_MINIMUM,	/* TIMS / FINRA */
	PM_COMP_OPTION_CONTINGENCY, /* Deribit (legacy model) */
	PM_COMP_FUTURES_CONTINGENCY,	/* Deribit (legacy model) */
	PM_COMP_ROLL_SHOCK,			/* Deribit */
	PM_COMP_DELTA_SHOCK,		/* Deribit */
	PM_COMP_OPEN_ORDERS,		/* Deribit: initial margin of open orders */
	PM_COMP_MMP,				/* Deribit: market-maker protection margin */
	PM_COMP_EXTREME_MOVE,		/* OKX MR6 */
	PM_COMP_THETA_DECAY,		/* OKX MR2 */
	PM_COMP_VEGA_TERM,			/* OKX MR3 */
	PM_COMP_BASIS,				/* OKX MR4 */
	PM_COMP_INTEREST_RATE,		/* OKX MR5 */
	PM_COMP_MINIMUM_CHARGE,		/* OKX MR7 */
	PM_COMP_BORROWING,			/* OKX MR8 */
	PM_COMP_DEPEG,				/* OKX MR9 */
	PM_COMP_INTRA_SPREAD,		/* SPAN from published arrays: intra-commodity spread charge */
	PM_COMP_SPOT_MONTH,			/* ... delivery (spot) month charge */
	PM_COMP_INTER_CREDIT,		/* ... inter-commodity spread credit */
	PM_COMP_N
} PmComponent;

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
	/* [nunits]: each unit's own set (a rulebook's rule), NULL when all share the one set passed */
	const struct PmSetView *const *unit_sets;
	double	   *unit_comp;		/* [nunits][PM_COMP_N], unit currency (NULL: not wanted) */
	int		   *unit_worst;		/* [nunits]: the unit's worst scenario, -1 if none (NULL: not wanted) */
	int			cur_unit;		/* the unit whose unit_margin hook runs */
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
 * A rulebook's units, each under its own set (sets[u]): units are margined
 * in groups of one method and equal account parameters (method.h), each
 * group by its method's rules, and the groups' requirements added.  r as
 * for pm_margin_finalize; r->pnl (the account P&L per scenario) is filled
 * only when every unit has the same set, else left zero with nscen 0.
 */
extern void pm_margin_finalize_units(const struct PmSetView *const *sets, const PmUnit *units, int nunits,
									 PmMarginResult *r);

/* add src's sums (not its P&L vector or buckets) into dst: merged states, filled orders */
extern void pm_unit_add_sums(PmUnit *dst, const PmUnit *src);

/*
 * positions with orders added (a new unit from alloc): P&L vectors, sums
 * and buckets added up; orders' buy_orders / sell_orders are not followed
 */
extern PmUnit *pm_unit_with(const PmUnit *positions, const PmUnit *orders, int nscen, void *(*alloc) (size_t));

/*
 * Apply the rules of set's method (method.h) to units[0..nunits), which may
 * be none.  r->unit_margin and r->pnl must point to arrays of nunits and
 * set->nscen doubles, r->alloc, r->tick and r->tick_arg be set.
 */
extern void pm_margin_finalize(const struct PmSetView *set, const PmUnit *units, int nunits,
							   PmMarginResult *r);

/* roll shock (Deribit) or basis risk (OKX): sum_e |delta_e| x max(min_move, rate t_e), unit currency */
extern double pm_expiry_charge(const PmUnit *unit, double annual_rate, double min_move);

/* set component c of the unit whose unit_margin hook runs (or of unit u) */
static inline void
pm_unit_component(PmMarginResult *r, PmComponent c, double value)
{
	if (r->unit_comp)
		r->unit_comp[r->cur_unit * PM_COMP_N + c] = value;
}

static inline void
pm_unit_component_of(PmMarginResult *r, int u, PmComponent c, double value)
{
	if (r->unit_comp)
		r->unit_comp[u * PM_COMP_N + c] = value;
}

/* what one unit currency is worth in the report currency */
static inline double
pm_unit_fx(const PmMarginResult *r, const PmUnit *unit)
{
	return r->fx_to_usd && unit->inverse ? unit->index_price : 1.0;
}

#endif							/* PORTMARGIN_MARGIN_H */
