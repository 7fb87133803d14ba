/*
 * method_var.c
 *	  VaR / expected shortfall over joint scenarios (pure numeric code):
 *	  every underlying moves by its own column of a historical or Monte
 *	  Carlo scenario set.  The account's P&L is summed across units
 *	  scenario by scenario; the margin is the VaR or ES (tailstat.h) of the
 *	  main scenario group or, when larger, of the floor group (the last
 *	  floor_count scenarios), plus a buffer; each unit's share is its Euler
 *	  contribution.  How a joint set keeps its underlying names and hash is
 *	  the type's business (scenario.h, scenario.c).  doc/var.md cites the
 *	  sources.
 */
#include "method.h"
#include "tailstat.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const PmParamSpec var_params[] = {
	{"underlyings", PK_NAMES, PR_ANY, true, 0, NULL, 0, 0},
	{"moves", PK_ARRAY, PR_MOVES, true, 0, NULL, 0, PM_PARAM_MATRIX},
	/* no shifts: prices move, volatilities stay */
	{"vol_shifts", PK_ARRAY, PR_SHIFTS_OPT, false, 0, NULL, 0, PM_PARAM_MATRIX | PM_PARAM_NULL_IS_EMPTY},
	{"weights", PK_ARRAY, PR_WEIGHTS_OPT, false, 0, NULL, 0, PM_PARAM_NULL_IS_EMPTY},	/* empty: all 1 */
	{"vol_rule", PK_VOLRULE, PR_ANY, false, 0, NULL, 0, 0},
	{"confidence", PK_NUM, PR_OPEN_UNIT, false, 0.99, NULL, 0, 0},
	{"statistic", PK_STAT, PR_ANY, false, 1, NULL, 0, 0},
	{"buffer", PK_NUM, PR_NONNEG, false, 0, NULL, 0, 0},
	{"floor_count", PK_INT, PR_INT_NONNEG, false, 0, NULL, 0, 0},
	/* options revalued at t - ageing_days / 365 (0.4.0: in the text form only when not 0) */
	{"ageing_days", PK_NUM, PR_NONNEG, false, 0, NULL, 0, PM_PARAM_OMIT_DEFAULT},
	{0}
};

enum
{
	VAR_ARG_UNDERLYINGS, VAR_ARG_MOVES, VAR_ARG_SHIFTS, VAR_ARG_WEIGHTS, VAR_ARG_RELATIVE, VAR_ARG_CONFIDENCE,
	VAR_ARG_STATISTIC, VAR_ARG_BUFFER, VAR_ARG_FLOOR_COUNT, VAR_ARG_AGEING
};

static inline void
tick_now_and_then(const PmSetArgs *a, size_t k)
{
	if ((k & 0xFFFF) == 0 && a->tick)
		a->tick(a->tick_arg);
}

/* the shapes of moves, shifts and weights agree with the underlyings (names checked by the caller) */
static bool
var_check(const PmSetArgs *a, PmSetProblem *pr)
{
	int			U = a->nnames;
	int			nmoves = a->narr[VAR_ARG_MOVES],
				nshifts = a->narr[VAR_ARG_SHIFTS],
				nweights = a->narr[VAR_ARG_WEIGHTS];
	int			S,
				F,
				k;

	if (a->cols[VAR_ARG_MOVES] != 0 && a->cols[VAR_ARG_MOVES] != U)
		return pm_argument_problem(pr, "moves", "%d columns for %d underlyings", a->cols[VAR_ARG_MOVES], U);
	if (nmoves % U != 0)
		return pm_argument_problem(pr, "moves", "%d elements are not a whole number of scenarios of %d underlyings",
								   nmoves, U);
	S = nmoves / U;
	if (S > PM_MAX_JOINT_SCENARIOS)
		return pm_argument_problem(pr, "moves", "%d scenarios, more than %d", S, PM_MAX_JOINT_SCENARIOS);
	if (nshifts != 0 && (nshifts != nmoves || (a->cols[VAR_ARG_SHIFTS] != 0 && a->cols[VAR_ARG_SHIFTS] != U)))
		return pm_argument_problem(pr, "vol_shifts", "%d elements for %d scenarios of %d underlyings",
								   nshifts, S, U);
	if (nweights != 0 && nweights != S)
		return pm_argument_problem(pr, "weights", "%d elements for %d scenarios", nweights, S);
	if (!(a->num[VAR_ARG_FLOOR_COUNT] < S))
	{
		pm_set_problem(pr, PM_SP_VALUE, "floor_count", 0, a->num[VAR_ARG_FLOOR_COUNT], pr->text);
		snprintf(pr->text, sizeof(pr->text), "less than the %d scenarios (the main group needs one)", S);
		return false;
	}
	if (nweights != 0)
	{
		const double *w = a->arr[VAR_ARG_WEIGHTS];
		double		main = 0.0,
					fl = 0.0;

		F = (int) a->num[VAR_ARG_FLOOR_COUNT];
		for (k = 0; k < S; k++)
		{
			tick_now_and_then(a, k);
			if (k < S - F)
				main += w[k];
			else
				fl += w[k];
		}
		if (!(main > 0.0) || (F > 0 && !(fl > 0.0)))
			return pm_argument_problem(pr, "weights", "the weights of a scenario group sum to 0");
	}
	return true;
}

