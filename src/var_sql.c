/*
 * var_sql.c
 *	  SQL glue for VaR / expected-shortfall margin: joint scenario
 *	  generators (historical simulation, filtered historical simulation,
 *	  Monte Carlo), stressed-period blending and the long-lookback floor,
 *	  and VaR / ES of a P&L vector.  The numerics are in historical.c,
 *	  montecarlo.c and tailstat.c; the joint scenario set in scenario.c.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include <gsl/gsl_rng.h>

#include "apc.h"
#include "historical.h"
#include "history_args.h"
#include "montecarlo.h"
#include "progress.h"
#include "scenario.h"
#include "sqlargs.h"
#include "tailstat.h"

/* a float8[] argument as doubles: no NULL elements, all finite; one dimension (correlation: any) */
static double *
float8_arg(FunctionCallInfo fcinfo, int i, const char *name, int *n)
{
	return pm_float8_array_arg(fcinfo, i, name, strcmp(name, "correlation") == 0 ? MAXDIM : 1, n, NULL, NULL);
}


static const char *const returns_choices[] = {"simple", "log", NULL};

/* confidence, statistic, buffer at arguments i, i+1, i+2 */
static void
tail_args(FunctionCallInfo fcinfo, int i, double *confidence, int *statistic, double *buffer)
{
	*confidence = pm_confidence_arg(fcinfo, i);
	*statistic = pm_statistic_arg(fcinfo, i + 1);
	pm_need_arg(fcinfo, i + 2, "buffer", "");
	*buffer = pm_nonnegative_arg("buffer", PG_GETARG_FLOAT8(i + 2));
}

/* the hint of a buffer below the EMIR minimum in a generator (no override there) */
#define APC_GENERATOR_HINT \
	"A smaller buffer is an explicit choice: build the set with buffer 0, then portmargin.with_tail(set, confidence, statistic, buffer, emir_minimum => false)."

/* ---- historical simulation ---- */

/*
 * historical_scenarios(underlyings text[], days date[], vals float8[],
 *     horizon, returns, scaling, lookback, ewma_lambda, input,
 *     confidence, statistic, buffer)
 * The three arrays are parallel (one element per observation, e.g. from
 * array_agg).  Only days on which every underlying has an observation are
 * used (complete case); a price return then spans a gap.
 */
