/*
 * var_tail.c
 *	  The tail of a VaR / ES margin as a list, and per-position Euler
 *	  contributions over it (pure numeric code; var_tail.h).  The tail is
 *	  pm_tail's (tailstat.c); this file only picks the binding group as
 *	  method_var.c does and scales the weights for listing.
 */
#include "compensated.h"
#include "var_tail.h"

#include <math.h>
#include <string.h>

static inline void
tick_every(long i, void (*tick) (void *), void *tick_arg)
{
	if ((i & 0xFFFF) == 0 && tick)
		tick(tick_arg);
}

/* one group (offset, m): pm_tail with the group's weights, as method_var.c's group_statistic */
static PmTailStatus
group_tail(const double *pnl, const double *weights, int offset, int m, int detect_equal, double alpha,
		   PmTail *t, double *work, int *itail, int *equal, void (*tick) (void *), void *tick_arg)
{
	/* work: pm_tail's 2n, then the tail weights (n), then the group's weights (n) */
	double	   *tail_weight = work + 2 * (size_t) m,
			   *probs = work + 3 * (size_t) m;
	int			i;

	*equal = weights == NULL;
	if (weights && detect_equal)
	{
		*equal = 1;
		for (i = 1; i < m && *equal; i++)
		{
			*equal = weights[offset + i] == weights[offset];
			tick_every(i, tick, tick_arg);
		}
	}
	if (!*equal)
		memcpy(probs, weights + offset, sizeof(double) * m);
	return pm_tail(pnl + offset, *equal ? NULL : probs, m, alpha, t, tail_weight, itail, work, tick, tick_arg);
}

void
pm_set_tail(const double *pnl, const double *weights, int n, int detect_equal, double alpha, int es,
			int floor_count, double buffer, PmSetTail *r, double *work, int *itail,
			void (*tick) (void *), void *tick_arg)
{
	int			S0 = n - floor_count;
	PmTail		tm,
				tf;
	double		stat_m,
				stat_f = -INFINITY,
				beta = 1.0 - alpha;
	int			eq_m,
				eq_f = 1,
				offset,
				m,
				equal,
				i;
	PmTail	   *t;

	r->ntail = 0;
	r->status = PM_TAIL_OK;
	r->bad_scenario = -1;
	r->statistic = r->margin = 0.0;
	r->use_floor = 0;
	r->var_scenario = -1;

	/* the main group; then the floor group, each computed in its own pass (the work areas are reused) */
	r->status = group_tail(pnl, weights, 0, S0, detect_equal, alpha, &tm, work, itail,
						   &eq_m, tick, tick_arg);
	if (r->status != PM_TAIL_OK)
	{
		r->bad_scenario = tm.var_index >= 0 ? tm.var_index : -1;
		return;
	}
	stat_m = es ? tm.es : tm.var;
	if (floor_count > 0)
	{
		r->status = group_tail(pnl, weights, S0, floor_count, detect_equal, alpha, &tf, work, itail, &eq_f, tick, tick_arg);
		if (r->status != PM_TAIL_OK)
		{
			r->bad_scenario = tf.var_index >= 0 ? S0 + tf.var_index : -1;
			return;
		}
		stat_f = es ? tf.es : tf.var;
	}
	r->use_floor = floor_count > 0 && stat_f > stat_m;
	if (r->use_floor)
	{
		offset = S0;
		m = floor_count;
		t = &tf;
		equal = eq_f;
	}
	else
	{
		offset = 0;
		m = S0;
		t = &tm;
		equal = eq_m;
		if (floor_count > 0)
		{
			/* the main group's tail again (the floor group's pass overwrote the work areas) */
			r->status = group_tail(pnl, weights, 0, S0, detect_equal, alpha, &tm, work, itail, &eq_m, tick, tick_arg);
			if (r->status != PM_TAIL_OK)
				return;			/* cannot happen: it succeeded before */
		}
	}
	r->statistic = es ? t->es : t->var;
	r->margin = fmax(0.0, r->statistic) * (1.0 + buffer);
	r->var_scenario = offset + t->var_index;

	if (!es)
	{
		r->ntail = 1;
		r->tail[0] = r->var_scenario;
		r->weight[0] = 1.0;
		r->share[0] = 1.0;
		return;
	}
	{
		const double *tw = work + 2 * (size_t) m;	/* the group's tail weights, by scenario within the group */
		double		c = weights ? weights[offset] : 1.0,
					boundary = 0.0,
					total = 0.0;

		if (equal)
			boundary = c * (pm_tail_equal_count(m, alpha) - (t->ntail - 1));
		else
		{
			PmSum		w = {0.0, 0.0};

			for (i = 0; i < m; i++)
			{
				tick_every(i, tick, tick_arg);
				pm_sum_add(&w, weights[offset + i]);
			}
			total = w.s + w.c;
			boundary = tw[t->var_index] * beta * total;
		}
		for (i = 0; i < t->ntail; i++)
		{
			int			s = itail[i];	/* within the group */

			tick_every(i, tick, tick_arg);
			r->tail[i] = offset + s;
			r->share[i] = tw[s];
			if (s == t->var_index)
				r->weight[i] = boundary;
			else
				r->weight[i] = equal ? c : weights[offset + s];
		}
		r->ntail = t->ntail;
	}
}

void
pm_position_contributions(const double *rows, const double *q, int k, int n, const PmSetTail *r,
						  double buffer, double *contribution, void (*tick) (void *), void *tick_arg)
{
	long		work = 0;
	int			i,
				j;

	for (i = 0; i < k; i++)
	{
		const double *row = rows + (size_t) i * n;
		double		qi = q ? q[i] : 1.0;
		PmSum		c = {0.0, 0.0};

		if (r->margin > 0.0)
			for (j = 0; j < r->ntail; j++)
			{
				pm_sum_add(&c, -r->share[j] * (row[r->tail[j]] * qi));
				if (++work >= 65536)
				{
					work = 0;
					if (tick)
						tick(tick_arg);
				}
			}
		contribution[i] = (c.s + c.c) * (1.0 + buffer);
	}
}
