/*
 * method_okx.c
 *	  OKX portfolio margin (pure numeric code), per risk unit (OKX API v5
 *	  position builder, riskUnitData; doc/venues/okx.md cites the sources):
 *
 *	    MR1  worst loss over the spot moves, each also with relative volatility
 *	         shifts up and down when given                       (PM_COMP_SCAN)
 *	    MR6  extreme_fraction x worst loss at +/- extreme_move    (EXTREME_MOVE)
 *	    MR4  sum over expiries of |cash delta| x max(basis_minimum,
 *	         basis_move_risk x t): perpetuals (t = 0) at basis_minimum (BASIS)
 *	    MR7  the tiered minimum charge on minimum_charge_rate x gross notional
 *	                                                             (MINIMUM_CHARGE)
 *	    MR2, MR3, MR5  0 for a unit without options (OKX defines them for
 *	         options); not computed for a unit with options (NAN)
 *	    MR8  borrowing_mmr_rate x the unit's liability           (BORROWING)
 *	    MR9  not computed (NAN): see doc/venues/okx.md
 *	    MMR_u = max(max(MR1, MR6) + MR4, MR7)  (OKX's risk-unit mmr, MAINTENANCE)
 *	    IMR_u = imr_ratio x (MMR_u + orders_u) (OKX's risk-unit imr, INITIAL;
 *	         orders_u: margin.c's rule for resting orders)
 *	  Account: maintenance = sum (MMR_u + MR8_u); initial = sum (IMR_u +
 *	  borrowing_imr_rate x liability_u), in report currency.
 */
#include "method.h"

#include <math.h>
#include <string.h>

static const double okx_spot_moves[] = {-0.12, -0.08, -0.04, 0, 0.04, 0.08, 0.12};
static const double okx_tiers[] = {0, 250000, 500000, 1000000, 2000000, 3000000, 4000000};
static const double okx_multipliers[] = {1, 2, 4, 6, 8, 10, 12};

#define OKX_DEFAULT(a) (a), (int) (sizeof(a) / sizeof(double))

/*
 * The 0.4.0 parameters' defaults, which a 0.3.x set (stored without them)
 * reads back as.  Borrowing: 2% (MMR) and 10% (IMR) of the liability, as
 * OKX's published position-builder example computes them (borrowMmr and
 * borrowImr over the USDT liability); no rows carried liabilities before
 * 0.4.0, so 0.3.x results are unchanged.
 */
#define OKX_BASIS_MIN_DEFAULT 0.0
#define OKX_BORROW_MMR_DEFAULT 0.02
#define OKX_BORROW_IMR_DEFAULT 0.10

static const PmParamSpec okx_params[] = {
	{"spot_moves", PK_ARRAY, PR_MOVES, false, 0, OKX_DEFAULT(okx_spot_moves), 0},
	{"vol_up", PK_NUM, PR_NONNEG, false, 0, NULL, 0, 0},
	{"vol_down", PK_NUM, PR_BELOW_ONE, false, 0, NULL, 0, 0},
	{"extreme_move", PK_NUM, PR_MOVE, false, 0.24, NULL, 0, 0},
	{"extreme_fraction", PK_NUM, PR_UNIT, false, 0.5, NULL, 0, 0},
	{"basis_move_risk", PK_NUM, PR_NONNEG, false, 0.05, NULL, 0, 0},
	{"minimum_charge_rate", PK_NUM, PR_NONNEG, false, 0, NULL, 0, 0},
	{"minimum_charge_tiers", PK_ARRAY, PR_TIERS, false, 0, OKX_DEFAULT(okx_tiers), 0},
	{"minimum_charge_multipliers", PK_ARRAY, PR_TIER_MULTS, false, 0, OKX_DEFAULT(okx_multipliers), 0},
	{"imr_ratio", PK_NUM, PR_POS, false, 1.3, NULL, 0, 0},
	/* 0.4.0, stored after the multipliers (scenario_params.h) */
	{"basis_minimum", PK_NUM, PR_NONNEG, false, OKX_BASIS_MIN_DEFAULT, NULL, 0, 0},
	{"borrowing_mmr_rate", PK_NUM, PR_NONNEG, false, OKX_BORROW_MMR_DEFAULT, NULL, 0, 0},
	{"borrowing_imr_rate", PK_NUM, PR_NONNEG, false, OKX_BORROW_IMR_DEFAULT, NULL, 0, 0},
	{0}
};