PG_FUNCTION_INFO_V1(portmargin_historical_scenarios);
Datum
portmargin_historical_scenarios(PG_FUNCTION_ARGS)
{
	static const char *const scaling_choices[] = {"overlapping", "sqrt", NULL};
	static const char *const input_choices[] = {"price", "return", NULL};
	int			U,
				horizon,
				log_returns,
				sqrt_scaling,
				is_return,
				statistic,
				D,
				T,
				S,
				i;
	char	  **uniq;
	double	   *matrix,
			   *returns,
			   *moves;
	double		lambda = 0.0,
				confidence,
				buffer;
	PmHistoryArgs hist;
	int			lookback = -1;

	pm_history_read(fcinfo, 0, "vals", &hist);
	pm_need_arg(fcinfo, 3, "horizon", "");
	horizon = PG_GETARG_INT32(3);
	if (horizon < 1)
		pm_domain_error("horizon", horizon, "an integer of at least 1 (days)");
	log_returns = pm_choice_arg(fcinfo, 4, "returns", returns_choices);
	sqrt_scaling = pm_choice_arg(fcinfo, 5, "scaling", scaling_choices);
	if (!PG_ARGISNULL(6))
	{
		lookback = PG_GETARG_INT32(6);
		if (lookback < 1)
			pm_domain_error("lookback", lookback, "an integer of at least 1 (days)");
	}
	if (!PG_ARGISNULL(7))
	{
		lambda = PG_GETARG_FLOAT8(7);
		if (!(lambda > 0.0 && lambda < 1.0))
			pm_domain_error("ewma_lambda", lambda, "greater than 0 and less than 1");
	}
	is_return = pm_choice_arg(fcinfo, 8, "input", input_choices);
	tail_args(fcinfo, 9, &confidence, &statistic, &buffer);
	pm_apc_check_minimum("buffer", buffer, "a", APC_GENERATOR_HINT);

	/* the complete days, oldest first; columns: the distinct underlyings, sorted */
	pm_history_align(&hist, is_return ? (log_returns ? -INFINITY : -1.0) : 0.0,
					 is_return ? "a simple return must be above -1" : "a price must be positive");
	U = hist.nund;
	uniq = hist.uniq;
	D = hist.ndays;
	matrix = hist.values;
	/* the lookback window: the last lookback returns */
	if (lookback > 0 && (int64) D > (int64) lookback + (is_return ? 0 : 1))
	{
		int			drop = (int) ((int64) D - lookback - (is_return ? 0 : 1));
		Size		total = sizeof(double) * (Size) (D - drop) * U,
					done;

		/* forward in 16 MB pieces (the source lies after the destination), checking for interrupts */
		for (done = 0; done < total; done += 16 * 1024 * 1024)
		{
			CHECK_FOR_INTERRUPTS();
			memmove((char *) matrix + done, (char *) (matrix + (Size) drop * U) + done,
					Min(total - done, (Size) 16 * 1024 * 1024));
		}
		D -= drop;
	}
	T = is_return ? D : D - 1;
	if (T < 1 || (!sqrt_scaling && T < horizon))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"days\": the history has %d complete days", D),
				 errdetail("Historical scenarios need " INT64_FORMAT " %s on which every underlying has an observation.",
						   (int64) (sqrt_scaling ? 1 : horizon) + (is_return ? 0 : 1), is_return ? "returns" : "prices")));
	if (is_return)
		returns = matrix;
	else
	{
		returns = palloc(sizeof(double) * (Size) T * U);
		pm_hist_returns(matrix, D, U, log_returns, returns);
	}
	moves = palloc(sizeof(double) * (Size) T * U);
	S = pm_hist_moves(returns, T, U, horizon, log_returns, sqrt_scaling, lambda, moves);
	for (i = 0; i < S * U; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (!(moves[i] > -1.0) || !isfinite(moves[i]))
			pm_arg_error("vals", psprintf("scenario %d moves %s by %s", i / U + 1, uniq[i % U],
									   float8out_internal(moves[i])));
	}
	PG_RETURN_POINTER(pm_var_build(U, (const char *const *) uniq, S, moves, NULL, NULL, 0,
								   confidence, statistic, buffer, 0, 0.0));
}

/* ---- Monte Carlo ---- */

