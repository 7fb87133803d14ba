/*
 * scenario.c
 *	  The portmargin.scenario_set type: the SQL constructors of every margin
 *	  method, text and binary I/O, equality, inspection, the joint (var)
 *	  sets' layout, and the row-wise risk_array() function.
 *
 * Every method is described by a table of named parameters (PmParamSpec,
 * in its method file; method.h).  The SQL constructors and the text input
 * both fill the same PmSetArgs from that table, check each argument against
 * its parameter's rule and then hand them to the method for its
 * cross-argument rules and the expansion of its scenarios, so validation,
 * defaults and the canonical text form (method(name=value, ...)) have one
 * definition.  The scenarios are expanded when the value is built and
 * stored with it.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "common/hashfn.h"
#include "common/shortest_dec.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"

#include "apc.h"
#include "method.h"
#include "scenario.h"
#include "sqlargs.h"

/* ---- arguments ---- */

/* empty arguments of method m, with the server's memory and interrupt check lent to the method's code */
static void
init_args(PmSetArgs *a, const PmMethod *m)
{
	memset(a, 0, sizeof(*a));
	a->method = m;
	a->alloc = palloc;
	a->tick = pm_check_interrupts;
}

static int
spec_index(const PmParamSpec *spec, const char *name)
{
	int			i;

	for (i = 0; spec[i].name; i++)
		if (strcmp(spec[i].name, name) == 0)
			return i;
	return -1;
}

/*
 * A problem with a set's arguments (method.h) is raised by the
 * constructors (raise_set_problem, ERROR 22023) and reported by the check
 * of a set read from elsewhere (pm_set_is_canonical).  Nothing on the
 * checking path raises an ERROR of its own, so no error has to be caught.
 */

/* the message and detail (or NULL) of a problem of a method's arguments */
static void
set_problem_text(const PmMethod *m, const PmSetProblem *pr, char **message, char **detail)
{
	*detail = NULL;
	switch (pr->code)
	{
		case PM_SP_OK:
			*message = pstrdup("no problem");
			break;
		case PM_SP_MISSING:
			*message = psprintf("%s scenarios need argument \"%s\"", m->name, pr->param);
			break;
		case PM_SP_VALUE:
			*message = psprintf("invalid value for argument \"%s\": %s", pr->param, float8out_internal(pr->value));
			*detail = pr->detail ? pstrdup(pr->detail) : psprintf("The argument must be %s.", pr->rule);
			break;
		case PM_SP_ELEMENT:
			*message = psprintf("invalid value for argument \"%s\": element %d is %s", pr->param, pr->element + 1,
								float8out_internal(pr->value));
			*detail = psprintf("Each element must be %s.", pr->rule);
			break;
		case PM_SP_ARGUMENT:
			*message = psprintf("invalid value for argument \"%s\": %s", pr->param, pr->what);
			break;
		case PM_SP_COUNT:
			*message = psprintf("invalid value for argument \"%s\": the set would have %d scenarios", pr->param, pr->count);
			*detail = psprintf("A %s scenario set has 1 to %d scenarios.", m->name, PM_MAX_SCENARIOS);
			break;
	}
}

static void
raise_set_problem(const PmMethod *m, const PmSetProblem *pr)
{
	char	   *message,
			   *detail;

	set_problem_text(m, pr, &message, &detail);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", message),
			 detail ? errdetail("%s", detail) : 0));
}

#define VALUE_PROBLEM(pr, ps, v, rule) pm_set_problem(pr, PM_SP_VALUE, (ps)->name, 0, v, rule)
#define ELEMENT_PROBLEM(pr, ps, k, e, rule) pm_set_problem(pr, PM_SP_ELEMENT, (ps)->name, k, e, rule)

/* check one argument against its rule */
static bool
param_ok(const PmParamSpec *ps, const PmSetArgs *a, int i, PmSetProblem *pr)
{
	double		v = a->num[i];
	int			k;

	switch (ps->rule)
	{
		case PR_ANY:
			break;
		case PR_POS:
			if (!(isfinite(v) && v > 0.0))
				return VALUE_PROBLEM(pr, ps, v, "a finite number greater than zero");
			break;
		case PR_NONNEG:
			if (!(isfinite(v) && v >= 0.0))
				return VALUE_PROBLEM(pr, ps, v, "a finite number greater than or equal to zero");
			break;
		case PR_UNIT:
			if (!(v >= 0.0 && v <= 1.0))
				return VALUE_PROBLEM(pr, ps, v, "between 0 and 1");
			break;
		case PR_BELOW_ONE:
			if (!(v >= 0.0 && v < 1.0))
				return VALUE_PROBLEM(pr, ps, v, "at least 0 and less than 1");
			break;
		case PR_MOVE:
			if (!(v > 0.0 && v < 1.0))
				return VALUE_PROBLEM(pr, ps, v, "greater than 0 and less than 1");
			break;
		case PR_INT_POS:
			if (!(v >= 1.0 && v <= 1000.0))
				return VALUE_PROBLEM(pr, ps, v, "an integer from 1 to 1000");
			break;
		case PR_INT_EVEN:
			if (!(v >= 2.0 && v <= 1000.0) || fmod(v, 2.0) != 0.0)
				return VALUE_PROBLEM(pr, ps, v, "an even integer from 2 to 1000");
			break;
		case PR_OPEN_UNIT:
			if (!(v > 0.0 && v < 1.0))
				return VALUE_PROBLEM(pr, ps, v, "greater than 0 and less than 1");
			break;
		case PR_INT_NONNEG:
			if (!(v >= 0.0 && v <= PM_MAX_JOINT_SCENARIOS) || v != floor(v))
				return VALUE_PROBLEM(pr, ps, v, "an integer, at least 0");
			break;
		case PR_SHIFTS_OPT:
		case PR_WEIGHTS_OPT:
			for (k = 0; k < a->narr[i]; k++)
			{
				double		e = a->arr[i][k];

				if ((k & 0xFFFF) == 0)
					CHECK_FOR_INTERRUPTS();
				if (!isfinite(e))
					return ELEMENT_PROBLEM(pr, ps, k, e, "a finite number");
				if (ps->rule == PR_WEIGHTS_OPT && !(e >= 0.0 && e <= 1.0))
					return ELEMENT_PROBLEM(pr, ps, k, e, "between 0 and 1");
			}
			break;
		case PR_MOVES:
		case PR_EXT_MOVES:
		case PR_SHIFTS:
		case PR_WEIGHTS:
		case PR_TIERS:
		case PR_TIER_MULTS:
			if (a->narr[i] == 0 && ps->rule != PR_EXT_MOVES)
				return pm_argument_problem(pr, ps->name, "the array is empty");
			for (k = 0; k < a->narr[i]; k++)
			{
				double		e = a->arr[i][k];

				if ((k & 0xFFFF) == 0)
					CHECK_FOR_INTERRUPTS();
				if (!isfinite(e))
					return ELEMENT_PROBLEM(pr, ps, k, e, "a finite number");
				if ((ps->rule == PR_MOVES || ps->rule == PR_EXT_MOVES) && !(e > -1.0))
					return ELEMENT_PROBLEM(pr, ps, k, e, "greater than -1 (a price move above -100%)");
				if (ps->rule == PR_EXT_MOVES && e == 0.0)
					return ELEMENT_PROBLEM(pr, ps, k, e, "different from 0");
				if (ps->rule == PR_WEIGHTS && !(e >= 0.0 && e <= 1.0))
					return ELEMENT_PROBLEM(pr, ps, k, e, "between 0 and 1");
				if (ps->rule == PR_TIER_MULTS && !(e >= 0.0))
					return ELEMENT_PROBLEM(pr, ps, k, e, "at least 0");
				if (ps->rule == PR_TIERS && ((k == 0 && e != 0.0) || (k > 0 && !(e > a->arr[i][k - 1]))))
					return ELEMENT_PROBLEM(pr, ps, k, e, "increasing, starting at 0");
			}
			break;
	}
	return true;
}

