/*
 * collateral_sql.c
 *	  SQL glue of the collateral valuation (collateral.c): tiered_value().
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/float.h"

#include "collateral.h"
#include "sqlargs.h"

PG_FUNCTION_INFO_V1(portmargin_tiered_value);

/*
 * A one-dimensional float8[] into a palloc'd double[]; a NULL element is
 * INFINITY where null_is_inf (the last upper bound: "no bound"), else an error.
 */
static double *
tier_array(ArrayType *arr, const char *name, int *n, bool null_is_inf)
{
	Datum	   *elems;
	bool	   *nulls;
	double	   *v;
	int			i;

	if (ARR_NDIM(arr) > 1)
		pm_arg_error(name, "a one-dimensional array is required");
	deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, n);
	v = palloc(sizeof(double) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		if (nulls[i])
		{
			if (!null_is_inf || i != *n - 1)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for argument \"%s\": element %d is NULL", name, i + 1),
						 null_is_inf ? errdetail("Only the last tier's upper bound may be NULL (no bound).") : 0));
			v[i] = INFINITY;
		}
		else
			v[i] = DatumGetFloat8(elems[i]);
	}
	return v;
}

/*
 * tiered_value(amount, lower_bounds, upper_bounds, rates, rate_beyond):
 * the value of amount under discount tiers (collateral.h)
 */
Datum
portmargin_tiered_value(PG_FUNCTION_ARGS)
{
	double		amount = PG_GETARG_FLOAT8(0);
	double		rate_beyond = PG_GETARG_FLOAT8(4);
	int			nl,
				nu,
				nr,
				bad;
	double	   *lower,
			   *upper,
			   *rate;
	const char *arg = NULL;
	const char *what = NULL;
	double		value;

	pm_nonnegative_arg("amount", amount);
	if (!(rate_beyond >= 0.0 && rate_beyond <= 1.0))
		pm_domain_error("rate_beyond", rate_beyond, "a discount rate from 0 to 1");
	lower = tier_array(PG_GETARG_ARRAYTYPE_P(1), "lower_bounds", &nl, false);
	upper = tier_array(PG_GETARG_ARRAYTYPE_P(2), "upper_bounds", &nu, true);
	rate = tier_array(PG_GETARG_ARRAYTYPE_P(3), "rates", &nr, false);
	if (nu != nl || nr != nl)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"%s\": %d elements for %d lower_bounds",
						nu != nl ? "upper_bounds" : "rates", nu != nl ? nu : nr, nl),
				 errdetail("One lower bound, upper bound and rate per tier.")));
	switch (pm_tiers_check(nl, lower, upper, rate, &bad))
	{
		case PM_TIERS_OK:
			break;
		case PM_TIERS_EMPTY:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for argument \"lower_bounds\": no tiers"),
					 errdetail("A discount schedule has at least one tier."),
					 errhint("A currency held under a collateral schedule needs rows in portmargin.collateral_tiers (see doc/collateral.md).")));
			break;
		case PM_TIERS_BAD_BOUND:
			arg = !(lower[bad] >= 0.0 && isfinite(lower[bad])) ? "lower_bounds" : "upper_bounds";
			what = "a finite amount >= 0 (an upper bound may be NULL: no bound)";
			break;
		case PM_TIERS_BAD_RATE:
			arg = "rates";
			what = "a discount rate from 0 to 1";
			break;
		case PM_TIERS_FIRST_NOT_ZERO:
			arg = "lower_bounds";
			what = "0 (the first tier starts at 0)";
			break;
		case PM_TIERS_GAP:
			arg = "lower_bounds";
			what = "the previous tier's upper bound (tiers are contiguous, in ascending order)";
			break;
		case PM_TIERS_EMPTY_BAND:
			arg = "upper_bounds";
			what = "greater than the tier's lower bound";
			break;
		case PM_TIERS_UNBOUNDED_NOT_LAST:
			arg = "upper_bounds";
			what = "finite (only the last tier may be unbounded)";
			break;
	}
	if (arg)
	{
		double		v = strcmp(arg, "rates") == 0 ? rate[bad] : strcmp(arg, "lower_bounds") == 0 ? lower[bad] : upper[bad];

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"%s\": element %d is %s", arg, bad + 1, float8out_internal(v)),
				 errdetail("It must be %s.", what)));
	}
	value = pm_tiered_value(amount, nl, lower, upper, rate, rate_beyond);
	PG_RETURN_FLOAT8(pm_finite_result("tiered_value", value));
}