static void
mc_tick(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

static const char *const corr_problem[] = {
	"", "is not finite", "is on the diagonal and not 1", "is outside [-1, 1]",
	"differs from its transpose", ""
};

/*
 * monte_carlo_scenarios(underlyings text[], vols float8[], correlation
 *     float8[][], n, seed, copula, df, returns, confidence, statistic, buffer)
 */
PG_FUNCTION_INFO_V1(portmargin_monte_carlo_scenarios);
Datum
portmargin_monte_carlo_scenarios(PG_FUNCTION_ARGS)
{
	static const char *const copula_choices[] = {"gaussian", "student", NULL};
	int			U,
				nv,
				nc,
				n,
				copula,
				log_returns,
				statistic,
				bad_i,
				bad_j,
				i;
	char	  **names;
	double	   *vols,
			   *corr,
			   *moves,
				df = 0.0,
				confidence,
				buffer;
	int64		seed;
	ArrayType  *carr;
	PmCorrProblem problem;
	gsl_rng    *rng;
	volatile gsl_rng *vrng;

	names = pm_text_array_arg(fcinfo, 0, "underlyings", &U);
	if (U == 0)
		pm_arg_error("underlyings", "the array is empty");
	{
		/* the first element that is empty or repeats an earlier one (O(U log U)) */
		int			j = pm_first_repeated_name(names, U);

		for (i = 0; i < U && (j < 0 || i <= j); i++)
			if (names[i][0] == '\0')
				pm_arg_error("underlyings", psprintf("element %d is empty", i + 1));
		if (j >= 0)
			pm_arg_error("underlyings", psprintf("\"%s\" appears twice", names[j]));
	}
	vols = float8_arg(fcinfo, 1, "vols", &nv);
	if (nv != U)
		pm_arg_error("vols", psprintf("%d elements for %d underlyings", nv, U));
	for (i = 0; i < U; i++)
		if (!(vols[i] >= 0.0))
			pm_arg_error("vols", psprintf("element %d is %s; a volatility must be at least 0", i + 1,
									   float8out_internal(vols[i])));
	pm_need_arg(fcinfo, 2, "correlation", "");
	carr = PG_GETARG_ARRAYTYPE_P(2);
	if (!((ARR_NDIM(carr) == 2 && ARR_DIMS(carr)[0] == U && ARR_DIMS(carr)[1] == U) ||
		  (ARR_NDIM(carr) == 1 && ARR_DIMS(carr)[0] == U * U)))
		pm_arg_error("correlation", psprintf("a %d x %d matrix is needed for %d underlyings%s", U, U, U,
										  ARR_NDIM(carr) == 2 ? psprintf(", got %d x %d", ARR_DIMS(carr)[0], ARR_DIMS(carr)[1]) : ""));
	corr = float8_arg(fcinfo, 2, "correlation", &nc);
	pm_need_arg(fcinfo, 3, "n", "");
	n = PG_GETARG_INT32(3);
	if (n < 1 || n > PM_MAX_JOINT_SCENARIOS)
		pm_domain_error("n", n, psprintf("an integer from 1 to %d", PM_MAX_JOINT_SCENARIOS));
	pm_need_arg(fcinfo, 4, "seed", "");
	seed = PG_GETARG_INT64(4);
	copula = pm_choice_arg(fcinfo, 5, "copula", copula_choices);
	if (copula == PM_COPULA_STUDENT)
	{
		pm_need_arg(fcinfo, 6, "df", "");
		df = PG_GETARG_FLOAT8(6);
		if (!(df > 2.0) || !isfinite(df))
			pm_domain_error("df", df, "greater than 2 (a t distribution with a finite variance)");
	}
	log_returns = pm_choice_arg(fcinfo, 7, "returns", returns_choices);
	tail_args(fcinfo, 8, &confidence, &statistic, &buffer);
	pm_apc_check_minimum("buffer", buffer, "a", APC_GENERATOR_HINT);

	problem = pm_correlation_cholesky(corr, U, &bad_i, &bad_j);
	if (problem == PM_CORR_NOT_POSITIVE_DEFINITE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"correlation\": the matrix is not positive definite"),
				 errhint("Use a valid correlation matrix (e.g. estimated from one common history); portmargin does not repair it.")));
	if (problem != PM_CORR_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"correlation\": element (%d, %d) %s", bad_i + 1, bad_j + 1,
						corr_problem[problem])));

	/* the set stores n x k moves and 32 bytes per scenario: refuse before drawing what cannot be stored */
	if ((double) n * U * 8.0 + 32.0 * n > (double) (MaxAllocSize - 4096))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a scenario set of %d scenarios x %d underlyings is larger than 1 GB", n, U),
				 errhint("Use fewer scenarios (at most %d for %d underlyings).",
						 (int) ((double) (MaxAllocSize - 4096) / (8.0 * U + 32.0)), U)));
	moves = palloc_extended(sizeof(double) * (Size) n * U, MCXT_ALLOC_HUGE);
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (rng == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	vrng = rng;
	PG_TRY();
	{
		PmProgress	progress;
		long		done,
					chunk;

		/*
		 * in chunks of at most PM_MC_TICK_EVERY scenarios and about
		 * PM_MC_TICK_WORK multiply-adds, counted for the progress report:
		 * one generator continues its stream across calls, so the draws are
		 * those of one call
		 */
		chunk = Max(1, Min((long) PM_MC_TICK_EVERY, PM_MC_TICK_WORK / ((long) U * (U + 3) / 2)));
		pm_progress_start(&progress, "monte_carlo_scenarios", "scenarios", n);
		gsl_rng_set(rng, (unsigned long) seed);
		for (done = 0; done < n; done += chunk)
		{
			long		m = Min(chunk, (long) n - done);

			pm_mc_moves(rng, corr, vols, U, m, copula, df, log_returns, moves + (Size) done * U, mc_tick, NULL);
			pm_progress_add(&progress, m);
		}
		pm_progress_finish(&progress);
	}
	PG_FINALLY();
	{
		gsl_rng_free((gsl_rng *) vrng);
	}
	PG_END_TRY();
	PG_RETURN_POINTER(pm_var_build(U, (const char *const *) names, n, moves, NULL, NULL, 0,
								   confidence, statistic, buffer, 0, 0.0));
}