static int
name_index_cmp(const void *a, const void *b, void *arg)
{
	char	  **names = (char **) arg;
	int			x = *(const int *) a,
				y = *(const int *) b;
	int			c = strcmp(names[x], names[y]);

	return c != 0 ? c : (x > y) - (x < y);
}

/*
 * The index of the first name equal to an earlier one, or -1: sorted by
 * (name, index), each run of equal names has its earliest repeat second.
 * O(n log n) and interruptible (a joint set may name millions).
 */
int
pm_first_repeated_name(char **names, int n)
{
	int		   *idx;
	int			first = -1,
				i;

	if (n < 2)
		return -1;
	idx = palloc(sizeof(int) * n);
	for (i = 0; i < n; i++)
		idx[i] = i;
	qsort_interruptible(idx, n, sizeof(int), name_index_cmp, names);
	for (i = 1; i < n; i++)
		if (strcmp(names[idx[i]], names[idx[i - 1]]) == 0 && (first < 0 || idx[i] < first))
			first = idx[i];
	pfree(idx);
	return first;
}

/* a joint set's underlying names: not empty, none empty or repeated */
static bool
names_ok(const PmParamSpec *ps, const PmSetArgs *a, PmSetProblem *pr)
{
	int			U = a->nnames;
	int			k,
				j;

	if (U < 1)
		return pm_argument_problem(pr, ps->name, "the array is empty");
	/* the first element (in order) that is empty or repeats an earlier one */
	j = pm_first_repeated_name(a->names, U);
	for (k = 0; k < U && (j < 0 || k <= j); k++)
		if (a->names[k][0] == '\0')
			return pm_argument_problem(pr, ps->name, "element %d is empty", k + 1);
	if (j >= 0)
	{
		pm_set_problem(pr, PM_SP_ARGUMENT, ps->name, 0, 0.0, NULL);
		pr->what = psprintf("\"%s\" appears twice", a->names[j]);
		return false;
	}
	return true;
}

/* fill defaults, check every argument, the names, then the method's cross-argument rules */
static bool
args_ok(PmSetArgs *a, PmSetProblem *pr)
{
	const PmParamSpec *spec = a->method->params;
	int			i;

	for (i = 0; spec[i].name; i++)
	{
		if (!a->given[i])
		{
			if (spec[i].required)
				return pm_set_problem(pr, PM_SP_MISSING, spec[i].name, 0, 0.0, NULL);
			if (spec[i].kind == PK_ARRAY)
			{
				/* a copy: the array may be scaled or kept by the caller */
				a->narr[i] = spec[i].def_count;
				a->arr[i] = palloc(sizeof(double) * Max(spec[i].def_count, 1));
				if (spec[i].def_count > 0)
					memcpy(a->arr[i], spec[i].def_array, sizeof(double) * spec[i].def_count);
				a->given[i] = true;
				/* an omitted optional array (grid weights) may stay empty: all 1 */
				if (spec[i].def_count == 0)
					continue;
			}
			else
				a->num[i] = spec[i].def;
			a->given[i] = true;
		}
		if ((spec[i].kind == PK_NUM || spec[i].kind == PK_INT) && !isfinite(a->num[i]))
			return VALUE_PROBLEM(pr, &spec[i], a->num[i], "a finite number");
		if (!param_ok(&spec[i], a, i, pr))
			return false;
	}
	for (i = 0; spec[i].name; i++)
		if (spec[i].kind == PK_NAMES && !names_ok(&spec[i], a, pr))
			return false;
	return a->method->check == NULL || a->method->check(a, pr);
}

/* the scenario count a method's set may have (joint sets are checked by the method) */
static bool
count_ok(const PmSetArgs *a, PmSetProblem *pr)
{
	const PmMethod *m = a->method;
	int			nscen;

	if (m->joint)
		return true;
	nscen = m->scenario_count(a);
	if (nscen >= 1 && nscen <= PM_MAX_SCENARIOS)
		return true;
	Assert(m->count_param != NULL);
	pm_set_problem(pr, PM_SP_COUNT, m->count_param, 0, 0.0, NULL);
	pr->count = nscen;
	return false;
}

/* the constructors' check: ERROR 22023 naming the argument */
static void
complete_args(PmSetArgs *a)
{
	PmSetProblem pr;

	if (!args_ok(a, &pr) || !count_ok(a, &pr))
		raise_set_problem(a->method, &pr);
}

/* ---- building the value ---- */

static PmScenarioSet *
alloc_set(int method, int nparams, int nscen)
{
	Size		size = PM_SET_SIZE(nparams, nscen);
	PmScenarioSet *s;

	Assert(nscen >= 1 && nscen <= PM_MAX_SCENARIOS);	/* count_ok */
	s = (PmScenarioSet *) palloc0(size);
	SET_VARSIZE(s, size);
	s->version = PM_SCENARIO_SET_VERSION;
	s->method = method;
	s->nparams = nparams;
	s->nscenarios = nscen;
	return s;
}

/* ERROR unless a joint set of these sizes stays below 1 GB (values: doubles of moves and shifts) */
static void
check_joint_size(int nscen, int nund, double values, Size names_len)
{
	if (values * 8.0 + 32.0 * nscen + names_len > (double) (MaxAllocSize - 4096))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a scenario set of %d scenarios x %d underlyings is larger than 1 GB", nscen, nund)));
}

/*
 * A joint set: the method's parameters and scenarios (which hold the moves
 * and shifts: values of generated sets are checked here), then the
 * underlying names, NUL-terminated, then the hash of it all.
 */
static PmScenarioSet *
build_joint_set(const PmSetArgs *a)
{
	const PmMethod *m = a->method;
	int			nscen = m->scenario_count(a);
	int			nund = a->nnames;
	Size		nparams = m->param_count(a);
	Size		names_len = 0;
	Size		cells,
				c,
				size;
	const double *moves,
			   *vols;
	PmScenarioSet *s;
	char	   *p;
	int			i;

	for (i = 0; i < nund; i++)
		names_len += strlen(a->names[i]) + 1;
	check_joint_size(nscen, nund, (double) (nparams - PM_P_VAR_N), names_len);
	size = PM_SET_SIZE(nparams, nscen) + names_len;

	/*
	 * Up to 1 GB: not palloc0 (an uninterruptible memset); every byte is
	 * written below, the header first.
	 */
	s = (PmScenarioSet *) palloc(size);
	memset(s, 0, PM_SET_SIZE(0, 0));
	SET_VARSIZE(s, size);
	s->version = PM_SCENARIO_SET_VERSION;
	s->method = m->id;
	s->nparams = nparams;
	s->nscenarios = nscen;
	m->expand(a, s->params, PM_SET_SCENARIOS(s));

	/* generated moves (Monte Carlo with huge volatilities) can overflow or round to -100% */
	cells = (Size) nscen * nund;
	moves = pm_var_moves(s);
	vols = pm_var_vols(s);
	for (c = 0; c < cells; c++)
	{
		if ((c & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (!(isfinite(moves[c]) && moves[c] > -1.0) || (vols && !isfinite(vols[c])))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("joint scenario %d %s underlying \"%s\" by %s, out of range", (int) (c / nund) + 1,
							isfinite(moves[c]) && moves[c] > -1.0 ? "shifts the volatility of" : "moves",
							a->names[c % nund], float8out_internal(isfinite(moves[c]) && moves[c] > -1.0 ? vols[c] : moves[c])),
					 errdetail("A move must be finite and above -100%%, a volatility shift finite; the inputs are too extreme.")));
	}
	p = (char *) s + PM_SET_SIZE(nparams, nscen);
	for (i = 0; i < nund; i++)
	{
		strcpy(p, a->names[i]);
		p += strlen(a->names[i]) + 1;
	}
	pm_var_seal(s);
	return s;
}

/* the set of checked arguments */
static PmScenarioSet *
build_set(const PmSetArgs *a)
{
	const PmMethod *m = a->method;
	PmScenarioSet *s;

	if (m->joint)
		return build_joint_set(a);
	s = alloc_set(m->id, m->param_count(a), m->scenario_count(a));
	m->expand(a, s->params, PM_SET_SCENARIOS(s));
	return s;
}