/*
 * The arguments, in table order; stored as PM_P_OKX_*, then
 * [nmoves, moves..., ntiers, tiers..., multipliers...]
 */
enum
{
	OKX_ARG_MOVES, OKX_ARG_VOL_UP, OKX_ARG_VOL_DOWN, OKX_ARG_EXTREME, OKX_ARG_FRACTION, OKX_ARG_BASIS,
	OKX_ARG_MR7_RATE, OKX_ARG_TIERS, OKX_ARG_MULTS, OKX_ARG_IMR_RATIO, OKX_ARG_BASIS_MIN,
	OKX_ARG_BORROW_MMR, OKX_ARG_BORROW_IMR
};

static bool
okx_check(const PmSetArgs *a, PmSetProblem *pr)
{
	if (a->narr[OKX_ARG_TIERS] != a->narr[OKX_ARG_MULTS])
		return pm_argument_problem(pr, "minimum_charge_multipliers", "%d elements for %d minimum_charge_tiers",
								   a->narr[OKX_ARG_MULTS], a->narr[OKX_ARG_TIERS]);
	return true;
}

static int
okx_scenario_count(const PmSetArgs *a)
{
	return a->narr[OKX_ARG_MOVES] * (1 + (a->num[OKX_ARG_VOL_UP] > 0.0) + (a->num[OKX_ARG_VOL_DOWN] > 0.0)) + 2;
}

/*
 * The 0.4.0 parameters all at their defaults: the set is stored without
 * the tail, byte for byte as 0.3.x stored it (so that states and sets
 * written by 0.3.x equal the ones built now)
 */
static bool
okx_ext_default(const PmSetArgs *a)
{
	return a->num[OKX_ARG_BASIS_MIN] == OKX_BASIS_MIN_DEFAULT &&
		a->num[OKX_ARG_BORROW_MMR] == OKX_BORROW_MMR_DEFAULT &&
		a->num[OKX_ARG_BORROW_IMR] == OKX_BORROW_IMR_DEFAULT;
}

static size_t
okx_param_count(const PmSetArgs *a)
{
	return PM_P_OKX_NMOVES + 1 + a->narr[OKX_ARG_MOVES] + 1 + 2 * a->narr[OKX_ARG_TIERS] +
		(okx_ext_default(a) ? 0 : 1 + PM_P_OKX_NEXT);
}