/* ---- combining joint sets ---- */

static PmScenarioSet *
var_set_arg(FunctionCallInfo fcinfo, int i, const char *name)
{
	PmScenarioSet *s = pm_var_set_arg(fcinfo, i, name);

	if (s->params[PM_P_VAR_FLOOR_COUNT] != 0.0)
		pm_arg_error(name, "the set already has a floor group; add the floor last");
	return s;
}

/*
 * Scenarios of a and b (b's columns reordered to a's), weights wa for a's
 * and wb for b's (NULL: the sets' own); floor_count as given.
 */
static PmScenarioSet *
concat_sets(const PmScenarioSet *a, const PmScenarioSet *b, const char *bname,
			const double *wa, const double *wb, int floor_count)
{
	int			U = pm_var_nund(a),
				Sa = a->nscenarios,
				Sb = b->nscenarios,
				S = Sa + Sb,
				u,
				i;
	const char *na = pm_var_names(a);
	const char **names = palloc(sizeof(char *) * U);
	int		   *map = palloc(sizeof(int) * U);
	bool		vols = pm_var_vols(a) || pm_var_vols(b);
	double	   *moves = palloc_extended(sizeof(double) * (Size) S * U, MCXT_ALLOC_HUGE);
	double	   *shifts = vols ? palloc_extended(sizeof(double) * (Size) S * U, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO) : NULL;
	double	   *w = palloc(sizeof(double) * S);

	if (pm_var_nund(b) != U)
		pm_arg_error(bname, psprintf("%d underlyings, the first set has %d", pm_var_nund(b), U));
	if ((int64) Sa + Sb > PM_MAX_JOINT_SCENARIOS)
		pm_arg_error(bname, psprintf("%d + %d scenarios, more than %d in one set", Sa, Sb, PM_MAX_JOINT_SCENARIOS));
	if (pm_var_vols(a) && pm_var_vols(b) &&
		a->params[PM_P_VAR_VOL_RELATIVE] != b->params[PM_P_VAR_VOL_RELATIVE])
		pm_arg_error(bname, "its volatility rule differs from the first set's");
	if (pm_var_ageing_days(a) != pm_var_ageing_days(b))
		pm_arg_error(bname, psprintf("its options age by %s days, the first set's by %s (with_ageing gives both the same)",
									 float8out_internal(pm_var_ageing_days(b)),
									 float8out_internal(pm_var_ageing_days(a))));
	for (u = 0; u < U; u++)
	{
		names[u] = na;
		map[u] = pm_var_column(b, na, strlen(na));
		if (map[u] < 0)
			pm_arg_error(bname, psprintf("no moves for underlying \"%s\"", na));
		na += strlen(na) + 1;
	}
	for (i = 0; i < S; i++)
	{
		const PmScenarioSet *src = i < Sa ? a : b;
		int			r = i < Sa ? i : i - Sa;

		CHECK_FOR_INTERRUPTS();
		for (u = 0; u < U; u++)
		{
			int			col = i < Sa ? u : map[u];

			moves[(Size) i * U + u] = pm_var_moves(src)[(Size) r * U + col];
			if (vols && pm_var_vols(src))
				shifts[(Size) i * U + u] = pm_var_vols(src)[(Size) r * U + col];
		}
		w[i] = i < Sa ? (wa ? wa[r] : PM_SET_SCENARIOS(a)[r].weight)
			: (wb ? wb[r] : PM_SET_SCENARIOS(b)[r].weight);
	}
	return pm_var_build(U, names, S, moves, shifts, w,
						vols && (pm_var_vols(a) ? a : b)->params[PM_P_VAR_VOL_RELATIVE] > 0.0,
						a->params[PM_P_VAR_CONFIDENCE], (int) a->params[PM_P_VAR_STATISTIC],
						a->params[PM_P_VAR_BUFFER], floor_count, pm_var_ageing_days(a));
}

