/*
 * tailstat.c
 *	  Value at risk and expected shortfall of scenario P&L: selection of the
 *	  tail in expected linear time, exact tie rule, compensated sums
 *	  (tailstat.h has the definitions and their sources).
 */
#include "compensated.h"
#include "tailstat.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* losses above this are scaled by 2^-128 before they are added */
#define BIG_LOSS 0x1p900
#define SMALL_RANGE 16

/* ---- interrupt ticks ---- */

typedef struct Ticker
{
	void		(*tick) (void *);
	void	   *arg;
	long		left;			/* elements of work until the next tick */
} Ticker;

/* in a loop over i: one tick per 65536 elements */
#define TICK_IN_LOOP(tk, i) \
	do { if (((i) & 0xffff) == 0xffff) ticker_work((tk), 0x10000); } while (0)

/* count n elements of work; tick when PM_TAIL_TICK_EVERY have been done */
static inline void
ticker_work(Ticker *tk, long n)
{
	tk->left -= n;
	if (tk->left <= 0)
	{
		tk->left = PM_TAIL_TICK_EVERY;
		if (tk->tick)
			tk->tick(tk->arg);
	}
}

/* ---- exact probability sums: fixed point with 100 fractional bits ---- */

typedef struct Fixed
{
	uint64_t	hi;				/* units of 2^-36 */
	uint64_t	lo;				/* units of 2^-100 */
} Fixed;

/* acc += floor(p 2^100), 0 <= p <= 2^27 */
static inline void
fixed_add(Fixed *acc, double p)
{
	double		s = p * 0x1p36;
	uint64_t	h = (uint64_t) s;
	uint64_t	l = (uint64_t) ((s - (double) h) * 0x1p64);

	acc->lo += l;
	acc->hi += h + (acc->lo < l);
}

static inline void
fixed_add_fixed(Fixed *acc, Fixed x)
{
	acc->lo += x.lo;
	acc->hi += x.hi + (acc->lo < x.lo);
}

static inline int
fixed_gt(Fixed a, Fixed b)
{
	return a.hi > b.hi || (a.hi == b.hi && a.lo > b.lo);
}

static inline double
fixed_value(Fixed a)
{
	return (double) a.hi * 0x1p-36 + (double) a.lo * 0x1p-100;
}

static inline Fixed
fixed_of(double p)
{
	Fixed		f = {0, 0};

	fixed_add(&f, p);
	return f;
}

/* ---- compensated sums: compensated.h ---- */

/* ---- selection on doubles, descending ---- */

static inline void
swap_d(double *v, int i, int j)
{
	double		x = v[i];

	v[i] = v[j];
	v[j] = x;
}

static inline double
median3(double a, double b, double c)
{
	if (a < b)
		return b < c ? b : (a < c ? c : a);
	return a < c ? a : (b < c ? c : b);
}

/* pivot value of v[lo..hi]: median of three, of three medians for large ranges */
static double
pivot_value(const double *v, int lo, int hi)
{
	int			mid = lo + (hi - lo) / 2;

	if (hi - lo > 1024)
	{
		int			d = (hi - lo) / 8;

		return median3(median3(v[lo], v[lo + d], v[lo + 2 * d]),
					   median3(v[mid - d], v[mid], v[mid + d]),
					   median3(v[hi - 2 * d], v[hi - d], v[hi]));
	}
	return median3(v[lo], v[mid], v[hi]);
}

/* heapsort of v[0..n) into descending order (a min-heap, then extraction) */
static void
heapsort_desc(double *v, int n, Ticker *tk)
{
	int			i;

	for (i = n / 2 - 1; i >= -n + 1; i--)
	{
		int			end = i >= 0 ? n : n + i;	/* build, then extract */
		int			root = i >= 0 ? i : 0;

		if (i < 0)
			swap_d(v, 0, end);	/* the smallest goes to the end */
		for (;;)
		{
			int			c = 2 * root + 1;

			if (c >= end)
				break;
			if (c + 1 < end && v[c + 1] < v[c])
				c++;
			if (!(v[c] < v[root]))
				break;
			swap_d(v, root, c);
			root = c;
		}
		ticker_work(tk, 32);
	}
}

