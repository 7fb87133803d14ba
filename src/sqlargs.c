/*
 * sqlargs.c
 *	  Validation of SQL arguments: option types and numeric domains.
 */
#include "postgres.h"

#include <math.h>

#include "sqlargs.h"
#include "utils/float.h"
#include "utils/builtins.h"

int
pm_option_type_arg(const text *option_type)
{
	const char *s = VARDATA_ANY(option_type);
	int			len = VARSIZE_ANY_EXHDR(option_type);

	if ((len == 1 && (s[0] == 'c' || s[0] == 'C')) ||
		(len == 4 && pg_strncasecmp(s, "call", 4) == 0))
		return 1;
	if ((len == 1 && (s[0] == 'p' || s[0] == 'P')) ||
		(len == 3 && pg_strncasecmp(s, "put", 3) == 0))
		return -1;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for argument \"option_type\": \"%s\"",
					text_to_cstring(option_type)),
			 errhint("Valid option types are 'call', 'put', 'c' and 'p', in any case.")));
	return 0;					/* not reached */
}

static void
domain_error(const char *name, double value, const char *rule)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for argument \"%s\": %s", name, float8out_internal(value)),
			 errdetail("The argument must be %s.", rule)));
}

double
pm_positive_arg(const char *name, double value)
{
	if (!(isfinite(value) && value > 0.0))
		domain_error(name, value, "a finite number greater than zero");
	return value;
}

double
pm_nonnegative_arg(const char *name, double value)
{
	if (!(isfinite(value) && value >= 0.0))
		domain_error(name, value, "a finite number greater than or equal to zero");
	return value;
}

double
pm_finite_arg(const char *name, double value)
{
	if (!isfinite(value))
		domain_error(name, value, "a finite number");
	return value;
}

double
pm_finite_result(const char *what, double value)
{
	if (!isfinite(value))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s is out of range for type double precision: %s",
						what, float8out_internal(value)),
				 errdetail("The inputs are too extreme for a finite result.")));
	return value;
}
