/*
 * scenario.h
 *	  The portmargin.scenario_set type: a margin method, its parameters and
 *	  its expanded scenarios in one varlena value.
 *
 * Layout (version 1): header, nparams doubles, nscenarios PmScenario.  The
 * parameters are method-specific (PM_P_* below); the scenarios are expanded
 * once, when the value is built, so revaluation never re-derives them.
 */
#ifndef PORTMARGIN_SCENARIO_H
#define PORTMARGIN_SCENARIO_H

#include "postgres.h"
#include "fmgr.h"

#include "riskarray.h"
#include "scenario_params.h"

#define PM_SCENARIO_SET_VERSION 1
#define PM_MAX_SCENARIOS 10000

typedef struct PmScenarioSet
{
	int32		vl_len_;		/* varlena header */
	int16		version;
	int16		method;			/* PmMethod */
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

extern const char *pm_method_name(int method);
extern char *pm_scenario_label(const PmScenario *sc);
extern int	pm_kind_arg(const text *kind);
extern int	pm_settlement_arg(const text *settlement);
extern void pm_instrument_args(FunctionCallInfo fcinfo, int first, PmInstrument *ins);
extern void pm_reval_params(const PmScenarioSet *s, PmRevalParams *p);
extern void pm_check_scenario_set(const PmScenarioSet *s, Size size);

#endif							/* PORTMARGIN_SCENARIO_H */