static int
var_scenario_count(const PmSetArgs *a)
{
	return a->narr[VAR_ARG_MOVES] / a->nnames;
}

/* the tail parameters, then the moves and, if any, the volatility shifts, then an ageing that is not 0 */
static size_t
var_param_count(const PmSetArgs *a)
{
	return PM_P_VAR_N + (size_t) a->narr[VAR_ARG_MOVES] * (a->narr[VAR_ARG_SHIFTS] ? 2 : 1) +
		(a->num[VAR_ARG_AGEING] != 0.0 ? 1 : 0);
}

/* n bytes, in pieces of 16 MB with a tick before each (a joint set can be close to 1 GB) */
static void
copy_ticking(const PmSetArgs *a, void *dst, const void *src, size_t n)
{
	size_t		piece = (size_t) 16 * 1024 * 1024,
				done;

	for (done = 0; done < n; done += piece)
	{
		if (a->tick)
			a->tick(a->tick_arg);
		memcpy((char *) dst + done, (const char *) src + done, n - done < piece ? n - done : piece);
	}
}

/*
 * The weights (none: all 1) are relative within each group (normalised
 * when the tail is computed, so the text form round trips exactly); the
 * floor group's scenarios are marked extended.  The hash is left 0: the
 * caller seals the set once its names follow.
 */
static void
var_expand(const PmSetArgs *a, double *params, PmScenario *sc)
{
	int			nscen = var_scenario_count(a);
	size_t		cells = (size_t) a->narr[VAR_ARG_MOVES];
	const double *vols = a->narr[VAR_ARG_SHIFTS] ? a->arr[VAR_ARG_SHIFTS] : NULL;
	const double *weights = a->narr[VAR_ARG_WEIGHTS] ? a->arr[VAR_ARG_WEIGHTS] : NULL;
	int			vol_relative = a->num[VAR_ARG_RELATIVE] > 0.0;
	int			floor_count = (int) a->num[VAR_ARG_FLOOR_COUNT];
	int			i;

	memset(params, 0, sizeof(double) * PM_P_VAR_N);
	params[PM_P_VAR_CONFIDENCE] = a->num[VAR_ARG_CONFIDENCE];
	params[PM_P_VAR_STATISTIC] = (int) a->num[VAR_ARG_STATISTIC];
	params[PM_P_VAR_BUFFER] = a->num[VAR_ARG_BUFFER];
	params[PM_P_VAR_VOL_RELATIVE] = vol_relative;
	params[PM_P_VAR_FLOOR_COUNT] = floor_count;
	params[PM_P_VAR_NUND] = a->nnames;
	params[PM_P_VAR_HAS_VOLS] = vols != NULL;
	copy_ticking(a, params + PM_P_VAR_N, a->arr[VAR_ARG_MOVES], sizeof(double) * cells);
	if (vols)
		copy_ticking(a, params + PM_P_VAR_N + cells, vols, sizeof(double) * cells);
	if (a->num[VAR_ARG_AGEING] != 0.0)
		params[PM_P_VAR_N + cells * (vols ? 2 : 1)] = a->num[VAR_ARG_AGEING];
	for (i = 0; i < nscen; i++)
	{
		tick_now_and_then(a, i);
		pm_set_scenario(&sc[i], 0.0, vols ? (vol_relative ? PM_VOL_RELATIVE : PM_VOL_ABSOLUTE) : PM_VOL_NONE,
						0.0, weights ? weights[i] : 1.0, i >= nscen - floor_count);
	}
}

void
pm_var_args(PmSetArgs *a, int nund, char **names, int nscen, const double *moves, const double *vols,
			const double *weights, int vol_relative, double confidence, int statistic, double buffer,
			int floor_count, double ageing_days)
{
	a->method = &pm_method_var;
	a->nnames = nund;
	a->names = names;
	a->narr[VAR_ARG_MOVES] = nscen * nund;
	a->arr[VAR_ARG_MOVES] = (double *) moves;
	a->narr[VAR_ARG_SHIFTS] = vols ? nscen * nund : 0;
	a->arr[VAR_ARG_SHIFTS] = (double *) vols;
	a->narr[VAR_ARG_WEIGHTS] = weights ? nscen : 0;
	a->arr[VAR_ARG_WEIGHTS] = (double *) weights;
	a->num[VAR_ARG_RELATIVE] = vol_relative;
	a->num[VAR_ARG_CONFIDENCE] = confidence;
	a->num[VAR_ARG_STATISTIC] = statistic;
	a->num[VAR_ARG_BUFFER] = buffer;
	a->num[VAR_ARG_FLOOR_COUNT] = floor_count;
	a->num[VAR_ARG_AGEING] = ageing_days;
}

