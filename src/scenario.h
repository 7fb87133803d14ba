/*
 * scenario.h
 *	  The portmargin.scenario_set type: a margin method, its parameters and
 *	  its expanded scenarios in one varlena value.
 *
 * Layout (version 1): header, nparams doubles, nscenarios PmScenario.  The
 * parameters are method-specific (scenario_params.h; each method's code is
 * in its method file, method.h); the scenarios are expanded once, when the
 * value is built, so revaluation never re-derives them.  Joint sets (the
 * var method) keep their moves among the parameters and are followed by
 * the underlying names, NUL-terminated, in column order.
 */
#ifndef PORTMARGIN_SCENARIO_H
#define PORTMARGIN_SCENARIO_H

#include "postgres.h"
#include "fmgr.h"

#include "method.h"
#include "riskarray.h"
#include "scenario_params.h"

#define PM_SCENARIO_SET_VERSION 1

typedef struct PmScenarioSet
{
	int32		vl_len_;		/* varlena header */
	int16		version;
	int16		method;			/* PmMethodId (riskarray.h) */
	int32		nparams;
	int32		nscenarios;
	double		params[FLEXIBLE_ARRAY_MEMBER];
	/* followed by PmScenario scenarios[nscenarios] */
} PmScenarioSet;

#define PM_SET_SCENARIOS(s) ((PmScenario *) ((s)->params + (s)->nparams))
#define PM_SET_SIZE(nparams, nscen) \
	(offsetof(PmScenarioSet, params) + sizeof(double) * (nparams) + sizeof(PmScenario) * (nscen))

#define DatumGetScenarioSet(d) ((PmScenarioSet *) PG_DETOAST_DATUM(d))
#define PG_GETARG_SCENARIO_SET(n) DatumGetScenarioSet(PG_GETARG_DATUM(n))

/* the set's method (method.h); NULL for a number no method has (an unchecked set) */
static inline const PmMethod *
pm_set_method(const PmScenarioSet *s)
{
	return pm_method(s->method);
}

/* the set as its method's code sees it (a checked set) */
static inline PmSetView
pm_set_view(const PmScenarioSet *s)
{
	PmSetView	v;

	v.method = pm_method(s->method);
	v.params = s->params;
	v.nparams = s->nparams;
	v.sc = PM_SET_SCENARIOS(s);
	v.nscen = s->nscenarios;
	return v;
}

extern char *pm_scenario_label(const PmScenario *sc);
extern char *pm_set_scenario_label(const PmScenarioSet *s, int i);
extern int	pm_kind_arg(const text *kind);
extern int	pm_settlement_arg(const text *settlement);
extern void pm_instrument_args(FunctionCallInfo fcinfo, int first, PmInstrument *ins);
/* the same with the kind and settlement already read (inverse < 0: read it) */
extern void pm_instrument_args_as(FunctionCallInfo fcinfo, int first, int kind, int inverse, PmInstrument *ins);

/* what a portfolio_margin row is (pm_row_kind_arg) */
#define PM_ROW_POSITION 0
#define PM_ROW_ORDER 1
#define PM_ROW_MMP 2
#define PM_ROW_LIABILITY 3
extern int	pm_row_kind_arg(const text *kind, int *row);
extern void pm_reval_params(const PmScenarioSet *s, PmRevalParams *p);
extern void pm_check_scenario_set(const PmScenarioSet *s, Size size);
/* a joint (var) set argument: 22004 if NULL, 22023 naming it if of another method */
extern PmScenarioSet *pm_var_set_arg(FunctionCallInfo fcinfo, int i, const char *name);
extern bool pm_set_is_canonical(const PmScenarioSet *s, char **problem);

/* joint (var) sets */
static inline int
pm_var_nund(const PmScenarioSet *s)
{
	return (int) s->params[PM_P_VAR_NUND];
}

/* move of underlying column u in scenario i */
static inline const double *
pm_var_moves(const PmScenarioSet *s)
{
	return s->params + PM_P_VAR_N;
}

/* NULL when the set has no volatility shifts */
static inline const double *
pm_var_vols(const PmScenarioSet *s)
{
	return s->params[PM_P_VAR_HAS_VOLS] != 0.0
		? s->params + PM_P_VAR_N + (Size) s->nscenarios * pm_var_nund(s) : NULL;
}

/* days by which the set's options age over its horizon (0: none) */
static inline double
pm_var_ageing_days(const PmScenarioSet *s)
{
	return pm_var_ageing_days_p(s->params, s->nparams, s->nscenarios);
}

static inline const char *
pm_var_names(const PmScenarioSet *s)
{
	return (const char *) s + PM_SET_SIZE(s->nparams, s->nscenarios);
}

/* the first index of names[0..n) equal to an earlier name, -1 if none (O(n log n), interruptible) */
extern int	pm_first_repeated_name(char **names, int n);
extern int	pm_var_column(const PmScenarioSet *s, const char *name, int len);
extern int	pm_var_column_arg(const PmScenarioSet *s, const char *name, int len);
extern void pm_var_column_scenarios(const PmScenarioSet *s, int u, PmScenario *out);
extern PmScenarioSet *pm_var_reduced_set(const PmScenarioSet *s);
extern PmScenarioSet *pm_var_with_ageing(const PmScenarioSet *s, double days);
extern void pm_var_seal(PmScenarioSet *s);
extern bool pm_var_same_set(const PmScenarioSet *a, const PmScenarioSet *b);

/*
 * What tells joint sets apart without keeping one (pm_var_same_set compares
 * the same): size, counts and the tail parameters, which include the
 * content hash.  Compare two with memcmp.
 */
typedef struct PmVarId
{
	Size		size;
	int32		nscenarios;
	int32		nparams;
	double		head[PM_P_VAR_N];
} PmVarId;

static inline void
pm_var_id(PmVarId *id, const PmScenarioSet *s)
{
	memset(id, 0, sizeof(*id));
	id->size = VARSIZE(s);
	id->nscenarios = s->nscenarios;
	id->nparams = s->nparams;
	memcpy(id->head, s->params, sizeof(double) * PM_P_VAR_N);
}
extern PmScenarioSet *pm_var_build(int nund, const char *const *names, int nscen, const double *moves,
								   const double *vols, const double *weights, int vol_relative,
								   double confidence, int statistic, double buffer, int floor_count,
								   double ageing_days);

#endif							/* PORTMARGIN_SCENARIO_H */