/*
 * A joint (var) set: moves[i * nund + u] moves underlying u in scenario i;
 * vols (NULL for none) likewise; weights (NULL: all 1) are relative within
 * each group.  Arguments are already validated, but generated moves may be
 * out of range.
 */
PmScenarioSet *
pm_var_build(int nund, const char *const *names, int nscen, const double *moves,
			 const double *vols, const double *weights, int vol_relative,
			 double confidence, int statistic, double buffer, int floor_count, double ageing_days)
{
	Size		names_len = 0;
	PmSetArgs	a;
	int			i;

	if (nscen < 1 || nscen > PM_MAX_JOINT_SCENARIOS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a joint scenario set needs 1 to %d scenarios, got %d", PM_MAX_JOINT_SCENARIOS, nscen)));
	for (i = 0; i < nund; i++)
		names_len += strlen(names[i]) + 1;
	/* before the counts are kept as int */
	check_joint_size(nscen, nund, (double) nscen * nund * (vols ? 2 : 1), names_len);
	init_args(&a, &pm_method_var);
	pm_var_args(&a, nund, (char **) names, nscen, moves, vols, weights, vol_relative, confidence, statistic,
				buffer, floor_count, ageing_days);
	return build_joint_set(&a);
}

/* joint sets are hashed in pieces of this size, with an interrupt check between pieces */
#define PM_HASH_PIECE ((Size) 16 * 1024 * 1024)

/*
 * (Re)compute a joint set's content hash, after any change to it: the set's
 * bytes (the hash field zeroed) through hash_bytes_extended, seed 0x706d,
 * in pieces of 16 MB, the hash of each piece the seed of the next.  A set of
 * up to 16 MB (2,500 days x 100 underlyings, 100,000 Monte Carlo scenarios
 * x 10 underlyings) is one piece: its hash is the one 0.3.0 computed.
 */
void
pm_var_seal(PmScenarioSet *s)
{
	const unsigned char *p = (const unsigned char *) s + VARHDRSZ;
	Size		len = VARSIZE(s) - VARHDRSZ;
	uint64		h = 0x706d;

	memset(&s->params[PM_P_VAR_HASH], 0, sizeof(double));
	do
	{
		Size		n = Min(len, PM_HASH_PIECE);

		CHECK_FOR_INTERRUPTS();
		h = hash_bytes_extended(p, (int) n, h);
		p += n;
		len -= n;
	} while (len > 0);
	memcpy(&s->params[PM_P_VAR_HASH], &h, sizeof(h));
}

/*
 * Two joint sets (full or reduced) are the same when their sizes, tail
 * parameters and content hashes agree: a 64-bit hash of sets that may be
 * hundreds of megabytes, instead of comparing every byte.
 */
bool
pm_var_same_set(const PmScenarioSet *a, const PmScenarioSet *b)
{
	return VARSIZE(a) == VARSIZE(b) && a->nscenarios == b->nscenarios && a->nparams == b->nparams &&
		memcmp(a->params, b->params, sizeof(double) * PM_P_VAR_N) == 0;
}

/* the column of an underlying in a joint set, -1 if it has none */
int
pm_var_column(const PmScenarioSet *s, const char *name, int len)
{
	const char *p = pm_var_names(s);
	int			u,
				n = pm_var_nund(s);

	for (u = 0; u < n; u++)
	{
		int			l = strlen(p);

		if (l == len && memcmp(p, name, len) == 0)
			return u;
		p += l + 1;
	}
	return -1;
}

/*
 * What a margin state keeps of a joint set: the tail parameters and the
 * scenarios' weights and groups, not the moves; a hash of the full set
 * tells different sets apart.
 */
PmScenarioSet *
pm_var_reduced_set(const PmScenarioSet *s)
{
	int			nparams = PM_P_VAR_N;
	Size		size = PM_SET_SIZE(nparams, s->nscenarios);
	PmScenarioSet *r = (PmScenarioSet *) palloc(size);	/* every byte is written */
	PmScenario *sc;
	int			i;

	memset(r, 0, PM_SET_SIZE(0, 0));
	SET_VARSIZE(r, size);
	r->version = PM_SCENARIO_SET_VERSION;
	r->method = s->method;
	r->nparams = nparams;
	r->nscenarios = s->nscenarios;
	memcpy(r->params, s->params, sizeof(double) * PM_P_VAR_N);	/* with the full set's hash */
	r->params[PM_P_VAR_NUND] = 0;
	r->params[PM_P_VAR_HAS_VOLS] = 0;
	sc = PM_SET_SCENARIOS(r);
	pm_copy_interruptible(sc, PM_SET_SCENARIOS(s), sizeof(PmScenario) * s->nscenarios);
	for (i = 0; i < r->nscenarios; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		sc[i].vol_rule = PM_VOL_NONE;
	}
	return r;
}

/*
 * The joint set s with its options ageing by days (0: none) over the
 * horizon: the same bytes but the ageing parameter, which a set holds only
 * when it is not 0 (scenario_params.h), resealed.
 */
PmScenarioSet *
pm_var_with_ageing(const PmScenarioSet *s, double days)
{
	int			base = (int) pm_var_base_count_p(s->params, s->nscenarios);
	int			nparams = base + (days != 0.0 ? 1 : 0);
	Size		scen_len = sizeof(PmScenario) * s->nscenarios,
				names_len = VARSIZE(s) - PM_SET_SIZE(s->nparams, s->nscenarios),
				size = PM_SET_SIZE(nparams, s->nscenarios) + names_len;
	PmScenarioSet *r = (PmScenarioSet *) palloc_extended(size, MCXT_ALLOC_HUGE);	/* every byte is written */

	pm_copy_interruptible(r, s, PM_SET_SIZE(base, 0));
	SET_VARSIZE(r, size);
	r->nparams = nparams;
	if (days != 0.0)
		r->params[base] = days;
	pm_copy_interruptible(PM_SET_SCENARIOS(r), PM_SET_SCENARIOS(s), scen_len);
	pm_copy_interruptible((char *) r + PM_SET_SIZE(nparams, s->nscenarios),
						  (const char *) s + PM_SET_SIZE(s->nparams, s->nscenarios), names_len);
	pm_var_seal(r);
	return r;
}

/* ---- reading a value back into arguments (for the canonical text form) ---- */

static void
set_args_from_value(const PmScenarioSet *s, PmSetArgs *a)
{
	const PmMethod *m = pm_set_method(s);
	PmSetView	view = pm_set_view(s);
	int			k;

	init_args(a, m);
	if (m->joint)
	{
		int			U = pm_var_nund(s);
		const char *np = pm_var_names(s);

		a->nnames = U;
		a->names = palloc(sizeof(char *) * Max(U, 1));
		for (k = 0; k < U; k++)
		{
			if ((k & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			a->names[k] = (char *) np;
			np += strlen(np) + 1;
		}
	}
	m->read_args(&view, a);
}

static void
append_double(StringInfo buf, double v)
{
	char		tmp[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(v, tmp);
	appendStringInfoString(buf, tmp);
}

static char *
scenario_set_to_text(const PmScenarioSet *s)
{
	const PmParamSpec *spec = pm_set_method(s)->params;
	StringInfoData buf;
	PmSetArgs	a;
	int			i,
				k;

	set_args_from_value(s, &a);
	initStringInfo(&buf);
	appendStringInfo(&buf, "%s(", pm_set_method(s)->name);
	for (i = 0; spec[i].name; i++)
	{
		if ((spec[i].flags & PM_PARAM_OMIT_DEFAULT) && a.num[i] == spec[i].def)
			continue;
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfo(&buf, "%s=", spec[i].name);
		switch (spec[i].kind)
		{
			case PK_NUM:
				append_double(&buf, a.num[i]);
				break;
			case PK_INT:
				/* an integer parameter of a checked set; anything else printed as it is */
				if (a.num[i] >= 0.0 && a.num[i] <= PM_MAX_JOINT_SCENARIOS && a.num[i] == floor(a.num[i]))
					appendStringInfo(&buf, "%d", (int) a.num[i]);
				else
					append_double(&buf, a.num[i]);
				break;
			case PK_VOLRULE:
				appendStringInfoString(&buf, a.num[i] > 0.0 ? "relative" : "absolute");
				break;
			case PK_STAT:
				appendStringInfoString(&buf, a.num[i] > 0.0 ? "es" : "var");
				break;
			case PK_NAMES:
				appendStringInfoChar(&buf, '{');
				for (k = 0; k < a.nnames; k++)
				{
					const char *c;

					if ((k & 0xFFFF) == 0)
						CHECK_FOR_INTERRUPTS();
					if (k > 0)
						appendStringInfoChar(&buf, ',');
					appendStringInfoChar(&buf, '"');
					for (c = a.names[k]; *c; c++)
					{
						if (*c == '"' || *c == '\\')
							appendStringInfoChar(&buf, '\\');
						appendStringInfoChar(&buf, *c);
					}
					appendStringInfoChar(&buf, '"');
				}
				appendStringInfoChar(&buf, '}');
				break;
			case PK_ARRAY:
				appendStringInfoChar(&buf, '{');
				for (k = 0; k < a.narr[i]; k++)
				{
					if ((k & 0xFFFF) == 0)
						CHECK_FOR_INTERRUPTS();
					if (k > 0)
						appendStringInfoChar(&buf, ',');
					append_double(&buf, a.arr[i][k]);
				}
				appendStringInfoChar(&buf, '}');
				break;
		}
	}
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

/* ---- text input: method(name=value, ...) ---- */

static void
syntax_error(const char *input, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type scenario_set: \"%s\"", input),
			 errdetail("%s", what)));
}

static const char *
skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *
read_word(const char *p, char *out, int outlen)
{
	int			n = 0;

	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == '-' ||
		   (n > 0 && *p >= '0' && *p <= '9'))
	{
		if (n < outlen - 1)
			out[n++] = pg_ascii_tolower((unsigned char) *p);
		p++;
	}
	out[n] = '\0';
	return p;
}

static const char *
read_number(const char *input, const char *p, double *v)
{
	char	   *end;

	errno = 0;
	*v = strtod(p, &end);
	if (end == p)
		syntax_error(input, "a number was expected");
	return end;
}

/* the methods' names: "a, b and c" */
static char *
method_list(void)
{
	StringInfoData buf;
	const PmMethod *m;
	int			id;

	initStringInfo(&buf);
	for (id = 1; (m = pm_method(id)) != NULL; id++)
	{
		if (id > 1)
			appendStringInfoString(&buf, pm_method(id + 1) ? ", " : " and ");
		appendStringInfoString(&buf, m->name);
	}
	return buf.data;
}

static PmScenarioSet *
scenario_set_from_text(const char *input)
{
	PmSetArgs	a;
	const PmParamSpec *spec;
	const PmMethod *m;
	char		word[64];
	const char *p = skip_space(input);

	p = read_word(p, word, sizeof(word));
	m = pm_method_by_name(word);
	if (m == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown margin method \"%s\"", word),
				 errhint("Valid methods are %s.", method_list())));
	init_args(&a, m);
	spec = m->params;
	p = skip_space(p);
	if (*p++ != '(')
		syntax_error(input, "\"(\" was expected after the method name");
	p = skip_space(p);
	while (*p != ')')
	{
		int			i;

		p = read_word(p, word, sizeof(word));
		i = spec_index(spec, word);
		if (i < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s scenarios have no parameter \"%s\"", m->name, word)));
		p = skip_space(p);
		if (*p++ != '=')
			syntax_error(input, "\"=\" was expected after a parameter name");
		p = skip_space(p);
		if (spec[i].kind == PK_ARRAY)
		{
			int			cap = 8;

			if (*p++ != '{')
				syntax_error(input, "an array {a,b,...} was expected");
			a.arr[i] = palloc(sizeof(double) * cap);
			a.narr[i] = 0;
			p = skip_space(p);
			while (*p != '}')
			{
				if ((a.narr[i] & 0xFFFF) == 0)
					CHECK_FOR_INTERRUPTS();
				if (a.narr[i] == cap)
				{
					cap *= 2;
					a.arr[i] = repalloc(a.arr[i], sizeof(double) * cap);
				}
				p = skip_space(read_number(input, skip_space(p), &a.arr[i][a.narr[i]++]));
				if (*p == ',')
					p++;
				else if (*p != '}')
					syntax_error(input, "\",\" or \"}\" was expected in an array");
			}
			p++;
		}
		else if (spec[i].kind == PK_NAMES)
		{
			int			cap = 8;
			StringInfoData nm;

			if (*p++ != '{')
				syntax_error(input, "an array {\"a\",\"b\",...} was expected");
			initStringInfo(&nm);
			a.names = palloc(sizeof(char *) * cap);
			a.nnames = 0;
			p = skip_space(p);
			while (*p != '}')
			{
				if ((a.nnames & 0xFFFF) == 0)
					CHECK_FOR_INTERRUPTS();
				resetStringInfo(&nm);
				if (*p == '"')
				{
					for (p++; *p && *p != '"'; p++)
					{
						if (*p == '\\' && p[1])
							p++;
						appendStringInfoChar(&nm, *p);
					}
					if (*p++ != '"')
						syntax_error(input, "an unterminated quoted name");
				}
				else
					for (; *p && *p != ',' && *p != '}' && *p != ' '; p++)
						appendStringInfoChar(&nm, *p);
				if (a.nnames == cap)
				{
					cap *= 2;
					a.names = repalloc(a.names, sizeof(char *) * cap);
				}
				a.names[a.nnames++] = pstrdup(nm.data);	/* not nm's 1 kB buffer per name */
				p = skip_space(p);
				if (*p == ',')
					p = skip_space(p + 1);
				else if (*p != '}')
					syntax_error(input, "\",\" or \"}\" was expected in a name array");
			}
			p++;
		}
		else if (spec[i].kind == PK_STAT)
		{
			p = read_word(p, word, sizeof(word));
			if (strcmp(word, "es") == 0)
				a.num[i] = 1;
			else if (strcmp(word, "var") == 0)
				a.num[i] = 0;
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for argument \"statistic\": \"%s\"", word),
						 errhint("Valid statistics are es (expected shortfall) and var.")));
		}
		else if (spec[i].kind == PK_VOLRULE)
		{
			p = read_word(p, word, sizeof(word));
			if (strcmp(word, "absolute") == 0)
				a.num[i] = 0;
			else if (strcmp(word, "relative") == 0)
				a.num[i] = 1;
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for argument \"vol_rule\": \"%s\"", word),
						 errhint("Valid volatility rules are absolute and relative.")));
		}
		else
			p = read_number(input, p, &a.num[i]);
		a.given[i] = true;
		p = skip_space(p);
		if (*p == ',')
			p = skip_space(p + 1);
		else if (*p != ')')
			syntax_error(input, "\",\" or \")\" was expected");
	}
	p = skip_space(p + 1);
	if (*p != '\0')
		syntax_error(input, "unexpected text after \")\"");
	complete_args(&a);
	return build_set(&a);
}