/*
 * The tail parameters of a full or reduced joint set (finite, checked by
 * the caller; the parameter count against the moves, by scenario.c), and
 * an ageing, when the set has one, above 0.
 */
static bool
var_layout_ok(const double *p, int nparams, int nscen)
{
	double		fc = p[PM_P_VAR_FLOOR_COUNT];

	if (nparams >= PM_P_VAR_N && (double) nparams > pm_var_base_count_p(p, nscen))
	{
		double		ageing = pm_var_ageing_days_p(p, nparams, nscen);

		if (!(isfinite(ageing) && ageing > 0.0))
			return false;
	}
	return nparams >= PM_P_VAR_N &&
		p[PM_P_VAR_CONFIDENCE] > 0.0 && p[PM_P_VAR_CONFIDENCE] < 1.0 &&
		(p[PM_P_VAR_STATISTIC] == 0.0 || p[PM_P_VAR_STATISTIC] == 1.0) &&
		p[PM_P_VAR_BUFFER] >= 0.0 && isfinite(p[PM_P_VAR_BUFFER]) &&
		(p[PM_P_VAR_VOL_RELATIVE] == 0.0 || p[PM_P_VAR_VOL_RELATIVE] == 1.0) &&
		fc >= 0.0 && fc < nscen && fc == floor(fc);
}

/* the moves and shifts are the set's own (not copied); weights only when not all 1 */
static void
var_read_args(const PmSetView *s, PmSetArgs *a)
{
	const double *p = s->params;
	int			U = (int) p[PM_P_VAR_NUND];
	size_t		cells = (size_t) s->nscen * U;
	bool		unit = true;
	int			k;

	a->narr[VAR_ARG_MOVES] = cells;
	a->arr[VAR_ARG_MOVES] = (double *) (p + PM_P_VAR_N);
	a->narr[VAR_ARG_SHIFTS] = p[PM_P_VAR_HAS_VOLS] != 0.0 ? cells : 0;
	a->arr[VAR_ARG_SHIFTS] = p[PM_P_VAR_HAS_VOLS] != 0.0 ? (double *) (p + PM_P_VAR_N + cells) : NULL;
	for (k = 0; k < s->nscen && unit; k++)
		unit = s->sc[k].weight == 1.0;
	a->narr[VAR_ARG_WEIGHTS] = unit ? 0 : s->nscen;
	if (!unit)
	{
		a->arr[VAR_ARG_WEIGHTS] = a->alloc(sizeof(double) * s->nscen);
		for (k = 0; k < s->nscen; k++)
		{
			tick_now_and_then(a, k);
			a->arr[VAR_ARG_WEIGHTS][k] = s->sc[k].weight;
		}
	}
	a->num[VAR_ARG_RELATIVE] = p[PM_P_VAR_VOL_RELATIVE];
	a->num[VAR_ARG_CONFIDENCE] = p[PM_P_VAR_CONFIDENCE];
	a->num[VAR_ARG_STATISTIC] = p[PM_P_VAR_STATISTIC];
	a->num[VAR_ARG_BUFFER] = p[PM_P_VAR_BUFFER];
	a->num[VAR_ARG_FLOOR_COUNT] = p[PM_P_VAR_FLOOR_COUNT];
	a->num[VAR_ARG_AGEING] = pm_var_ageing_days_p(p, s->nparams, s->nscen);
}

/* options age by the set's ageing (act/365) when revalued */
static void
var_reval_params(const PmSetView *s, PmRevalParams *p)
{
	p->lookahead_years = pm_var_ageing_days_p(s->params, s->nparams, s->nscen) / 365.0;
}

/* dst[0..n) += src[0..n) x fx, in blocks of constant length (which the compiler vectorises) */
static void
add_scaled(double *restrict dst, const double *restrict src, double fx, int n)
{
	int			b,
				j;

	for (b = 0; b + 512 <= n; b += 512)
		for (j = 0; j < 512; j++)
			dst[b + j] += src[b + j] * fx;
	for (j = b; j < n; j++)
		dst[j] += src[j] * fx;
}

