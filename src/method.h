/*
 * method.h
 *	  One margin method behind one interface (pure numeric code: no
 *	  PostgreSQL headers).  Each method file (method_span.c, method_tims.c,
 *	  method_deribit.c, method_okx.c, method_grid.c, method_var.c) fills a
 *	  PmMethod: its named parameters and their cross-checks, how its
 *	  scenarios are expanded and its parameters stored, what revaluation
 *	  and the aggregate need of it, and its margin rules.  The registry
 *	  (method.c) maps the method number stored in a scenario set to its
 *	  PmMethod; the SQL glue (scenario.c, margin_agg.c, margin_state.c) and
 *	  the generic finalisation (margin.c) call only through it.
 */
#ifndef PORTMARGIN_METHOD_H
#define PORTMARGIN_METHOD_H

#include <stdbool.h>
#include <stddef.h>

#include "margin.h"
#include "riskarray.h"
#include "scenario_params.h"

/* ---- named parameters (the constructors' arguments and the text form) ---- */

typedef enum PmParamKind
{
	PK_NUM,						/* float8 */
	PK_INT,						/* integer */
	PK_ARRAY,					/* float8[] */
	PK_VOLRULE,					/* text: absolute | relative */
	PK_NAMES,					/* text[]: underlying names (joint sets) */
	PK_STAT						/* text: var | es */
} PmParamKind;

typedef enum PmParamRule
{
	PR_ANY,						/* finite */
	PR_POS,						/* > 0 */
	PR_NONNEG,					/* >= 0 */
	PR_UNIT,					/* in [0, 1] */
	PR_BELOW_ONE,				/* in [0, 1) */
	PR_MOVE,					/* in (0, 1): a move down to -x stays above -100% */
	PR_INT_POS,					/* integer >= 1 */
	PR_INT_EVEN,				/* even integer >= 2 */
	PR_MOVES,					/* array: elements > -1, not empty */
	PR_EXT_MOVES,				/* array: elements > -1 and != 0, may be empty */
	PR_SHIFTS,					/* array: finite elements */
	PR_WEIGHTS,					/* array: elements in [0, 1] */
	PR_TIERS,					/* array: starts at 0, strictly increasing */
	PR_TIER_MULTS,				/* array: elements >= 0 */
	PR_OPEN_UNIT,				/* in (0, 1) */
	PR_INT_NONNEG,				/* integer >= 0 */
	PR_SHIFTS_OPT,				/* array: finite elements, may be empty */
	PR_WEIGHTS_OPT				/* array: elements in [0, 1], may be empty */
} PmParamRule;

/* PmParamSpec.flags */
#define PM_PARAM_NULL_IS_EMPTY 0x1	/* SQL NULL: as if omitted (an empty array) */
#define PM_PARAM_MATRIX 0x2		/* also as a 2-D [scenario][underlying] array */
#define PM_PARAM_OMIT_DEFAULT 0x4	/* left out of the text form at its default (added after a release) */

typedef struct PmParamSpec
{
	const char *name;
	PmParamKind kind;
	PmParamRule rule;
	bool		required;		/* no default */
	double		def;			/* PK_NUM / PK_INT default */
	const double *def_array;	/* PK_ARRAY default; NULL = none (empty) */
	int			def_count;
	int			flags;			/* PM_PARAM_* */
} PmParamSpec;

#define PM_MAX_PARAMS 20

struct PmMethod;

/*
 * A method's arguments, indexed like its parameter table: filled and
 * checked one by one by scenario.c, then cross-checked by the method.
 */
typedef struct PmSetArgs
{
	const struct PmMethod *method;
	bool		given[PM_MAX_PARAMS];
	double		num[PM_MAX_PARAMS];
	double	   *arr[PM_MAX_PARAMS];
	int			narr[PM_MAX_PARAMS];
	int			cols[PM_MAX_PARAMS];	/* second dimension of a 2-D array argument, else 0 */
	char	  **names;			/* PK_NAMES */
	int			nnames;
	/* lent by the caller: memory that lives as long as the arguments, an interrupt check for long loops */
	void	   *(*alloc) (size_t size);
	void		(*tick) (void *arg);
	void	   *tick_arg;
} PmSetArgs;

/*
 * What is wrong with a set's arguments, as a code and its particulars; the
 * SQL glue words it (ERROR 22023, or a reason a stored set is rejected).
 */
typedef enum PmSetProblemCode
{
	PM_SP_OK = 0,
	PM_SP_MISSING,				/* a required argument is absent */
	PM_SP_VALUE,				/* argument param is value; it must be rule (or: detail) */
	PM_SP_ELEMENT,				/* element of param is value; each must be rule */
	PM_SP_ARGUMENT,				/* argument param: what (shape, lengths, names) */
	PM_SP_COUNT					/* the set would have count scenarios */
} PmSetProblemCode;

typedef struct PmSetProblem
{
	PmSetProblemCode code;
	const char *param;
	int			element;		/* PM_SP_ELEMENT, 0-based */
	double		value;			/* PM_SP_VALUE, PM_SP_ELEMENT */
	const char *rule;			/* PM_SP_VALUE, PM_SP_ELEMENT */
	const char *detail;			/* PM_SP_VALUE: the whole detail instead of the rule's */
	const char *what;			/* PM_SP_ARGUMENT */
	int			count;			/* PM_SP_COUNT */
	char		text[160];		/* a rule or what worded with numbers */
} PmSetProblem;