/* ---- SQL: constructors ---- */

/* read a constructor's arguments, in spec order, from fcinfo */
static PmScenarioSet *
construct(FunctionCallInfo fcinfo, const PmMethod *m)
{
	const PmParamSpec *spec = m->params;
	PmSetArgs	a;
	int			i;

	init_args(&a, m);
	/*
	 * a function declared with fewer arguments than the method has
	 * parameters (an older version's SQL over this library) leaves the rest
	 * at their defaults
	 */
	for (i = 0; spec[i].name && i < PG_NARGS(); i++)
	{
		if (PG_ARGISNULL(i))
		{
			if (spec[i].flags & PM_PARAM_NULL_IS_EMPTY)
				continue;		/* e.g. NULL weights: all 1 */
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument \"%s\" must not be NULL", spec[i].name)));
		}
		a.given[i] = true;
		switch (spec[i].kind)
		{
			case PK_NUM:
				a.num[i] = PG_GETARG_FLOAT8(i);
				break;
			case PK_INT:
				a.num[i] = PG_GETARG_INT32(i);
				break;
			case PK_VOLRULE:
				{
					char	   *r = text_to_cstring(PG_GETARG_TEXT_PP(i));

					if (pg_strcasecmp(r, "absolute") == 0)
						a.num[i] = 0;
					else if (pg_strcasecmp(r, "relative") == 0)
						a.num[i] = 1;
					else
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("invalid value for argument \"vol_rule\": \"%s\"", r),
								 errhint("Valid volatility rules are absolute and relative.")));
					break;
				}
			case PK_STAT:
				{
					char	   *r = text_to_cstring(PG_GETARG_TEXT_PP(i));

					if (pg_strcasecmp(r, "es") == 0 || pg_strcasecmp(r, "expected_shortfall") == 0)
						a.num[i] = 1;
					else if (pg_strcasecmp(r, "var") == 0)
						a.num[i] = 0;
					else
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("invalid value for argument \"statistic\": \"%s\"", r),
								 errhint("Valid statistics are es (expected shortfall) and var.")));
					break;
				}
			case PK_NAMES:
				{
					ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(i);
					Datum	   *elems;
					bool	   *nulls;
					int			k;

					if (ARR_NDIM(arr) > 1)
						pm_arg_error(spec[i].name, "the array must have one dimension");
					deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &a.nnames);
					a.names = palloc(sizeof(char *) * Max(a.nnames, 1));
					for (k = 0; k < a.nnames; k++)
					{
						if (nulls[k])
							pm_arg_error(spec[i].name, psprintf("element %d is NULL", k + 1));
						if ((k & 0xFFFF) == 0)
							CHECK_FOR_INTERRUPTS();
						a.names[k] = TextDatumGetCString(elems[k]);
					}
					break;
				}
			case PK_ARRAY:
				{
					ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(i);
					Datum	   *elems;
					bool	   *nulls;
					int			k;

					/* joint moves and shifts may come as [scenario][underlying] */
					if (ARR_NDIM(arr) == 2 && (spec[i].flags & PM_PARAM_MATRIX))
						a.cols[i] = ARR_DIMS(arr)[1];
					else if (ARR_NDIM(arr) > 1)
						pm_arg_error(spec[i].name, "the array must have one dimension");
					if (!ARR_HASNULL(arr))
					{
						/* the doubles as they are stored (up to 1 GB: copied interruptibly) */
						a.narr[i] = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
						a.arr[i] = palloc(sizeof(double) * Max(a.narr[i], 1));
						pm_copy_interruptible(a.arr[i], ARR_DATA_PTR(arr), sizeof(double) * a.narr[i]);
						break;
					}
					deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
									  &elems, &nulls, &a.narr[i]);
					a.arr[i] = palloc(sizeof(double) * Max(a.narr[i], 1));
					for (k = 0; k < a.narr[i]; k++)
					{
						if (nulls[k])
							pm_arg_error(spec[i].name, psprintf("element %d is NULL", k + 1));
						a.arr[i][k] = DatumGetFloat8(elems[k]);
					}
					break;
				}
		}
	}
	complete_args(&a);
	return build_set(&a);
}