static void
okx_expand(const PmSetArgs *a, double *p, PmScenario *sc)
{
	const double *n = a->num;
	const double *moves = a->arr[OKX_ARG_MOVES];
	int			nm = a->narr[OKX_ARG_MOVES];
	int			nt = a->narr[OKX_ARG_TIERS];
	double		up = n[OKX_ARG_VOL_UP],
				down = n[OKX_ARG_VOL_DOWN];
	int			k,
				m = 0;

	p[PM_P_OKX_VOL_UP] = up;
	p[PM_P_OKX_VOL_DOWN] = down;
	p[PM_P_OKX_EXTREME] = n[OKX_ARG_EXTREME];
	p[PM_P_OKX_EXTREME_FRACTION] = n[OKX_ARG_FRACTION];
	p[PM_P_OKX_BASIS] = n[OKX_ARG_BASIS];
	p[PM_P_OKX_MR7_RATE] = n[OKX_ARG_MR7_RATE];
	p[PM_P_OKX_IMR_RATIO] = n[OKX_ARG_IMR_RATIO];
	p[PM_P_OKX_NMOVES] = nm;
	memcpy(p + PM_P_OKX_NMOVES + 1, moves, sizeof(double) * nm);
	p[PM_P_OKX_NMOVES + 1 + nm] = nt;
	memcpy(p + PM_P_OKX_NMOVES + 2 + nm, a->arr[OKX_ARG_TIERS], sizeof(double) * nt);
	memcpy(p + PM_P_OKX_NMOVES + 2 + nm + nt, a->arr[OKX_ARG_MULTS], sizeof(double) * nt);
	if (!okx_ext_default(a))
	{
		double	   *ext = p + PM_P_OKX_NMOVES + 2 + nm + 2 * nt;

		ext[0] = PM_P_OKX_NEXT;
		ext[1 + PM_P_OKX_EXT_BASIS_MIN] = n[OKX_ARG_BASIS_MIN];
		ext[1 + PM_P_OKX_EXT_BORROW_MMR] = n[OKX_ARG_BORROW_MMR];
		ext[1 + PM_P_OKX_EXT_BORROW_IMR] = n[OKX_ARG_BORROW_IMR];
	}
	for (k = 0; k < nm; k++)
	{
		pm_set_scenario(&sc[m++], moves[k], PM_VOL_NONE, 0.0, 1.0, 0);
		if (up > 0.0)
			pm_set_scenario(&sc[m++], moves[k], PM_VOL_RELATIVE, up, 1.0, 0);
		if (down > 0.0)
			pm_set_scenario(&sc[m++], moves[k], PM_VOL_RELATIVE, -down, 1.0, 0);
	}
	pm_set_scenario(&sc[m++], -n[OKX_ARG_EXTREME], PM_VOL_NONE, 0.0, n[OKX_ARG_FRACTION], 0);
	pm_set_scenario(&sc[m++], n[OKX_ARG_EXTREME], PM_VOL_NONE, 0.0, n[OKX_ARG_FRACTION], 0);
}

/*
 * The counts of moves and tiers are integers that fit before they are used
 * as sizes; the set ends after the multipliers (0.3.x, or the 0.4.0
 * parameters at their defaults) or after the 0.4.0 tail, whose count is
 * PM_P_OKX_NEXT.
 */
static bool
okx_layout_ok(const double *p, int np, int nscen PM_UNUSED)
{
	double		nm = np > PM_P_OKX_NMOVES ? p[PM_P_OKX_NMOVES] : -1;
	double		nt;
	int			base;

	if (!(nm >= 0 && nm <= PM_MAX_SCENARIOS && nm == floor(nm) && PM_P_OKX_NMOVES + 1 + (int) nm < np))
		return false;
	nt = p[PM_P_OKX_NMOVES + 1 + (int) nm];
	if (!(nt >= 0 && nt <= PM_MAX_SCENARIOS && nt == floor(nt)))
		return false;
	base = PM_P_OKX_NMOVES + 2 + (int) nm + 2 * (int) nt;
	return np == base || (np == base + 1 + PM_P_OKX_NEXT && p[base] == PM_P_OKX_NEXT);
}