/*
 * Floyd and Rivest's SELECT (Comm. ACM 18(3), 1975, Algorithm 489), in
 * descending order: v[lo..hi] permuted so that v[target] holds the value of
 * that rank, larger values before it and smaller after.  For ranges above 600
 * elements it first selects within a sample around target (recursively), so
 * that the pivot lies close to the answer: about n + min(k, n - k)
 * comparisons, and the partition's branches are well predicted when the
 * tail is small.  After `limit` rounds the rest is heapsorted.
 */
static void
floyd_rivest_desc(double *v, int lo, int hi, int target, int limit, Ticker *tk)
{
	int			rounds = 0;

	while (hi > lo)
	{
		double		t;
		int			i,
					j;
		long		done = 0;

		if (++rounds > limit)
		{
			heapsort_desc(v + lo, hi - lo + 1, tk);
			return;
		}
		if (hi - lo > 600)
		{
			double		n = hi - lo + 1,
						r = target - lo + 1,
						z = log(n),
						s = 0.5 * exp(2.0 * z / 3.0),
						sd = 0.5 * sqrt(z * s * (n - s) / n) * (r < n / 2.0 ? -1.0 : 1.0);
			int			sub_lo = (int) fmax(lo, floor(target - r * s / n + sd));
			int			sub_hi = (int) fmin(hi, floor(target + (n - r) * s / n + sd));

			floyd_rivest_desc(v, sub_lo, sub_hi, target, limit, tk);
		}
		t = v[target];
		i = lo;
		j = hi;
		swap_d(v, lo, target);
		if (v[hi] < t)
			swap_d(v, hi, lo);
		/* v[lo] >= t >= v[hi] once swapped below: they stop the scans */
		while (i < j)
		{
			long		progress;

			swap_d(v, i, j);
			i++;
			j--;
			while (v[i] > t)
				i++;
			while (v[j] < t)
				j--;
			progress = (long) (i - lo) + (hi - j);
			if (progress - done >= 4096)
			{
				ticker_work(tk, progress - done);
				done = progress;
			}
		}
		ticker_work(tk, (long) (hi - lo + 1) - done);
		if (v[lo] == t)
			swap_d(v, lo, j);
		else
		{
			j++;
			swap_d(v, j, hi);
		}
		/* v[j] == t; before it >= t, after it <= t */
		if (j <= target)
			lo = j + 1;
		if (target <= j)
			hi = j - 1;
	}
}

/* the value of rank target (0-based) in descending order of v[0..n), permuting v */
static double
select_desc(double *v, int n, int target, Ticker *tk)
{
	int			limit = 8;

	while ((1L << (limit / 2)) < n)
		limit += 2;				/* about 2 log2(n) + 8 rounds */
	floyd_rivest_desc(v, 0, n - 1, target, limit, tk);
	return v[target];
}

/* ---- weighted selection: losses l[] with probabilities p[], permuted together ---- */

static inline void
swap_pair(double *l, double *p, int i, int j)
{
	swap_d(l, i, j);
	swap_d(p, i, j);
}

/* sort pairs of l[lo..hi] by l descending (heapsort) */
static void
heapsort_pairs_desc(double *l, double *p, int lo, int hi, Ticker *tk)
{
	int			n = hi - lo + 1;
	int			i;

	l += lo;
	p += lo;
	for (i = n / 2 - 1; i >= -n + 1; i--)
	{
		int			end = i >= 0 ? n : n + i;
		int			root = i >= 0 ? i : 0;

		if (i < 0)
			swap_pair(l, p, 0, end);
		for (;;)
		{
			int			c = 2 * root + 1;

			if (c >= end)
				break;
			if (c + 1 < end && l[c + 1] < l[c])
				c++;
			if (!(l[c] < l[root]))
				break;
			swap_pair(l, p, root, c);
			root = c;
		}
		ticker_work(tk, 32);
	}
}

/*
 * The loss value v at which the probability counted down the losses first
 * exceeds T: sum p over l > v <= T < sum p over l >= v.  *above receives the
 * first sum.  Returns 0 if even the whole sum is <= T.
 */
