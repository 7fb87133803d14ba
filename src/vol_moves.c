/*
 * vol_moves.c
 *	  Implied-volatility moves in joint (var) scenario sets:
 *	  vol_shifts_from(set, vol_columns, underlyings) turns columns of a joint
 *	  set that hold a volatility's moves (a volatility index in
 *	  historical_scenarios' history, a volatility factor in
 *	  monte_carlo_scenarios' correlation matrix) into relative volatility
 *	  shifts of the named underlyings, so that options are revalued with
 *	  the volatility that moved with their underlying in each scenario.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "scenario.h"
#include "sqlargs.h"

/* a text[] argument as C strings: no NULL or empty element */
static char **
names_arg(FunctionCallInfo fcinfo, int i, const char *name, int *n)
{
	char	  **out = pm_text_array_arg(fcinfo, i, name, n);
	int			k;

	for (k = 0; k < *n; k++)
		if (out[k][0] == '\0')
			pm_arg_error(name, psprintf("element %d is empty", k + 1));
	return out;
}

PG_FUNCTION_INFO_V1(portmargin_vol_shifts_from);
Datum
portmargin_vol_shifts_from(PG_FUNCTION_ARGS)
{
	PmScenarioSet *s;
	const PmScenario *sc;
	const double *moves;
	char	  **vcols,
			  **unds,
			  **names,
			  **kept_names;
	const char *p;
	int			nv,
				nu,
				U,
				S,
				K,
				i,
				u,
				k;
	int		   *vol_of;			/* per set column: the vol column that moves it, -1 none */
	bool	   *is_vol;
	int		   *kept;
	double	   *new_moves,
			   *new_vols,
			   *weights;

	s = pm_var_set_arg(fcinfo, 0, "scenarios");
	if (pm_var_vols(s) != NULL)
		pm_arg_error("scenarios", "the set already has volatility shifts");
	vcols = names_arg(fcinfo, 1, "vol_columns", &nv);
	unds = names_arg(fcinfo, 2, "underlyings", &nu);
	if (nv == 0)
		pm_arg_error("vol_columns", "the array is empty");
	if (nu != nv)
		pm_arg_error("underlyings", psprintf("%d underlyings for %d vol columns", nu, nv));
	U = pm_var_nund(s);
	S = s->nscenarios;
	names = palloc(sizeof(char *) * U);
	for (p = pm_var_names(s), u = 0; u < U; u++)
	{
		names[u] = (char *) p;
		p += strlen(p) + 1;
	}
	vol_of = palloc(sizeof(int) * U);
	is_vol = palloc0(sizeof(bool) * U);
	for (u = 0; u < U; u++)
		vol_of[u] = -1;
	for (k = 0; k < nv; k++)
	{
		int			c = pm_var_column(s, vcols[k], strlen(vcols[k]));
		int			t = pm_var_column(s, unds[k], strlen(unds[k]));

		if (c < 0)
			pm_arg_error("vol_columns", psprintf("the set has no column \"%s\"", vcols[k]));
		if (t < 0)
			pm_arg_error("underlyings", psprintf("the set has no column \"%s\"", unds[k]));
		if (is_vol[c])
			pm_arg_error("vol_columns", psprintf("\"%s\" is named twice", vcols[k]));
		if (vol_of[t] >= 0)
			pm_arg_error("underlyings", psprintf("\"%s\" is named twice", unds[k]));
		is_vol[c] = true;
		vol_of[t] = c;
	}
	for (u = 0; u < U; u++)
		if (is_vol[u] && vol_of[u] >= 0)
			pm_arg_error("underlyings", psprintf("\"%s\" is also a vol column", names[u]));

	/* the columns kept, in the set's order, with their moves and their vol columns' moves as relative shifts */
	kept = palloc(sizeof(int) * U);
	for (K = 0, u = 0; u < U; u++)
		if (!is_vol[u])
			kept[K++] = u;
	if (K == 0)
		pm_arg_error("vol_columns", "no underlying would be left");
	kept_names = palloc(sizeof(char *) * K);
	for (k = 0; k < K; k++)
		kept_names[k] = names[kept[k]];
	moves = pm_var_moves(s);
	sc = PM_SET_SCENARIOS(s);
	new_moves = palloc_extended(sizeof(double) * (Size) S * K, MCXT_ALLOC_HUGE);
	new_vols = palloc_extended(sizeof(double) * (Size) S * K, MCXT_ALLOC_HUGE);
	weights = palloc_extended(sizeof(double) * (Size) S, MCXT_ALLOC_HUGE);
	for (i = 0; i < S; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		weights[i] = sc[i].weight;
		for (k = 0; k < K; k++)
		{
			int			c = vol_of[kept[k]];

			new_moves[(Size) i * K + k] = moves[(Size) i * U + kept[k]];
			new_vols[(Size) i * K + k] = c >= 0 ? moves[(Size) i * U + c] : 0.0;
		}
	}
	PG_RETURN_POINTER(pm_var_build(K, (const char *const *) kept_names, S, new_moves, new_vols, weights, 1,
								   s->params[PM_P_VAR_CONFIDENCE], (int) s->params[PM_P_VAR_STATISTIC],
								   s->params[PM_P_VAR_BUFFER], (int) s->params[PM_P_VAR_FLOOR_COUNT],
								   pm_var_ageing_days(s)));
}