/* weights of a set's scenarios normalised to sum to total */
static double *
scaled_weights(const PmScenarioSet *s, double total)
{
	double	   *w = palloc(sizeof(double) * s->nscenarios);
	double		sum = 0.0;
	int			i;

	for (i = 0; i < s->nscenarios; i++)
		sum += PM_SET_SCENARIOS(s)[i].weight;
	for (i = 0; i < s->nscenarios; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		w[i] = fmin(1.0, PM_SET_SCENARIOS(s)[i].weight / sum * total);
	}
	return w;
}

/*
 * blend_scenarios(base, stressed, stressed_weight): one scenario group in
 * which the stressed scenarios carry stressed_weight of the probability
 * (EMIR RTS 153/2013 art. 28(1)(b): at least 25%; a weight below it is an
 * ERROR unless emir_minimum, the optional fourth argument, is false).
 */
PG_FUNCTION_INFO_V1(portmargin_blend_scenarios);
Datum
portmargin_blend_scenarios(PG_FUNCTION_ARGS)
{
	PmScenarioSet *a = var_set_arg(fcinfo, 0, "base");
	PmScenarioSet *b = var_set_arg(fcinfo, 1, "stressed");
	double		w;

	pm_need_arg(fcinfo, 2, "stressed_weight", "");
	w = PG_GETARG_FLOAT8(2);
	if (!(w >= 0.0 && w <= 1.0))
		pm_domain_error("stressed_weight", w, "between 0 and 1");
	if (w == 0.0 || w == 1.0)
		pm_arg_error("stressed_weight", "0 or 1 leaves one set without weight; use that set alone");
	if (pm_apc_emir_minimum_arg(fcinfo, 3))
		pm_apc_check_minimum("stressed_weight", w, "b",
							 "A smaller weight is an explicit choice: blend_scenarios(base, stressed, stressed_weight, emir_minimum => false).");
	PG_RETURN_POINTER(concat_sets(a, b, "stressed", scaled_weights(a, 1.0 - w), scaled_weights(b, w), 0));
}

/*
 * with_floor(scenarios, floor_scenarios): the floor set's scenarios become
 * a second group; the requirement is the larger of the two groups'
 * statistics (EMIR RTS 153/2013 art. 28(1)(c): a floor at the margin of a
 * ten-year lookback).
 */
PG_FUNCTION_INFO_V1(portmargin_with_floor);
Datum
portmargin_with_floor(PG_FUNCTION_ARGS)
{
	PmScenarioSet *a = var_set_arg(fcinfo, 0, "scenarios");
	PmScenarioSet *b = var_set_arg(fcinfo, 1, "floor_scenarios");

	PG_RETURN_POINTER(concat_sets(a, b, "floor_scenarios", NULL, NULL, b->nscenarios));
}

/*
 * with_tail(scenarios, confidence, statistic, buffer): the same joint
 * scenarios with other tail parameters (buffer: EMIR art. 28(1)(a), >= 25%;
 * a buffer strictly between 0 and 0.25 is an ERROR unless emir_minimum, the
 * optional fifth argument, is false: the generators have no such override)
 */