PG_FUNCTION_INFO_V1(portmargin_span_scenarios);
Datum
portmargin_span_scenarios(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(construct(fcinfo, &pm_method_span));
}

PG_FUNCTION_INFO_V1(portmargin_tims_scenarios);
Datum
portmargin_tims_scenarios(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(construct(fcinfo, &pm_method_tims));
}

PG_FUNCTION_INFO_V1(portmargin_deribit_scenarios);
Datum
portmargin_deribit_scenarios(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(construct(fcinfo, &pm_method_deribit));
}

PG_FUNCTION_INFO_V1(portmargin_okx_scenarios);
Datum
portmargin_okx_scenarios(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(construct(fcinfo, &pm_method_okx));
}

PG_FUNCTION_INFO_V1(portmargin_grid_scenarios);
Datum
portmargin_grid_scenarios(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(construct(fcinfo, &pm_method_grid));
}

PG_FUNCTION_INFO_V1(portmargin_var_scenarios);
Datum
portmargin_var_scenarios(PG_FUNCTION_ARGS)
{
	PmScenarioSet *s = construct(fcinfo, &pm_method_var);

	/* EMIR RTS 153/2013 art. 28(1)(a): the override is with_tail(..., emir_minimum => false) */
	pm_apc_check_minimum("buffer", s->params[PM_P_VAR_BUFFER], "a",
						 "A smaller buffer is an explicit choice: build the set with buffer 0, then portmargin.with_tail(set, confidence, statistic, buffer, emir_minimum => false).");
	PG_RETURN_POINTER(s);
}

/* ---- SQL: I/O and equality ---- */

/*
 * A value that did not come from build_set (binary input, disk) is checked:
 * sizes and the counts kept among the parameters (before anything converts
 * them to int or indexes with them), and a joint set's tail parameters.
 */
void
pm_check_scenario_set(const PmScenarioSet *s, Size size)
{
	const PmMethod *m = NULL;
	bool		ok;

	if (size < offsetof(PmScenarioSet, params) || s->version != PM_SCENARIO_SET_VERSION ||
		(m = pm_set_method(s)) == NULL || s->nparams < 0 || s->nscenarios < 1)
		ok = false;
	else if (!m->joint)
		ok = s->nscenarios <= PM_MAX_SCENARIOS && size == PM_SET_SIZE(s->nparams, s->nscenarios) &&
			m->layout_ok(s->params, s->nparams, s->nscenarios);
	else
	{
		/* joint: the parameter count matches the moves, the names fill the rest */
		Size		base = PM_SET_SIZE(s->nparams, s->nscenarios);

		ok = s->nscenarios <= PM_MAX_JOINT_SCENARIOS && s->nparams >= PM_P_VAR_N && size >= base &&
			size >= PM_SET_SIZE(PM_P_VAR_N, 0);
		if (ok)
		{
			double		U = s->params[PM_P_VAR_NUND];
			double		hv = s->params[PM_P_VAR_HAS_VOLS];

			/* and the ageing, when not 0 (var_layout_ok checks its value) */
			ok = U >= 1 && U == floor(U) && (hv == 0 || hv == 1) &&
				((double) s->nparams == pm_var_base_count_p(s->params, s->nscenarios) ||
				 (double) s->nparams == pm_var_base_count_p(s->params, s->nscenarios) + 1);
		}
		/* the method's parameters (a joint set's tail parameters) */
		if (ok)
			ok = m->layout_ok(s->params, s->nparams, s->nscenarios);
		if (ok)
		{
			const char *p = (const char *) s + base;
			const char *end = (const char *) s + size;
			int			n = 0;

			while (p < end && ok)
			{
				const char *z = memchr(p, '\0', end - p);

				ok = z != NULL && z > p;
				p = ok ? z + 1 : end;
				n++;
			}
			ok = ok && n == (int) s->params[PM_P_VAR_NUND];
		}
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid scenario_set value")));
}

/*
 * Whether s is a set its constructor would build: the parameter layout fits
 * the method, the parameters pass the constructor's checks, and rebuilding
 * the set from them gives the same bytes.  For values that did not come
 * from the constructors (a margin state from another server or from text).
 * Not for joint (var) sets.  When not, *problem says why.  Nothing here
 * raises an ERROR (but out of memory or a query cancel), so nothing needs
 * to be caught.
 */
bool
pm_set_is_canonical(const PmScenarioSet *s, char **problem)
{
	const PmMethod *m = pm_set_method(s);
	PmSetArgs	a;
	PmSetProblem pr;
	PmScenarioSet *r;
	int			i;

	if (!m->layout_ok(s->params, s->nparams, s->nscenarios))
	{
		*problem = psprintf("%d parameters do not fit the %s method's layout", s->nparams, m->name);
		return false;
	}
	set_args_from_value(s, &a);
	for (i = 0; i < PM_MAX_PARAMS; i++)
		a.given[i] = true;
	if (!args_ok(&a, &pr) || !count_ok(&a, &pr))
	{
		char	   *message,
				   *detail;

		set_problem_text(m, &pr, &message, &detail);
		*problem = detail ? psprintf("%s (%s)", message, detail) : message;
		return false;
	}
	r = build_set(&a);
	if (VARSIZE(r) != VARSIZE(s) || memcmp(r, s, VARSIZE(s)) != 0)
	{
		*problem = pstrdup("its scenarios are not the ones its parameters give");
		return false;
	}
	return true;
}

PG_FUNCTION_INFO_V1(portmargin_scenario_set_in);
Datum
portmargin_scenario_set_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(scenario_set_from_text(PG_GETARG_CSTRING(0)));
}