/* the problem setters return false, so that a check can `return pm_..._problem(...)` */
extern bool pm_set_problem(PmSetProblem *pr, PmSetProblemCode code, const char *param, int element,
						   double value, const char *rule);
extern bool pm_argument_problem(PmSetProblem *pr, const char *param, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* ---- a stored set, as method code sees it ---- */

typedef struct PmSetView
{
	const struct PmMethod *method;
	const double *params;		/* the method's layout (scenario_params.h) */
	int			nparams;
	const PmScenario *sc;
	int			nscen;
} PmSetView;

static inline void
pm_set_scenario(PmScenario *sc, double move, int rule, double shift, double weight, int extended)
{
	sc->move = move;
	sc->vol_rule = rule;
	sc->vol_shift = shift;
	sc->weight = weight;
	sc->extended = extended;
}

/* what the aggregate keeps per risk unit while it folds positions (PmMethod.folds) */
#define PM_FOLD_STRIKES 0x1		/* net option quantity per (expiry, strike) */
#define PM_FOLD_EXPIRIES 0x2	/* net delta and forward per expiry */
#define PM_FOLD_HOLDINGS 0x4	/* net quantity per instrument; vectors added at the end */

/* ---- the interface ---- */

/* a hook's parameter that a method's rules do not need */
#define PM_UNUSED __attribute__((unused))

typedef struct PmMethod
{
	int			id;				/* PmMethodId (riskarray.h): the number a set stores */
	const char *name;			/* in SQL and the text form */
	const PmParamSpec *params;	/* named parameters, ended by a NULL name */
	/* the argument a bad scenario count is blamed on; NULL: it cannot be bad */
	const char *count_param;
	bool		joint;			/* each underlying moves apart (columns, names): scenario.h */
	int			folds;			/* PM_FOLD_* */

	/* building a set from arguments that passed their parameters' rules */
	/* cross-argument rules; NULL: none */
	bool		(*check) (const PmSetArgs *a, PmSetProblem *pr);
	int			(*scenario_count) (const PmSetArgs *a);
	size_t		(*param_count) (const PmSetArgs *a);
	void		(*expand) (const PmSetArgs *a, double *params, PmScenario *sc);

	/* reading a stored set: the counts kept among its parameters fit; back to arguments (not names) */
	bool		(*layout_ok) (const double *params, int nparams, int nscen);
	void		(*read_args) (const PmSetView *s, PmSetArgs *a);
	/* what revaluation needs of the parameters; NULL: the defaults */
	void		(*reval_params) (const PmSetView *s, PmRevalParams *p);

	/*
	 * Margin (margin.c).  Methods that scan each unit give unit_margin (one
	 * unit under its own set: its requirement in unit currency from its
	 * scan loss, add-on components added to r at fx) and account_margin
	 * (initial and maintenance from total, the units' requirements in report
	 * currency, and any offset across units).  A method that margins the
	 * account as a whole (var) gives finalize instead.
	 */
	double		(*unit_margin) (const PmSetView *s, const PmUnit *unit, double scan, double fx,
								PmMarginResult *r);
	void		(*account_margin) (const PmSetView *s, const PmUnit *units, int nunits, double total,
								   PmMarginResult *r);
	void		(*finalize) (const PmSetView *s, const PmUnit *units, int nunits, PmMarginResult *r);

	/*
	 * The margin of a unit's resting orders (unit->buy_orders, sell_orders)
	 * on top of req, its requirement without them; NULL: margin.c's rule
	 * (the larger rise of the requirement if all buys or all sells filled).
	 */
	double		(*orders_margin) (const PmSetView *s, const PmUnit *unit, double req, double fx,
								  PmMarginResult *r);

	/*
	 * Indices into the stored parameters of those account_margin reads, -1
	 * ended; a rulebook's units are margined together only where their
	 * sets agree on them.  NULL: none.
	 */
	const int  *account_params;

	/* what a set of the method needs folded (PM_FOLD_*), from its parameters; NULL: folds */
	int			(*folds_of) (const double *params, int nparams);
} PmMethod;

/* the set of unit u inside account_margin: a rulebook gives each unit its own (r->unit_sets) */
static inline const PmSetView *
pm_unit_set(const PmSetView *s, const PmMarginResult *r, int u)
{
	return r->unit_sets ? r->unit_sets[u] : s;
}

/* the registry (method.c), indexed by method number; [0] is NULL */
extern const PmMethod *const pm_method_registry[PM_METHOD_MAX + 1];

/* NULL for a number or name no method has (inline: the aggregate asks per row) */
static inline const PmMethod *
pm_method(int id)
{
	return id >= 1 && id <= PM_METHOD_MAX ? pm_method_registry[id] : NULL;
}

extern const PmMethod *pm_method_by_name(const char *name);
extern const char *pm_method_name(int id);	/* "unknown" when none */

extern const PmMethod pm_method_span;
extern const PmMethod pm_method_tims;
extern const PmMethod pm_method_deribit;
extern const PmMethod pm_method_okx;
extern const PmMethod pm_method_grid;
extern const PmMethod pm_method_var;

/* the var method's arguments for a joint set built from generated moves (pointers, not copies) */
extern void pm_var_args(PmSetArgs *a, int nund, char **names, int nscen, const double *moves,
						const double *vols, const double *weights, int vol_relative, double confidence,
						int statistic, double buffer, int floor_count, double ageing_days);

#endif							/* PORTMARGIN_METHOD_H */
