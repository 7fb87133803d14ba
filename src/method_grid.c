/*
 * method_grid.c
 *	  A user's scenario grid (pure numeric code): the scenarios are the
 *	  given moves, volatility shifts (absolute or relative) and weights
 *	  themselves; per unit the scan loss; initial and maintenance are
 *	  ratios of the units' sum.
 */
#include "method.h"

static const PmParamSpec grid_params[] = {
	{"moves", PK_ARRAY, PR_MOVES, true, 0, NULL, 0, 0},
	{"vol_shifts", PK_ARRAY, PR_SHIFTS, true, 0, NULL, 0, 0},
	{"weights", PK_ARRAY, PR_WEIGHTS, false, 0, NULL, 0, PM_PARAM_NULL_IS_EMPTY},	/* empty: all 1 */
	{"vol_rule", PK_VOLRULE, PR_ANY, false, 0, NULL, 0, 0},
	{"im_ratio", PK_NUM, PR_POS, false, 1, NULL, 0, 0},
	{"mm_ratio", PK_NUM, PR_POS, false, 1, NULL, 0, 0},
	{0}
};

enum
{
	GRID_ARG_MOVES, GRID_ARG_SHIFTS, GRID_ARG_WEIGHTS, GRID_ARG_RELATIVE, GRID_ARG_IM_RATIO, GRID_ARG_MM_RATIO
};

static bool
grid_check(const PmSetArgs *a, PmSetProblem *pr)
{
	int			n = a->narr[GRID_ARG_MOVES];

	if (a->narr[GRID_ARG_SHIFTS] != n)
		return pm_argument_problem(pr, "vol_shifts", "%d elements for %d moves", a->narr[GRID_ARG_SHIFTS], n);
	if (a->narr[GRID_ARG_WEIGHTS] != 0 && a->narr[GRID_ARG_WEIGHTS] != n)
		return pm_argument_problem(pr, "weights", "%d elements for %d moves", a->narr[GRID_ARG_WEIGHTS], n);
	return true;
}

static int
grid_scenario_count(const PmSetArgs *a)
{
	return a->narr[GRID_ARG_MOVES];
}

static size_t
grid_param_count(const PmSetArgs *a PM_UNUSED)
{
	return PM_P_GRID_N;
}

static void
grid_expand(const PmSetArgs *a, double *params, PmScenario *sc)
{
	const double *n = a->num;
	int			rule = n[GRID_ARG_RELATIVE] > 0.0 ? PM_VOL_RELATIVE : PM_VOL_ABSOLUTE;
	int			k;

	params[PM_P_GRID_RELATIVE] = n[GRID_ARG_RELATIVE];
	params[PM_P_GRID_IM_RATIO] = n[GRID_ARG_IM_RATIO];
	params[PM_P_GRID_MM_RATIO] = n[GRID_ARG_MM_RATIO];
	for (k = 0; k < a->narr[GRID_ARG_MOVES]; k++)
		pm_set_scenario(&sc[k], a->arr[GRID_ARG_MOVES][k], rule, a->arr[GRID_ARG_SHIFTS][k],
						a->narr[GRID_ARG_WEIGHTS] ? a->arr[GRID_ARG_WEIGHTS][k] : 1.0, 0);
}

static bool
grid_layout_ok(const double *params PM_UNUSED, int nparams, int nscen PM_UNUSED)
{
	return nparams == PM_P_GRID_N;
}

/* the arrays are the scenarios' fields (the weights always given) */
static void
grid_read_args(const PmSetView *s, PmSetArgs *a)
{
	int			k;

	a->narr[GRID_ARG_MOVES] = a->narr[GRID_ARG_SHIFTS] = a->narr[GRID_ARG_WEIGHTS] = s->nscen;
	a->arr[GRID_ARG_MOVES] = a->alloc(sizeof(double) * s->nscen);
	a->arr[GRID_ARG_SHIFTS] = a->alloc(sizeof(double) * s->nscen);
	a->arr[GRID_ARG_WEIGHTS] = a->alloc(sizeof(double) * s->nscen);
	for (k = 0; k < s->nscen; k++)
	{
		a->arr[GRID_ARG_MOVES][k] = s->sc[k].move;
		a->arr[GRID_ARG_SHIFTS][k] = s->sc[k].vol_shift;
		a->arr[GRID_ARG_WEIGHTS][k] = s->sc[k].weight;
	}
	a->num[GRID_ARG_RELATIVE] = s->params[PM_P_GRID_RELATIVE];
	a->num[GRID_ARG_IM_RATIO] = s->params[PM_P_GRID_IM_RATIO];
	a->num[GRID_ARG_MM_RATIO] = s->params[PM_P_GRID_MM_RATIO];
}

static void
grid_account_margin(const PmSetView *s, const PmUnit *units PM_UNUSED, int nunits PM_UNUSED, double total,
					PmMarginResult *r)
{
	r->maintenance = s->params[PM_P_GRID_MM_RATIO] * total;
	r->initial = s->params[PM_P_GRID_IM_RATIO] * total;
}

static const int grid_account_params[] = {PM_P_GRID_IM_RATIO, PM_P_GRID_MM_RATIO, -1};

const PmMethod pm_method_grid = {
	.id = PM_METHOD_GRID,
	.name = "grid",
	.params = grid_params,
	.count_param = "moves",
	.check = grid_check,
	.scenario_count = grid_scenario_count,
	.param_count = grid_param_count,
	.expand = grid_expand,
	.layout_ok = grid_layout_ok,
	.read_args = grid_read_args,
	.account_margin = grid_account_margin,
	.account_params = grid_account_params,
};
