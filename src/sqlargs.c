/*
 * sqlargs.c
 *	  Validation of SQL arguments: option types and numeric domains.
 */
#include "postgres.h"

#include <math.h>

#include "sqlargs.h"
#include "utils/float.h"
#include "utils/builtins.h"

void
pm_option_type_error(const text *option_type)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for argument \"option_type\": \"%s\"",
					text_to_cstring(option_type)),
			 errhint("Valid option types are 'call', 'put', 'c' and 'p', in any case.")));
	pg_unreachable();
}

void
pm_domain_error(const char *name, double value, const char *rule)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for argument \"%s\": %s", name, float8out_internal(value)),
			 errdetail("The argument must be %s.", rule)));
	pg_unreachable();
}

void
pm_result_error(const char *what, double value)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s is out of range for type double precision: %s",
					what, float8out_internal(value)),
			 errdetail("The inputs are too extreme for a finite result.")));
	pg_unreachable();
}
