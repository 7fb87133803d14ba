/*
 * method.c
 *	  The registry of margin methods (pure numeric code): the method number
 *	  a scenario set stores, or the name the text form gives, to its
 *	  PmMethod (method.h); and the wording helpers the methods' argument
 *	  checks share.
 */
#include "method.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* indexed by PmMethodId (riskarray.h) */
const PmMethod *const pm_method_registry[PM_METHOD_MAX + 1] = {
	NULL,
	&pm_method_span,
	&pm_method_tims,
	&pm_method_deribit,
	&pm_method_okx,
	&pm_method_grid,
	&pm_method_var,
};

const PmMethod *
pm_method_by_name(const char *name)
{
	int			id;

	for (id = 1; id <= PM_METHOD_MAX; id++)
		if (strcmp(pm_method_registry[id]->name, name) == 0)
			return pm_method_registry[id];
	return NULL;
}

const char *
pm_method_name(int id)
{
	const PmMethod *m = pm_method(id);

	return m ? m->name : "unknown";
}

bool
pm_set_problem(PmSetProblem *pr, PmSetProblemCode code, const char *param, int element, double value,
			   const char *rule)
{
	pr->code = code;
	pr->param = param;
	pr->element = element;
	pr->value = value;
	pr->rule = rule;
	pr->detail = NULL;
	pr->what = NULL;
	pr->count = 0;
	return false;
}

bool
pm_argument_problem(PmSetProblem *pr, const char *param, const char *fmt,...)
{
	va_list		ap;

	pm_set_problem(pr, PM_SP_ARGUMENT, param, 0, 0.0, NULL);
	va_start(ap, fmt);
	vsnprintf(pr->text, sizeof(pr->text), fmt, ap);
	va_end(ap);
	pr->what = pr->text;
	return false;
}
