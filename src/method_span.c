/*
 * method_span.c
 *	  CME SPAN (pure numeric code): 16 scenarios from the price and
 *	  volatility scan ranges (CME's order: 0, +-1/3, +-2/3, +-1 of the price
 *	  range, each with volatility up and down, then the two extreme moves
 *	  at the cover fraction), time decay over the look-ahead; per unit the
 *	  larger of the scan loss and the short option minimum, less the net
 *	  option value across units; initial = im_ratio x maintenance.
 *	  doc/margin.md cites the sources.
 */
#include "method.h"

#include <math.h>
#include <string.h>

static const PmParamSpec span_params[] = {
	{"price_scan_range", PK_NUM, PR_MOVE, true, 0, NULL, 0, 0},
	{"vol_scan_range", PK_NUM, PR_NONNEG, true, 0, NULL, 0, 0},
	{"extreme_multiple", PK_NUM, PR_POS, false, 2, NULL, 0, 0},
	{"cover_fraction", PK_NUM, PR_UNIT, false, 0.35, NULL, 0, 0},
	{"short_option_minimum", PK_NUM, PR_NONNEG, false, 0, NULL, 0, 0},
	{"lookahead_days", PK_NUM, PR_NONNEG, false, 1, NULL, 0, 0},
	{"im_ratio", PK_NUM, PR_POS, false, 1.10, NULL, 0, 0},
	{0}
};

/* the arguments are stored as they are, in table order (PM_P_SPAN_*) */

static bool
span_check(const PmSetArgs *a, PmSetProblem *pr)
{
	const double *n = a->num;

	if (!(n[PM_P_SPAN_PSR] * n[PM_P_SPAN_EXTREME] < 1.0))
	{
		pm_set_problem(pr, PM_SP_VALUE, "extreme_multiple", 0, n[PM_P_SPAN_EXTREME], NULL);
		pr->detail = "extreme_multiple x price_scan_range must stay below 1 (a move above -100%).";
		return false;
	}
	return true;
}

static int
span_scenario_count(const PmSetArgs *a PM_UNUSED)
{
	return 16;
}

static size_t
span_param_count(const PmSetArgs *a PM_UNUSED)
{
	return PM_P_SPAN_N;
}

static void
span_expand(const PmSetArgs *a, double *params, PmScenario *sc)
{
	/* CME order: 0, +1/3, -1/3, +2/3, -2/3, +1, -1 each vol up then down */
	static const double frac[7] = {0, 1, -1, 2, -2, 3, -3};
	const double *n = a->num;
	double		range = n[PM_P_SPAN_PSR],
				vol = n[PM_P_SPAN_VSR];
	int			i,
				m = 0;

	memcpy(params, n, sizeof(double) * PM_P_SPAN_N);
	for (i = 0; i < 7; i++)
	{
		pm_set_scenario(&sc[m++], range * frac[i] / 3.0, PM_VOL_ABSOLUTE, vol, 1.0, 0);
		pm_set_scenario(&sc[m++], range * frac[i] / 3.0, PM_VOL_ABSOLUTE, -vol, 1.0, 0);
	}
	pm_set_scenario(&sc[m++], range * n[PM_P_SPAN_EXTREME], PM_VOL_NONE, 0.0, n[PM_P_SPAN_COVER], 0);
	pm_set_scenario(&sc[m++], -range * n[PM_P_SPAN_EXTREME], PM_VOL_NONE, 0.0, n[PM_P_SPAN_COVER], 0);
}

static bool
span_layout_ok(const double *params PM_UNUSED, int nparams, int nscen PM_UNUSED)
{
	return nparams == PM_P_SPAN_N;
}

static void
span_read_args(const PmSetView *s, PmSetArgs *a)
{
	memcpy(a->num, s->params, sizeof(double) * PM_P_SPAN_N);
}

static void
span_reval_params(const PmSetView *s, PmRevalParams *p)
{
	p->lookahead_years = s->params[PM_P_SPAN_LOOKAHEAD] / 365.0;
}

static double
span_unit_margin(const PmSetView *s, const PmUnit *unit, double scan, double fx, PmMarginResult *r)
{
	/* per-contract amounts are quoted in USD: coin units pay them at the index */
	double		som = s->params[PM_P_SPAN_SOM] * unit->short_options /
		(unit->inverse ? unit->index_price : 1.0);

	r->short_option_minimum += som * fx;
	pm_unit_component(r, PM_COMP_SHORT_OPTION_MINIMUM, som);
	return fmax(scan, som);
}

static void
span_account_margin(const PmSetView *s, const PmUnit *units PM_UNUSED, int nunits PM_UNUSED, double total,
					PmMarginResult *r)
{
	r->maintenance = fmax(0.0, total - r->net_option_value);
	r->initial = s->params[PM_P_SPAN_IM_RATIO] * r->maintenance;
}

static const int span_account_params[] = {PM_P_SPAN_IM_RATIO, -1};

const PmMethod pm_method_span = {
	.id = PM_METHOD_SPAN,
	.name = "span",
	.params = span_params,
	.count_param = NULL,		/* always 16 scenarios */
	.check = span_check,
	.scenario_count = span_scenario_count,
	.param_count = span_param_count,
	.expand = span_expand,
	.layout_ok = span_layout_ok,
	.read_args = span_read_args,
	.reval_params = span_reval_params,
	.unit_margin = span_unit_margin,
	.account_margin = span_account_margin,
	.account_params = span_account_params,
};