PG_FUNCTION_INFO_V1(portmargin_with_tail);
Datum
portmargin_with_tail(PG_FUNCTION_ARGS)
{
	PmScenarioSet *s;
	PmScenarioSet *r;
	double		confidence,
				buffer;
	int			statistic;

	pm_need_arg(fcinfo, 0, "scenarios", "");
	s = PG_GETARG_SCENARIO_SET(0);
	pm_check_scenario_set(s, VARSIZE(s));
	if (s->method != PM_METHOD_VAR)
		pm_arg_error("scenarios", psprintf("a %s set; joint (var) scenarios are needed", pm_method_name(s->method)));
	tail_args(fcinfo, 1, &confidence, &statistic, &buffer);
	if (pm_apc_emir_minimum_arg(fcinfo, 4))
		pm_apc_check_minimum("buffer", buffer, "a",
							 "A smaller buffer is an explicit choice: with_tail(set, confidence, statistic, buffer, emir_minimum => false).");
	r = palloc_extended(VARSIZE(s), MCXT_ALLOC_HUGE);
	pm_copy_interruptible(r, s, VARSIZE(s));
	r->params[PM_P_VAR_CONFIDENCE] = confidence;
	r->params[PM_P_VAR_STATISTIC] = statistic;
	r->params[PM_P_VAR_BUFFER] = buffer;
	pm_var_seal(r);
	PG_RETURN_POINTER(r);
}

/*
 * with_ageing(scenarios, ageing_days): the same joint scenarios, in which
 * options are revalued at their time to expiry less ageing_days / 365
 * (act/365; expired ones at intrinsic value on the scenario's forward):
 * time decay over the set's horizon.  0 ages nothing.
 */
PG_FUNCTION_INFO_V1(portmargin_with_ageing);
Datum
portmargin_with_ageing(PG_FUNCTION_ARGS)
{
	PmScenarioSet *s = pm_var_set_arg(fcinfo, 0, "scenarios");
	double		days;

	pm_need_arg(fcinfo, 1, "ageing_days", "");
	days = PG_GETARG_FLOAT8(1);
	if (!(isfinite(days) && days >= 0.0))
		pm_domain_error("ageing_days", days, "a finite number of days, 0 or more");
	PG_RETURN_POINTER(pm_var_with_ageing(s, days));
}

/* ---- VaR and ES of a P&L vector ---- */

static void
vector_tail(FunctionCallInfo fcinfo, PmTail *t, const char *fname)
{
	int			n;
	double	   *pnl = float8_arg(fcinfo, 0, "pnl", &n);
	double		confidence,
			   *w = NULL;
	PmTailStatus status;

	if (n == 0)
		pm_arg_error("pnl", "the array is empty");
	confidence = pm_confidence_arg(fcinfo, 1);
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
		w = pm_weights_arg(fcinfo, 2, n, INFINITY);	/* relative weights (0.3.0): any scale */
	status = pm_tail(pnl, w, n, confidence, t, NULL, NULL,
					 palloc_extended(sizeof(double) * 2 * (Size) n, MCXT_ALLOC_HUGE), pm_check_interrupts, NULL);
	if (status == PM_TAIL_OVERFLOW)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: the mean of the tail losses is out of range for type double precision", fname)));
	if (status != PM_TAIL_OK)
		elog(ERROR, "%s: unexpected tail status %d", fname, (int) status);	/* inputs were checked */
}

PG_FUNCTION_INFO_V1(portmargin_value_at_risk);
Datum
portmargin_value_at_risk(PG_FUNCTION_ARGS)
{
	PmTail		t;

	vector_tail(fcinfo, &t, "value_at_risk");
	PG_RETURN_FLOAT8(t.var);
}

PG_FUNCTION_INFO_V1(portmargin_expected_shortfall);
Datum
portmargin_expected_shortfall(PG_FUNCTION_ARGS)
{
	PmTail		t;

	vector_tail(fcinfo, &t, "expected_shortfall");
	PG_RETURN_FLOAT8(t.es);
}