/* the statistic of one scenario group (offset, n) of the total P&L */
static double
group_statistic(const double *params, const PmScenario *sc, int nscen, int offset, int n,
				PmMarginResult *r, double *tail_weight, PmTail *t)
{
	double	   *probs = r->work + 3 * (size_t) nscen + offset;	/* work: pm_tail's 2n, tail weights, probs */
	int			equal = 1,
				i;
	PmTailStatus status;

	for (i = 1; i < n && equal; i++)
	{
		equal = sc[offset + i].weight == sc[offset].weight;
		if ((i & 0xffff) == 0 && r->tick)
			r->tick(r->tick_arg);
	}
	for (i = 0; i < n && !equal; i++)
		probs[i] = sc[offset + i].weight;
	status = pm_tail(r->pnl + offset, equal ? NULL : probs, n, params[PM_P_VAR_CONFIDENCE], t,
					 tail_weight + offset, r->tail + offset, r->work, r->tick, r->tick_arg);
	if (status != PM_TAIL_OK && r->tail_status == PM_TAIL_OK)
	{
		r->tail_status = status;
		r->tail_scenario = t->var_index >= 0 ? offset + t->var_index : -1;
	}
	/* tail[] lists scenario numbers within the group */
	for (i = 0; i < t->ntail; i++)
		r->tail[offset + i] += offset;
	return params[PM_P_VAR_STATISTIC] > 0.0 ? t->es : t->var;
}

/* an account without units has a VaR and ES of 0 */
static void
var_finalize(const PmSetView *s, const PmUnit *units, int nunits, PmMarginResult *r)
{
	const double *params = s->params;
	const PmScenario *sc = s->sc;
	int			nscen = s->nscen;
	int			F = (int) params[PM_P_VAR_FLOOR_COUNT];
	int			S0 = nscen - F;
	double	   *tail_weight;
	PmTail		tm,
				tf;
	double		stat_m,
				stat_f = NAN,
				base,
				best = -INFINITY;
	const int  *tail;
	int			ntail,
				use_floor,
				u;

	if (nunits == 0)
	{
		r->var = r->es = 0.0;
		return;
	}
	r->work = r->alloc(sizeof(double) * 4 * (size_t) nscen);
	r->tail = r->alloc(sizeof(int) * (size_t) nscen);
	tail_weight = r->work + 2 * (size_t) nscen;
	for (u = 0; u < nunits; u++)
	{
		double		fx = pm_unit_fx(r, &units[u]);

		if (r->tick)
			r->tick(r->tick_arg);
		add_scaled(r->pnl, units[u].pnl, fx, nscen);
		r->net_option_value += units[u].option_value * fx;
	}
	r->tail_status = PM_TAIL_OK;
	r->tail_scenario = -1;
	stat_m = group_statistic(params, sc, nscen, 0, S0, r, tail_weight, &tm);
	if (F > 0)
		stat_f = group_statistic(params, sc, nscen, S0, F, r, tail_weight, &tf);
	if (r->tail_status != PM_TAIL_OK)
		return;					/* the caller reports it */
	use_floor = F > 0 && stat_f > stat_m;
	base = fmax(0.0, use_floor ? stat_f : stat_m);

	r->scan = stat_m;
	r->var = tm.var;
	r->es = tm.es;
	r->floor_statistic = stat_f;
	r->apc_buffer = base * params[PM_P_VAR_BUFFER];
	r->maintenance = r->initial = base + r->apc_buffer;
	r->worst_scenario = use_floor ? S0 + tf.var_index : tm.var_index;
	r->worst_quantile = params[PM_P_VAR_CONFIDENCE];
	tail = r->tail + (use_floor ? S0 : 0);
	ntail = use_floor ? tf.ntail : tm.ntail;

	/*
	 * Euler contributions: each unit's loss in the tail scenarios, same
	 * weights, added in increasing scenario order
	 */
	for (u = 0; u < nunits; u++)
	{
		double		fx = pm_unit_fx(r, &units[u]);
		double		c = 0.0;
		int			i;

		if (r->tick)
			r->tick(r->tick_arg);
		if (base > 0.0)
		{
			if (params[PM_P_VAR_STATISTIC] > 0.0)
				for (i = 0; i < ntail; i++)
					c -= tail_weight[tail[i]] * units[u].pnl[tail[i]] * fx;
			else
				c = -units[u].pnl[r->worst_scenario] * fx;
		}
		r->unit_margin[u] = c * (1.0 + params[PM_P_VAR_BUFFER]);
		if (r->unit_margin[u] > best)
		{
			best = r->unit_margin[u];
			r->worst_unit = u;
		}
	}
}

const PmMethod pm_method_var = {
	.id = PM_METHOD_VAR,
	.name = "var",
	.params = var_params,
	.count_param = "moves",
	.joint = true,
	.folds = PM_FOLD_HOLDINGS,	/* long vectors: net per instrument, add each once */
	.check = var_check,
	.scenario_count = var_scenario_count,
	.param_count = var_param_count,
	.expand = var_expand,
	.layout_ok = var_layout_ok,
	.read_args = var_read_args,
	.reval_params = var_reval_params,
	.finalize = var_finalize,
};