static int
select_weighted(double *l, double *p, int n, Fixed T, double *v, Fixed *above, Ticker *tk)
{
	int			lo = 0,
				hi = n - 1,
				rounds = 0,
				limit = 8;
	Fixed		before = {0, 0};	/* probability of the losses above l[lo..hi] */

	while ((1L << (limit / 2)) < n)
		limit += 2;
	while (lo <= hi)
	{
		double		pv;
		int			lt = lo,
					i = lo,
					gt = hi,
					count = 0;
		Fixed		wg = {0, 0},
					we = {0, 0},
					c;

		if (hi - lo < SMALL_RANGE || ++rounds > limit)
		{
			int			k;

			/* sort what is left and walk down it, a run of equal losses at a time */
			heapsort_pairs_desc(l, p, lo, hi, tk);
			for (k = lo; k <= hi;)
			{
				int			e = k;

				c = before;
				for (; e <= hi && l[e] == l[k]; e++)
					fixed_add(&c, p[e]);
				if (fixed_gt(c, T))
				{
					*v = l[k];
					*above = before;
					return 1;
				}
				before = c;
				k = e;
			}
			*above = before;
			return 0;
		}
		pv = pivot_value(l, lo, hi);
		/* Dijkstra's three-way partition: [lo, lt) > pv, [lt, i) == pv, (gt, hi] < pv */
		while (i <= gt)
		{
			if ((++count & 4095) == 0)
				ticker_work(tk, 4096);
			if (l[i] > pv)
			{
				fixed_add(&wg, p[i]);
				swap_pair(l, p, lt, i);
				lt++;
				i++;
			}
			else if (l[i] < pv)
			{
				swap_pair(l, p, i, gt);
				gt--;
			}
			else
			{
				fixed_add(&we, p[i]);
				i++;
			}
		}
		c = before;
		fixed_add_fixed(&c, wg);
		if (fixed_gt(c, T))
		{
			hi = lt - 1;		/* the crossing is among the larger losses */
			continue;
		}
		fixed_add_fixed(&c, we);
		if (fixed_gt(c, T))
		{
			fixed_add_fixed(&before, wg);
			*v = pv;
			*above = before;
			return 1;
		}
		before = c;
		lo = gt + 1;
	}
	*above = before;
	return 0;
}

/* ---- the tail ---- */

double
pm_tail_equal_count(int n, double alpha)
{
	double		nb = n * (1.0 - alpha);
	double		r = nearbyint(nb);

	if (r >= 1.0 && fabs(nb - r) <= 1e-9 * nb)
		nb = r;
	return nb;
}