static void
okx_read_args(const PmSetView *s, PmSetArgs *a)
{
	const double *p = s->params;

	a->narr[OKX_ARG_MOVES] = (int) p[PM_P_OKX_NMOVES];
	a->arr[OKX_ARG_MOVES] = (double *) (p + PM_P_OKX_NMOVES + 1);
	a->num[OKX_ARG_VOL_UP] = p[PM_P_OKX_VOL_UP];
	a->num[OKX_ARG_VOL_DOWN] = p[PM_P_OKX_VOL_DOWN];
	a->num[OKX_ARG_EXTREME] = p[PM_P_OKX_EXTREME];
	a->num[OKX_ARG_FRACTION] = p[PM_P_OKX_EXTREME_FRACTION];
	a->num[OKX_ARG_BASIS] = p[PM_P_OKX_BASIS];
	a->num[OKX_ARG_MR7_RATE] = p[PM_P_OKX_MR7_RATE];
	a->narr[OKX_ARG_TIERS] = a->narr[OKX_ARG_MULTS] = pm_okx_ntiers_p(p);
	a->arr[OKX_ARG_TIERS] = (double *) pm_okx_tiers_p(p);
	a->arr[OKX_ARG_MULTS] = a->arr[OKX_ARG_TIERS] + a->narr[OKX_ARG_TIERS];
	a->num[OKX_ARG_IMR_RATIO] = p[PM_P_OKX_IMR_RATIO];
	a->num[OKX_ARG_BASIS_MIN] = pm_okx_ext_p(p, s->nparams, PM_P_OKX_EXT_BASIS_MIN, OKX_BASIS_MIN_DEFAULT);
	a->num[OKX_ARG_BORROW_MMR] = pm_okx_ext_p(p, s->nparams, PM_P_OKX_EXT_BORROW_MMR, OKX_BORROW_MMR_DEFAULT);
	a->num[OKX_ARG_BORROW_IMR] = pm_okx_ext_p(p, s->nparams, PM_P_OKX_EXT_BORROW_IMR, OKX_BORROW_IMR_DEFAULT);
}

/* the liability a unit's MR8 is charged on: none when negative (not a borrowing) */
static inline double
okx_liability(const PmUnit *unit)
{
	return fmax(0.0, unit->liability);
}

/* a unit's MR1, MR6, MR4, MR7 (unit currency) and its mmr = max(max(MR1, MR6) + MR4, MR7) */
typedef struct OkxParts
{
	double		mr1,
				mr6,
				mr4,
				mr7,
				mmr;
} OkxParts;

static OkxParts
okx_parts(const PmSetView *s, const PmUnit *unit)
{
	const double *params = s->params;
	int			nscen = s->nscen;
	double		usd = unit->inverse ? unit->index_price : 1.0;
	double		raw = params[PM_P_OKX_MR7_RATE] * unit->gross_notional;
	OkxParts	o = {0.0, 0.0, 0.0, 0.0, 0.0};
	int			j;

	/* the MR1 scenarios (weight 1), then the two MR6 ones at their fraction (okx_expand) */
	for (j = 0; j < nscen - 2; j++)
		o.mr1 = fmax(o.mr1, -unit->pnl[j] * s->sc[j].weight);
	for (j = nscen - 2; j < nscen; j++)
		o.mr6 = fmax(o.mr6, -unit->pnl[j] * s->sc[j].weight);
	o.mr4 = pm_expiry_charge(unit, params[PM_P_OKX_BASIS],
							 pm_okx_ext_p(params, s->nparams, PM_P_OKX_EXT_BASIS_MIN, OKX_BASIS_MIN_DEFAULT));
	if (raw > 0.0 && usd > 0.0)
		o.mr7 = pm_tiered_charge(raw * usd, pm_okx_tiers_p(params),
								 pm_okx_tiers_p(params) + pm_okx_ntiers_p(params),
								 pm_okx_ntiers_p(params)) / usd;
	o.mmr = fmax(fmax(o.mr1, o.mr6) + o.mr4, o.mr7);
	return o;
}

static inline double
okx_mr8(const PmSetView *s, const PmUnit *unit)
{
	return okx_liability(unit) * pm_okx_ext_p(s->params, s->nparams, PM_P_OKX_EXT_BORROW_MMR,
											  OKX_BORROW_MMR_DEFAULT);
}

/*
 * One risk unit: records MR1 to MR8 (MR9 and, for a unit with options, MR2,
 * MR3 and MR5 stay NAN: not computed) and OKX's risk-unit mmr, and returns
 * the unit's requirement, mmr + MR8 (margin.c adds its resting orders'
 * margin).  Its imr is recorded by okx_account_margin, which sees the
 * orders' margin too.
 */