PG_FUNCTION_INFO_V1(portmargin_scenario_set_out);
Datum
portmargin_scenario_set_out(PG_FUNCTION_ARGS)
{
	PmScenarioSet *s = PG_GETARG_SCENARIO_SET(0);

	pm_check_scenario_set(s, VARSIZE(s));
	PG_RETURN_CSTRING(scenario_set_to_text(s));
}

/* binary form: the canonical text, rebuilt and validated on receipt */
PG_FUNCTION_INFO_V1(portmargin_scenario_set_recv);
Datum
portmargin_scenario_set_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version;
	const char *txt;
	int			len;

	/* checked here, not by pq_getmsg*, whose complaints are protocol errors (08P01) */
	if (buf->cursor >= buf->len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary scenario_set: no version byte")));
	version = pq_getmsgbyte(buf);
	if (version != PM_SCENARIO_SET_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported scenario_set binary version %d", version)));
	txt = buf->data + buf->cursor;
	len = strnlen(txt, buf->len - buf->cursor);
	if (len != buf->len - buf->cursor - 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary scenario_set: the text form must end with the one NUL byte of the value")));
	buf->cursor = buf->len;
	PG_RETURN_POINTER(scenario_set_from_text(pg_client_to_server(txt, len)));
}

PG_FUNCTION_INFO_V1(portmargin_scenario_set_send);
Datum
portmargin_scenario_set_send(PG_FUNCTION_ARGS)
{
	PmScenarioSet *s = PG_GETARG_SCENARIO_SET(0);
	StringInfoData buf;

	pm_check_scenario_set(s, VARSIZE(s));
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, PM_SCENARIO_SET_VERSION);
	pq_sendstring(&buf, scenario_set_to_text(s));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static bool
scenario_sets_equal(const PmScenarioSet *a, const PmScenarioSet *b)
{
	return VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

/* a total order (bytes, then length), so sets can be sorted, grouped and indexed */
static int
scenario_set_cmp_internal(const PmScenarioSet *a, const PmScenarioSet *b)
{
	Size		la = VARSIZE(a),
				lb = VARSIZE(b);
	int			c = memcmp(a, b, Min(la, lb));

	if (c != 0)
		return c < 0 ? -1 : 1;
	return la < lb ? -1 : (la > lb ? 1 : 0);
}

PG_FUNCTION_INFO_V1(portmargin_scenario_set_cmp);
Datum
portmargin_scenario_set_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(scenario_set_cmp_internal(PG_GETARG_SCENARIO_SET(0), PG_GETARG_SCENARIO_SET(1)));
}

PG_FUNCTION_INFO_V1(portmargin_scenario_set_lt);
Datum
portmargin_scenario_set_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(scenario_set_cmp_internal(PG_GETARG_SCENARIO_SET(0), PG_GETARG_SCENARIO_SET(1)) < 0);
}

PG_FUNCTION_INFO_V1(portmargin_scenario_set_le);
Datum
portmargin_scenario_set_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(scenario_set_cmp_internal(PG_GETARG_SCENARIO_SET(0), PG_GETARG_SCENARIO_SET(1)) <= 0);
}

PG_FUNCTION_INFO_V1(portmargin_scenario_set_gt);
Datum
portmargin_scenario_set_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(scenario_set_cmp_internal(PG_GETARG_SCENARIO_SET(0), PG_GETARG_SCENARIO_SET(1)) > 0);
}

PG_FUNCTION_INFO_V1(portmargin_scenario_set_ge);
Datum
portmargin_scenario_set_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(scenario_set_cmp_internal(PG_GETARG_SCENARIO_SET(0), PG_GETARG_SCENARIO_SET(1)) >= 0);
}

PG_FUNCTION_INFO_V1(portmargin_scenario_set_eq);
Datum
portmargin_scenario_set_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(scenario_sets_equal(PG_GETARG_SCENARIO_SET(0), PG_GETARG_SCENARIO_SET(1)));
}

PG_FUNCTION_INFO_V1(portmargin_scenario_set_ne);
Datum
portmargin_scenario_set_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!scenario_sets_equal(PG_GETARG_SCENARIO_SET(0), PG_GETARG_SCENARIO_SET(1)));
}

PG_FUNCTION_INFO_V1(portmargin_scenario_set_hash);
Datum
portmargin_scenario_set_hash(PG_FUNCTION_ARGS)
{
	PmScenarioSet *s = PG_GETARG_SCENARIO_SET(0);

	PG_RETURN_DATUM(hash_any((unsigned char *) s + VARHDRSZ, VARSIZE(s) - VARHDRSZ));
}

/* ---- SQL: inspection ---- */

void
pm_reval_params(const PmScenarioSet *s, PmRevalParams *p)
{
	const PmMethod *m = pm_set_method(s);

	memset(p, 0, sizeof(*p));
	p->dte_floor = 1.0;
	p->tick = pm_check_interrupts;	/* a joint set's risk array can take seconds */
	if (m->reval_params)
	{
		PmSetView	view = pm_set_view(s);

		m->reval_params(&view, p);
	}
}

static const char *
vol_rule_name(int rule)
{
	switch (rule)
	{
		case PM_VOL_ABSOLUTE:
			return "absolute";
		case PM_VOL_RELATIVE:
			return "relative";
		case PM_VOL_TERM_UP:
			return "term_up";
		case PM_VOL_TERM_DOWN:
			return "term_down";
	}
	return "none";
}

/*
 * 100 x as a signed number of 4 significant digits and then unit; 100 x
 * overflows for |x| > 1.8e306, so then the power of ten is printed apart
 * (1e308 -> "+1e+310%", not "+Infinity%")
 */
static void
append_hundredfold(StringInfo buf, double x, const char *unit)
{
	double		p = x * 100.0;

	if (isfinite(p))
		appendStringInfo(buf, "%+.4g%s", p, unit);
	else
	{
		int			e = (int) floor(log10(fabs(x)));

		appendStringInfo(buf, "%+.4ge%+d%s", x / pow(10.0, e), e + 2, unit);
	}
}

char *
pm_scenario_label(const PmScenario *sc)
{
	StringInfoData buf;

	initStringInfo(&buf);
	append_hundredfold(&buf, sc->move, "%");
	switch (sc->vol_rule)
	{
		case PM_VOL_ABSOLUTE:
			if (sc->vol_shift == 0.0)
				appendStringInfoString(&buf, " vol same");
			else
			{
				appendStringInfo(&buf, " vol %s ", sc->vol_shift > 0 ? "up" : "down");
				append_hundredfold(&buf, sc->vol_shift, " pts");
			}
			break;
		case PM_VOL_RELATIVE:
			if (sc->vol_shift == 0.0)
				appendStringInfoString(&buf, " vol same");
			else
			{
				appendStringInfo(&buf, " vol %s ", sc->vol_shift > 0 ? "up" : "down");
				append_hundredfold(&buf, sc->vol_shift, "%");
			}
			break;
		case PM_VOL_TERM_UP:
			appendStringInfoString(&buf, " vol up");
			break;
		case PM_VOL_TERM_DOWN:
			appendStringInfoString(&buf, " vol down");
			break;
		default:
			appendStringInfoString(&buf, " vol same");
	}
	if (sc->extended)
		appendStringInfoString(&buf, " (extended)");
	if (sc->weight != 1.0)
		appendStringInfo(&buf, " x%.4g", sc->weight);
	return buf.data;
}