PmTailStatus
pm_tail(const double *pnl, const double *prob, int n, double alpha, PmTail *t,
		double *tail_weight, int *tail, double *work, void (*tick) (void *), void *tick_arg)
{
	double		beta = 1.0 - alpha;
	double		maxabs = 0.0,
				maxloss = -INFINITY,
				scale,
				v;
	Ticker		tk = {tick, tick_arg, PM_TAIL_TICK_EVERY};
	PmSum		sum = {0.0, 0.0};
	int			i,
				m = 0;

	t->var = t->es = NAN;
	t->var_index = 0;
	t->ntail = 0;
	/* losses, checked finite, into work[0..n) */
	for (i = 0; i < n; i++)
	{
		double		loss = -pnl[i];

		if (!isfinite(loss))
		{
			t->var_index = i;
			return PM_TAIL_NOT_FINITE;
		}
		if (fabs(loss) > maxabs)
			maxabs = fabs(loss);
		if (loss > maxloss)
			maxloss = loss;
		work[i] = loss;
		TICK_IN_LOOP(&tk, i);
	}
	if (tail_weight && tail == NULL)
		memset(tail_weight, 0, sizeof(double) * n);
	scale = maxabs > BIG_LOSS ? 0x1p-128 : 1.0;

	if (prob == NULL)
	{
		/* N equally likely scenarios: the floor(N beta) + 1 largest losses */
		double		nb = pm_tail_equal_count(n, alpha);
		int			k,
					gt = 0,
					eq;

		k = (int) fmin(floor(nb) + 1.0, (double) n);
		v = select_desc(work, n, k - 1, &tk);
		/* the k-1 scenarios before the VaR scenario: every loss > v, then the first of the losses == v */
		for (i = 0; i < k - 1; i++)
			gt += work[i] > v;	/* the selection left every loss > v in work[0..k-1) */
		eq = k - gt;			/* the VaR scenario is the eq-th loss == v in index order */
		for (i = 0; i < n; i++)
		{
			double		loss = -pnl[i];
			int			in_tail = loss > v;

			TICK_IN_LOOP(&tk, i);
			if (loss == v && eq > 0)
			{
				if (--eq == 0)
				{
					t->var_index = i;
					if (tail)
						tail[m++] = i;
					continue;
				}
				in_tail = 1;
			}
			if (in_tail)
			{
				pm_sum_add(&sum, loss * scale);
				if (tail_weight)
					tail_weight[i] = 1.0 / nb;
				if (tail)
					tail[m++] = i;
			}
		}
		t->var = -pnl[t->var_index];
		if (tail_weight)
			tail_weight[t->var_index] = (nb - (k - 1)) / nb;
		pm_sum_add_product(&sum, nb - (k - 1), t->var * scale);
		t->es = pm_sum_value(&sum) / nb / scale;
	}
	else
	{
		/* weighted: probabilities p_i = w_i / total */
		double	   *l = work,
				   *p = work + n;
		double		tot,
					w;
		PmSum		total = {0.0, 0.0};
		Fixed		T,
					above,
					counted = {0, 0};
		int			found;

		double		wmax = 0.0,
					wscale;

		for (i = 0; i < n; i++)
			wmax = fmax(wmax, prob[i]);
		/* weights are relative: scale huge or tiny ones (by a power of 2) before adding them */
		wscale = wmax > BIG_LOSS ? 0x1p-128 : (wmax < 0x1p-900 ? 0x1p128 : 1.0);
		for (i = 0; i < n; i++)
		{
			pm_sum_add(&total, prob[i] * wscale);
			TICK_IN_LOOP(&tk, i);
		}
		tot = pm_sum_value(&total);
		if (!(tot > 0.0) || !isfinite(tot))
		{
			t->var_index = -1;
			return PM_TAIL_NO_WEIGHT;
		}
		for (i = 0; i < n; i++)
		{
			p[i] = prob[i] * wscale / tot;
			TICK_IN_LOOP(&tk, i);
		}
		T = fixed_of(beta * (1.0 + 1e-12));
		found = select_weighted(l, p, n, T, &v, &above, &tk);
		if (found)
		{
			/* among the losses == v, in index order, the first at which the count passes T */
			Fixed		cum = above;

			t->var_index = -1;
			for (i = 0; i < n && t->var_index < 0; i++)
			{
				TICK_IN_LOOP(&tk, i);
				if (-pnl[i] == v)
				{
					fixed_add(&cum, prob[i] * wscale / tot);
					if (fixed_gt(cum, T))
						t->var_index = i;
				}
			}
			found = t->var_index >= 0;	/* always, as the sums are exact */
		}
		if (!found)
		{
			/* no scenario gets there: the VaR scenario is the last in the order */
			t->var_index = 0;
			for (i = 1; i < n; i++)
			{
				TICK_IN_LOOP(&tk, i);
				if (-pnl[i] <= -pnl[t->var_index])
					t->var_index = i;
			}
			v = -pnl[t->var_index];
		}
		/* the tail: losses > v, and losses == v before the VaR scenario */
		for (i = 0; i < n; i++)
		{
			double		loss = -pnl[i];

			TICK_IN_LOOP(&tk, i);
			if (loss > v || (loss == v && i < t->var_index))
			{
				double		pi = prob[i] * wscale / tot;

				fixed_add(&counted, pi);
				pm_sum_add_product(&sum, pi, loss * scale);
				if (tail_weight)
					tail_weight[i] = pi / beta;
				if (tail)
					tail[m++] = i;
			}
			else if (i == t->var_index && tail)
				tail[m++] = i;
		}
		w = fmax(0.0, beta - fixed_value(counted));
		t->var = -pnl[t->var_index];
		pm_sum_add_product(&sum, w, t->var * scale);
		if (tail_weight)
			tail_weight[t->var_index] = w / beta;
		t->es = pm_sum_value(&sum) / beta / scale;
	}
	t->ntail = m;

	/*
	 * ES is a weighted mean of losses from VaR up: between VaR and the
	 * largest loss.  Rounding can put the computed value an ulp or two
	 * outside (past the double range when every loss is near it): bring it
	 * back, which can only move it closer to the exact value.
	 */
	t->es = fmin(fmax(t->es, t->var), maxloss);
	return isfinite(t->es) ? PM_TAIL_OK : PM_TAIL_OVERFLOW;
}