static double
okx_unit_margin(const PmSetView *s, const PmUnit *unit, double scan PM_UNUSED, double fx, PmMarginResult *r)
{
	OkxParts	o = okx_parts(s, unit);
	double		mr8 = okx_mr8(s, unit);

	r->basis_risk += o.mr4 * fx;
	r->minimum_charge += o.mr7 * fx;
	pm_unit_component(r, PM_COMP_SCAN, o.mr1);
	pm_unit_component(r, PM_COMP_EXTREME_MOVE, o.mr6);
	pm_unit_component(r, PM_COMP_BASIS, o.mr4);
	pm_unit_component(r, PM_COMP_MINIMUM_CHARGE, o.mr7);
	pm_unit_component(r, PM_COMP_BORROWING, mr8);
	if (unit->option_contracts == 0.0)
	{
		/* OKX: MR2 (time value), MR3 (volatility span), MR5 (interest rate) are "for options" */
		pm_unit_component(r, PM_COMP_THETA_DECAY, 0.0);
		pm_unit_component(r, PM_COMP_VEGA_TERM, 0.0);
		pm_unit_component(r, PM_COMP_INTEREST_RATE, 0.0);
	}
	pm_unit_component(r, PM_COMP_MAINTENANCE, o.mmr);
	return o.mmr + mr8;
}

/*
 * With orders_u = the unit's resting orders' margin (its requirement less
 * mmr_u and MR8_u; 0 without orders), in report currency:
 *   maintenance = sum of (mmr_u + MR8_u): orders add no maintenance margin;
 *   initial = sum of (imr_ratio x (mmr_u + orders_u) + borrowing_imr_rate x
 *   liability_u), each unit with the rates of its own set (a rulebook's
 *   units share imr_ratio: account_params).
 * The unit's INITIAL component is imr_ratio x (mmr_u + orders_u), OKX's
 * risk-unit imr; its borrowing IMR is account-level, as OKX reports it.
 */
static void
okx_account_margin(const PmSetView *s, const PmUnit *units, int nunits, double total PM_UNUSED,
				   PmMarginResult *r)
{
	double		ratio = s->params[PM_P_OKX_IMR_RATIO];
	double		initial = 0.0,
				maintenance = 0.0;
	int			u;

	for (u = 0; u < nunits; u++)
	{
		const PmSetView *us = pm_unit_set(s, r, u);
		const PmUnit *unit = &units[u];
		double		fx = pm_unit_fx(r, unit);
		OkxParts	o = okx_parts(us, unit);
		double		mr8 = okx_mr8(us, unit);
		double		orders = unit->buy_orders || unit->sell_orders
			? fmax(0.0, r->unit_margin[u] / fx - (o.mmr + mr8)) : 0.0;
		double		imr = ratio * (o.mmr + orders);

		maintenance += (o.mmr + mr8) * fx;
		initial += (imr + okx_liability(unit) * pm_okx_ext_p(us->params, us->nparams, PM_P_OKX_EXT_BORROW_IMR,
															  OKX_BORROW_IMR_DEFAULT)) * fx;
		pm_unit_component_of(r, u, PM_COMP_INITIAL, imr);
	}
	r->maintenance = maintenance;
	r->initial = initial;
}

static const int okx_account_params[] = {PM_P_OKX_IMR_RATIO, -1};

const PmMethod pm_method_okx = {
	.id = PM_METHOD_OKX,
	.name = "okx",
	.params = okx_params,
	.count_param = "spot_moves",
	.folds = PM_FOLD_EXPIRIES,	/* MR4 */
	.check = okx_check,
	.scenario_count = okx_scenario_count,
	.param_count = okx_param_count,
	.expand = okx_expand,
	.layout_ok = okx_layout_ok,
	.read_args = okx_read_args,
	.unit_margin = okx_unit_margin,
	.account_margin = okx_account_margin,
	.account_params = okx_account_params,
};
