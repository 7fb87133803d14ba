/*
 * method_tims.c
 *	  OCC TIMS / FINRA Rule 4210(g) portfolio margin (pure numeric code):
 *	  `points` evenly spaced price moves from -down to +up (no zero move),
 *	  each also with relative volatility shifts up and down when given; per
 *	  unit the larger of the scan loss and the per-contract minimum;
 *	  initial = maintenance.  doc/margin.md cites the sources.
 */
#include "method.h"

#include <math.h>
#include <string.h>

static const PmParamSpec tims_params[] = {
	{"down", PK_NUM, PR_MOVE, true, 0, NULL, 0, 0},
	{"up", PK_NUM, PR_POS, true, 0, NULL, 0, 0},
	{"points", PK_INT, PR_INT_EVEN, false, 10, NULL, 0, 0},
	{"per_contract_minimum", PK_NUM, PR_NONNEG, false, 0.375, NULL, 0, 0},
	{"vol_down", PK_NUM, PR_BELOW_ONE, false, 0, NULL, 0, 0},
	{"vol_up", PK_NUM, PR_NONNEG, false, 0, NULL, 0, 0},
	{0}
};

/* the arguments are stored as they are, in table order (PM_P_TIMS_*) */

static int
tims_scenario_count(const PmSetArgs *a)
{
	const double *n = a->num;

	/* points / 2 moves each way (no zero move), each with the volatility shifts given */
	return 2 * ((int) n[PM_P_TIMS_POINTS] / 2) *
		(1 + (n[PM_P_TIMS_VOL_UP] > 0.0) + (n[PM_P_TIMS_VOL_DOWN] > 0.0));
}

static size_t
tims_param_count(const PmSetArgs *a PM_UNUSED)
{
	return PM_P_TIMS_N;
}

static void
tims_expand(const PmSetArgs *a, double *params, PmScenario *sc)
{
	const double *n = a->num;
	double		down = n[PM_P_TIMS_DOWN],
				up = n[PM_P_TIMS_UP];
	int			per = (int) n[PM_P_TIMS_POINTS] / 2;
	int			i,
				m = 0;

	memcpy(params, n, sizeof(double) * PM_P_TIMS_N);
	for (i = -per; i <= per; i++)
	{
		double		move;

		if (i == 0)
			continue;
		/* up may be as large as a double: i / per first when up x i overflows */
		move = i < 0 ? down * i / per
			: (isfinite(up * i) ? up * i / per : up * ((double) i / per));
		pm_set_scenario(&sc[m++], move, PM_VOL_NONE, 0.0, 1.0, 0);
		if (n[PM_P_TIMS_VOL_UP] > 0.0)
			pm_set_scenario(&sc[m++], move, PM_VOL_RELATIVE, n[PM_P_TIMS_VOL_UP], 1.0, 0);
		if (n[PM_P_TIMS_VOL_DOWN] > 0.0)
			pm_set_scenario(&sc[m++], move, PM_VOL_RELATIVE, -n[PM_P_TIMS_VOL_DOWN], 1.0, 0);
	}
}

static bool
tims_layout_ok(const double *params PM_UNUSED, int nparams, int nscen PM_UNUSED)
{
	return nparams == PM_P_TIMS_N;
}

static void
tims_read_args(const PmSetView *s, PmSetArgs *a)
{
	memcpy(a->num, s->params, sizeof(double) * PM_P_TIMS_N);
}

static double
tims_unit_margin(const PmSetView *s, const PmUnit *unit, double scan, double fx, PmMarginResult *r)
{
	/* per-contract amounts are quoted in USD: coin units pay them at the index */
	double		pcm = s->params[PM_P_TIMS_PCM] * unit->option_contracts /
		(unit->inverse ? unit->index_price : 1.0);

	r->per_contract_minimum += pcm * fx;
	pm_unit_component(r, PM_COMP_PER_CONTRACT_MINIMUM, pcm);
	return fmax(scan, pcm);
}

static void
tims_account_margin(const PmSetView *s PM_UNUSED, const PmUnit *units PM_UNUSED, int nunits PM_UNUSED,
					double total, PmMarginResult *r)
{
	r->maintenance = r->initial = total;
}

const PmMethod pm_method_tims = {
	.id = PM_METHOD_TIMS,
	.name = "tims",
	.params = tims_params,
	.count_param = "points",
	.scenario_count = tims_scenario_count,
	.param_count = tims_param_count,
	.expand = tims_expand,
	.layout_ok = tims_layout_ok,
	.read_args = tims_read_args,
	.unit_margin = tims_unit_margin,
	.account_margin = tims_account_margin,
};
