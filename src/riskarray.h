/*
 * riskarray.h
 *	  Scenario P&L of one instrument (the SPAN "risk array"), pure numeric
 *	  code: no PostgreSQL headers.  The scenario-set value that carries the
 *	  method, parameters and scenarios is defined in scenario.h.
 */
#ifndef PORTMARGIN_RISKARRAY_H
#define PORTMARGIN_RISKARRAY_H

/* margin methods */
typedef enum PmMethodId
{
	PM_METHOD_SPAN = 1,
	PM_METHOD_TIMS = 2,
	PM_METHOD_DERIBIT = 3,
	PM_METHOD_OKX = 4,
	PM_METHOD_GRID = 5,
	PM_METHOD_VAR = 6			/* joint scenarios, VaR / expected shortfall */
} PmMethodId;

#define PM_METHOD_MAX PM_METHOD_VAR

/* how a scenario moves an option's implied volatility */
typedef enum PmVolRule
{
	PM_VOL_NONE = 0,			/* unchanged */
	PM_VOL_ABSOLUTE = 1,		/* vol + shift, floored at 0 */
	PM_VOL_RELATIVE = 2,		/* vol (1 + shift), floored at 0 */
	PM_VOL_TERM_UP = 3,			/* Deribit: vol (1 + range_up f(DTE)) */
	PM_VOL_TERM_DOWN = 4		/* Deribit: vol max(0, 1 - range_down f(DTE)) */
} PmVolRule;

/* one scenario, as stored in a scenario set (32 bytes) */
typedef struct PmScenario
{
	double		move;			/* relative price move: F -> F (1 + move) */
	double		vol_shift;		/* meaning depends on vol_rule */
	double		weight;			/* share of the loss counted, in [0, 1] */
	int			vol_rule;		/* PmVolRule */
	int			extended;		/* Deribit extended table: futures clamped */
} PmScenario;

/* scenarios between calls of PmRevalParams.tick */
#define PM_RISK_TICK_EVERY 4096

/* parameters that revaluation needs, read from a set */
typedef struct PmRevalParams
{
	double		lookahead_years;	/* options age by this (SPAN look-ahead, a joint set's ageing) */
	double		clamp;			/* extended table: |move| clamp for linear deltas */
	double		vol_range_up;	/* Deribit term rule */
	double		vol_range_down;
	double		short_term_power;
	double		long_term_power;
	double		dte_floor;
	double		min_vol_up;		/* Deribit min_volatility_for_shock_up: term_up vol at least this (0: none) */
	/*
	 * Called, when not NULL, before every PM_RISK_TICK_EVERY scenarios of a
	 * risk array: the server checks for a query cancel there (it may
	 * longjmp out, so pm_risk_array allocates nothing).
	 */
	void		(*tick) (void *arg);
	void	   *tick_arg;
} PmRevalParams;

typedef enum PmKind
{
	PM_KIND_OPTION = 1,
	PM_KIND_FUTURE = 2,
	PM_KIND_PERPETUAL = 3,
	PM_KIND_SPOT = 4
} PmKind;

typedef struct PmInstrument
{
	int			kind;			/* PmKind */
	int			inverse;		/* coin-settled */
	int			theta;			/* options: +1 call, -1 put */
	double		strike;
	double		t;
	double		forward;
	double		vol;
	double		multiplier;
} PmInstrument;

/* the volatility a scenario applies to an option with implied vol and t */
extern double pm_scenario_vol(const PmRevalParams *p, const PmScenario *sc, double vol, double t);

/*
 * P&L of one long contract under each of n scenarios into pnl[n], in the
 * settlement currency, gains positive; *value receives the contract's
 * value (options; 0 otherwise) and *delta its delta in underlying units
 * (inverse options: premium-adjusted), both per contract.  p->tick, if
 * set, is called every PM_RISK_TICK_EVERY scenarios.
 */
extern void pm_risk_array(const PmRevalParams *p, const PmScenario *sc, int n,
						  const PmInstrument *ins, double *pnl, double *value, double *delta);

/* tiered charge: sum_i mult_i * max(0, min(x, bound_{i+1}) - bound_i) */
extern double pm_tiered_charge(double x, const double *bounds, const double *mults, int ntiers);

#endif							/* PORTMARGIN_RISKARRAY_H */