/* scenario i of set s: its label, or, in a joint set, its number (and group: extended = floor) */
char *
pm_set_scenario_label(const PmScenarioSet *s, int i)
{
	const PmScenario *sc = &PM_SET_SCENARIOS(s)[i];

	if (pm_set_method(s)->joint)
		return psprintf("joint scenario %d%s", i + 1, sc->extended ? " (floor)" : "");
	return pm_scenario_label(sc);
}

PG_FUNCTION_INFO_V1(portmargin_scenarios);
Datum
portmargin_scenarios(PG_FUNCTION_ARGS)
{
	PmScenarioSet *s = PG_GETARG_SCENARIO_SET(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const PmScenario *sc;
	int			i;

	pm_check_scenario_set(s, VARSIZE(s));
	InitMaterializedSRF(fcinfo, 0);
	sc = PM_SET_SCENARIOS(s);
	for (i = 0; i < s->nscenarios; i++)
	{
		Datum		values[7];
		bool		nulls[7] = {false};

		CHECK_FOR_INTERRUPTS();
		values[0] = Int32GetDatum(i + 1);
		values[1] = CStringGetTextDatum(pm_set_scenario_label(s, i));
		values[2] = Float8GetDatum(sc[i].move);
		/* joint: the moves are per underlying (joint_moves()) */
		if (pm_set_method(s)->joint)
			nulls[2] = nulls[4] = true;
		values[3] = CStringGetTextDatum(vol_rule_name(sc[i].vol_rule));
		values[4] = Float8GetDatum(sc[i].vol_shift);
		values[5] = Float8GetDatum(sc[i].weight);
		values[6] = BoolGetDatum(sc[i].extended != 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* the moves of a joint set, one row per scenario and underlying */
PG_FUNCTION_INFO_V1(portmargin_joint_moves);
Datum
portmargin_joint_moves(PG_FUNCTION_ARGS)
{
	PmScenarioSet *s = PG_GETARG_SCENARIO_SET(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const double *moves,
			   *vols;
	const char *names;
	Datum	   *name_datums;
	int			U,
				i,
				u;

	pm_check_scenario_set(s, VARSIZE(s));
	if (!pm_set_method(s)->joint)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"scenario_set\": a %s set", pm_method_name(s->method)),
				 errdetail("Only joint (var) scenario sets move each underlying separately; see scenarios().")));
	InitMaterializedSRF(fcinfo, 0);
	U = pm_var_nund(s);
	moves = pm_var_moves(s);
	vols = pm_var_vols(s);
	names = pm_var_names(s);
	name_datums = palloc(sizeof(Datum) * U);
	for (u = 0; u < U; u++)
	{
		name_datums[u] = CStringGetTextDatum(names);
		names += strlen(names) + 1;
	}
	for (i = 0; i < s->nscenarios; i++)
	{
		CHECK_FOR_INTERRUPTS();
		for (u = 0; u < U; u++)
		{
			Datum		values[4];
			bool		nulls[4] = {false};

			values[0] = Int32GetDatum(i + 1);
			values[1] = name_datums[u];
			values[2] = Float8GetDatum(moves[(Size) i * U + u]);
			if (vols)
				values[3] = Float8GetDatum(vols[(Size) i * U + u]);
			else
				nulls[3] = true;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

/* the scenarios one underlying sees in a joint set */
void
pm_var_column_scenarios(const PmScenarioSet *s, int u, PmScenario *out)
{
	const PmScenario *sc = PM_SET_SCENARIOS(s);
	const double *moves = pm_var_moves(s);
	const double *vols = pm_var_vols(s);
	int			U = pm_var_nund(s);
	int			i;

	for (i = 0; i < s->nscenarios; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		out[i].move = moves[(Size) i * U + u];
		out[i].vol_shift = vols ? vols[(Size) i * U + u] : 0.0;
		out[i].vol_rule = sc[i].vol_rule;
		out[i].weight = 1.0;
		out[i].extended = 0;
	}
}

/* the column of the underlying argument, for a joint set; ERROR if absent */
int
pm_var_column_arg(const PmScenarioSet *s, const char *name, int len)
{
	int			u = pm_var_column(s, name, len);

	if (u < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"underlying\": \"%.*s\"", len, name),
				 errdetail("The joint scenario set has no moves for this underlying.")));
	return u;
}

PG_FUNCTION_INFO_V1(portmargin_scenario_count);
Datum
portmargin_scenario_count(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_SCENARIO_SET(0)->nscenarios);
}

PG_FUNCTION_INFO_V1(portmargin_scenario_method);
Datum
portmargin_scenario_method(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(pm_method_name(PG_GETARG_SCENARIO_SET(0)->method)));
}

PG_FUNCTION_INFO_V1(portmargin_scenario_vols);
Datum
portmargin_scenario_vols(PG_FUNCTION_ARGS)
{
	PmScenarioSet *s = PG_GETARG_SCENARIO_SET(0);
	double		vol = pm_nonnegative_arg("vol", PG_GETARG_FLOAT8(1));
	double		t = pm_nonnegative_arg("t", PG_GETARG_FLOAT8(2));
	PmRevalParams p;
	double	   *out = palloc(sizeof(double) * s->nscenarios);
	int			i;

	pm_check_scenario_set(s, VARSIZE(s));
	pm_reval_params(s, &p);
	for (i = 0; i < s->nscenarios; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		out[i] = pm_finite_result("scenario_vols", pm_scenario_vol(&p, &PM_SET_SCENARIOS(s)[i], vol, t));
	}
	PG_RETURN_ARRAYTYPE_P(pm_float8_array(out, s->nscenarios));
}

/* ---- SQL: risk_array ---- */

/* kind, settlement and option type of one instrument row, validated */
/*
 * s[0..len) equals lit (lower-case ASCII letters and ':') in any case.  Rows
 * are parsed for every position, so this compares bytes directly: c | 0x20
 * folds an ASCII letter's case.
 */
static inline bool
word_is(const char *s, int len, const char *lit, int litlen)
{
	int			i;

	if (len != litlen)
		return false;
	for (i = 0; i < len; i++)
		if (lit[i] == ':' ? s[i] != ':' : (s[i] | 0x20) != lit[i])
			return false;
	return true;
}

/* the instrument kind named by s[0..len), or 0 */
static inline int
kind_of(const char *s, int len)
{
	if (word_is(s, len, "option", 6))
		return PM_KIND_OPTION;
	if (word_is(s, len, "future", 6))
		return PM_KIND_FUTURE;
	if (word_is(s, len, "perpetual", 9))
		return PM_KIND_PERPETUAL;
	if (word_is(s, len, "spot", 4))
		return PM_KIND_SPOT;
	return 0;
}

static int
pm_kind_try(const text *kind)
{
	return kind_of(VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind));
}

int
pm_kind_arg(const text *kind)
{
	int			k = pm_kind_try(kind);

	if (k != 0)
		return k;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for argument \"kind\": \"%s\"", text_to_cstring(kind)),
			 errhint("Valid kinds are option, future, perpetual and spot.")));
	return 0;
}

int
pm_settlement_arg(const text *settlement)
{
	const char *s = VARDATA_ANY(settlement);
	int			len = VARSIZE_ANY_EXHDR(settlement);

	if (word_is(s, len, "linear", 6))
		return 0;
	if (word_is(s, len, "inverse", 7))
		return 1;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for argument \"settlement\": \"%s\"", text_to_cstring(settlement)),
			 errhint("Valid settlements are linear (cash, e.g. USD or USDC) and inverse (coin).")));
	return 0;
}

/*
 * Validate one instrument described by the risk_array / portfolio_margin
 * arguments starting at fcinfo argument `first` (kind, option_type, strike,
 * t, forward, vol, settlement, multiplier).
 */
void
pm_instrument_args(FunctionCallInfo fcinfo, int first, PmInstrument *ins)
{
	if (PG_ARGISNULL(first))
		pm_null_arg_error("kind", "");
	pm_instrument_args_as(fcinfo, first, pm_kind_arg(PG_GETARG_TEXT_PP(first)), -1, ins);
}

