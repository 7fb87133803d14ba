/*
 * apc.c
 *	  The 25% minima of EMIR RTS 153/2013 art. 28(1)(a) (the margin buffer)
 *	  and (b) (the weight of stressed observations), enforced by the
 *	  scenario-set constructors; the explicit override is the argument
 *	  emir_minimum => false of with_tail and blend_scenarios (doc/var.md,
 *	  "Anti-procyclicality (EMIR art. 28)").
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "apc.h"

bool
pm_apc_meets_minimum(double value)
{
	return !(value > 0.0 && value < PM_APC_EMIR_MINIMUM);
}

void
pm_apc_check_minimum(const char *argname, double value, const char *point, const char *override)
{
	if (pm_apc_meets_minimum(value))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for argument \"%s\": %s is below the 0.25 minimum of EMIR RTS 153/2013 art. 28(1)(%s)",
					argname, float8out_internal(value), point),
			 errdetail("The argument must be 0 (the tool is not used) or at least 0.25."),
			 override ? errhint("%s", override) : 0));
}

bool
pm_apc_emir_minimum_arg(FunctionCallInfo fcinfo, int i)
{
	if (PG_NARGS() <= i)
		return true;
	if (PG_ARGISNULL(i))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"emir_minimum\" must not be NULL")));
	return PG_GETARG_BOOL(i);
}
