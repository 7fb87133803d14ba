/*
 * history_args.h
 *	  A price (or return) history given as three parallel SQL arrays
 *	  (underlyings text[], days date[], values float8[], as array_agg over a
 *	  history table gives them), checked and aligned on the days on which
 *	  every underlying has a value: the input of historical_scenarios and
 *	  estimate_correlation.
 */
#ifndef PORTMARGIN_HISTORY_ARGS_H
#define PORTMARGIN_HISTORY_ARGS_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/date.h"

typedef struct PmHistoryArgs
{
	/* pm_history_read */
	int			n;				/* observations */
	char	  **names;
	Datum	   *day_elems;
	bool	   *day_nulls;
	double	   *vals;
	const char *vals_name;
	/* pm_history_align */
	int			nund;			/* distinct underlyings */
	char	  **uniq;			/* sorted */
	int			ndays;			/* complete days */
	DateADT    *days;			/* oldest first */
	double	   *values;			/* values[d * nund + u] */
} PmHistoryArgs;

/*
 * Reads the arguments first (underlyings), first + 1 (days) and first + 2
 * (named vals_name): NULLs are 22004, an empty history and arrays of
 * different lengths 22023 naming the argument.
 */
extern void pm_history_read(FunctionCallInfo fcinfo, int first, const char *vals_name, PmHistoryArgs *h);

/*
 * Aligns what pm_history_read read: a NULL day, or a value not above
 * min_value (rule: what a value must be), is 22023 naming the argument; so
 * is an underlying with two observations on one day.  The complete days
 * (every underlying observed) become h->days / h->values, oldest first.
 */
extern void pm_history_align(PmHistoryArgs *h, double min_value, const char *rule);

#endif							/* PORTMARGIN_HISTORY_ARGS_H */