/*
 * A portfolio_margin row's kind: an instrument kind (a position), 'order:'
 * and an instrument kind (a resting order), 'mmp' or 'liability' (an
 * account input of the risk unit); *row says which (PM_ROW_*), the result
 * is the instrument kind (0 for mmp and liability).
 */
int
pm_row_kind_arg(const text *kind, int *row)
{
	const char *s = VARDATA_ANY(kind);
	int			len = VARSIZE_ANY_EXHDR(kind);
	int			k;

	*row = PM_ROW_POSITION;
	if ((k = kind_of(s, len)) != 0)
		return k;
	if (word_is(s, len, "mmp", 3))
	{
		*row = PM_ROW_MMP;
		return 0;
	}
	if (word_is(s, len, "liability", 9))
	{
		*row = PM_ROW_LIABILITY;
		return 0;
	}
	if (len > 6 && word_is(s, 6, "order:", 6) && (k = kind_of(s + 6, len - 6)) != 0)
	{
		*row = PM_ROW_ORDER;
		return k;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for argument \"kind\": \"%s\"", text_to_cstring(kind)),
			 errhint("Valid kinds are option, future, perpetual and spot (positions), order:option, order:future, order:perpetual and order:spot (resting orders), mmp and liability.")));
	return 0;
}

void
pm_instrument_args_as(FunctionCallInfo fcinfo, int first, int kind, int inverse, PmInstrument *ins)
{
	int			i = first;

	ins->kind = kind;
	if (inverse >= 0)
		ins->inverse = inverse;
	else
	{
		if (PG_ARGISNULL(i + 6))
			pm_null_arg_error("settlement", "");
		ins->inverse = pm_settlement_arg(PG_GETARG_TEXT_PP(i + 6));
	}
	if (PG_ARGISNULL(i + 7))
		pm_null_arg_error("multiplier", "");
	ins->multiplier = pm_positive_arg("multiplier", PG_GETARG_FLOAT8(i + 7));
	if (PG_ARGISNULL(i + 4))
		pm_null_arg_error("forward", "");
	ins->forward = pm_positive_arg("forward", PG_GETARG_FLOAT8(i + 4));
	ins->theta = 0;
	ins->strike = ins->t = ins->vol = 0.0;
	if (ins->kind == PM_KIND_OPTION)
	{
		if (PG_ARGISNULL(i + 1))
			pm_null_arg_error("option_type", " for an option");
		if (PG_ARGISNULL(i + 2))
			pm_null_arg_error("strike", " for an option");
		if (PG_ARGISNULL(i + 3))
			pm_null_arg_error("t", " for an option");
		if (PG_ARGISNULL(i + 5))
			pm_null_arg_error("vol", " for an option");
		ins->theta = pm_option_type_arg(PG_GETARG_TEXT_PP(i + 1));
		ins->strike = pm_positive_arg("strike", PG_GETARG_FLOAT8(i + 2));
		ins->t = pm_nonnegative_arg("t", PG_GETARG_FLOAT8(i + 3));
		ins->vol = pm_nonnegative_arg("vol", PG_GETARG_FLOAT8(i + 5));
	}
	else if (!PG_ARGISNULL(i + 3))
		ins->t = pm_nonnegative_arg("t", PG_GETARG_FLOAT8(i + 3));
	if (ins->kind == PM_KIND_SPOT && ins->inverse)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"settlement\": \"inverse\""),
				 errdetail("A spot position is settled linearly; a coin balance has no P&L in its own coin.")));
	if (ins->kind == PM_KIND_PERPETUAL || ins->kind == PM_KIND_SPOT)
		ins->t = 0.0;
}

PG_FUNCTION_INFO_V1(portmargin_risk_array);
Datum
portmargin_risk_array(PG_FUNCTION_ARGS)
{
	PmScenarioSet *s;
	PmInstrument ins;
	PmRevalParams p;
	double	   *pnl;
	double		value,
				delta;
	int			j;

	if (PG_ARGISNULL(0))
		pm_null_arg_error("scenarios", "");
	s = PG_GETARG_SCENARIO_SET(0);
	pm_check_scenario_set(s, VARSIZE(s));
	pm_instrument_args(fcinfo, 1, &ins);
	pm_reval_params(s, &p);
	pnl = palloc(sizeof(double) * s->nscenarios);
	if (pm_set_method(s)->joint)
	{
		/* joint scenarios: the moves of the row's underlying */
		PmScenario *col = palloc(sizeof(PmScenario) * s->nscenarios);
		text	   *und;

		if (PG_NARGS() < 10 || PG_ARGISNULL(9))
			pm_null_arg_error("underlying", " for a joint (var) scenario set");
		und = PG_GETARG_TEXT_PP(9);
		pm_var_column_scenarios(s, pm_var_column_arg(s, VARDATA_ANY(und), VARSIZE_ANY_EXHDR(und)), col);
		pm_risk_array(&p, col, s->nscenarios, &ins, pnl, &value, &delta);
	}
	else
		pm_risk_array(&p, PM_SET_SCENARIOS(s), s->nscenarios, &ins, pnl, &value, &delta);
	/* an instrument or move too large for a finite P&L: 22003, never NaN or Infinity */
	for (j = 0; j < s->nscenarios; j++)
		pm_finite_result("risk_array", pnl[j]);
	PG_RETURN_ARRAYTYPE_P(pm_float8_array(pnl, s->nscenarios));
}

/* ---- SQL: preset(name) ---- */

/* the last preset looked up at this call site, valid for the statement */
typedef struct PresetCache
{
	char	   *name;
	Datum		value;
} PresetCache;

/*
 * The scenario set stored under a name in scenario_presets.  STABLE: the
 * value is looked up once per call site and statement and then returned
 * from fn_extra, so preset() in a join that the planner flattens costs a
 * pointer per row, not a query per row.  The table is schema-qualified
 * with the extension's schema and compared with pg_catalog's operator, so
 * search_path cannot redirect the lookup.
 */
/* the query of preset, prepared once per backend */
static PmKeptPlan preset_plan;

PG_FUNCTION_INFO_V1(portmargin_preset);
Datum
portmargin_preset(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	PresetCache *cache = (PresetCache *) fcinfo->flinfo->fn_extra;
	char	   *schema;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		isnull;
	Datum		value;
	MemoryContext old;

	if (cache != NULL && strcmp(cache->name, name) == 0)
		PG_RETURN_DATUM(cache->value);

	schema = get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));
	args[0] = PG_GETARG_DATUM(0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_plan(pm_kept_plan(&preset_plan, fcinfo->flinfo->fn_oid,
									  "SELECT scenarios FROM %s.scenario_presets WHERE name OPERATOR(pg_catalog.=) $1",
									  1, 1, argtypes),
						 args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read %s.scenario_presets", schema);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown scenario preset \"%s\"", name),
				 errhint("See SELECT name FROM %s.scenario_presets.", quote_identifier(schema))));
	value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

	/* keep a detoasted copy for the rest of the statement */
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (cache == NULL)
		cache = palloc0(sizeof(PresetCache));
	else
	{
		pfree(cache->name);
		pfree(DatumGetPointer(cache->value));
	}
	cache->name = pstrdup(name);
	cache->value = PointerGetDatum(PG_DETOAST_DATUM_COPY(value));
	fcinfo->flinfo->fn_extra = cache;
	MemoryContextSwitchTo(old);
	SPI_finish();
	PG_RETURN_DATUM(cache->value);
}

PmScenarioSet *
pm_var_set_arg(FunctionCallInfo fcinfo, int i, const char *name)
{
	PmScenarioSet *s;

	pm_need_arg(fcinfo, i, name, "");
	s = PG_GETARG_SCENARIO_SET(i);
	pm_check_scenario_set(s, VARSIZE(s));
	if (s->method != PM_METHOD_VAR)
		pm_arg_error(name, psprintf("a %s set; joint (var) scenarios are needed", pm_method_name(s->method)));
	return s;
}
