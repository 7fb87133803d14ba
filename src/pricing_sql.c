/*
 * pricing_sql.c
 *	  SQL glue for option pricing: bs_*, black76_*, inverse_*, implied
 *	  volatility and year_fraction.  Reads and validates arguments, calls the
 *	  numeric core (pricing.c, implied_vol.c) and builds result composites.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/timestamp.h"

#include "implied_vol.h"
#include "pricing.h"
#include "sqlargs.h"

#define PM_DAYS_PER_YEAR 365.0

/* Arguments of one option, validated. */
typedef struct OptionArgs
{
	int			theta;			/* +1 call, -1 put */
	double		underlying;		/* spot (BSM) or forward (Black-76, inverse) */
	double		strike;
	double		t;
	double		vol;
	double		rate;
	double		dividend;
} OptionArgs;

/* PG_GETARG_TEXT_PP without a function call for the usual short inline text */
static inline text *
option_type_text(Datum d)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);

	if (unlikely(VARATT_IS_COMPRESSED(v) || VARATT_IS_EXTERNAL(v)))
		v = pg_detoast_datum_packed(v);
	return (text *) v;
}

/*
 * Read (option_type, underlying, strike, t, vol, rate[, dividend]) starting
 * at argument `first`; vol is absent (first + 4 is rate) when !with_vol.
 */
static void
option_args(FunctionCallInfo fcinfo, int first, const char *underlying_name,
			bool with_vol, bool with_dividend, OptionArgs *a)
{
	int			i = first;

	a->theta = pm_option_type_arg(option_type_text(PG_GETARG_DATUM(i)));
	a->underlying = pm_positive_arg(underlying_name, PG_GETARG_FLOAT8(i + 1));
	a->strike = pm_positive_arg("strike", PG_GETARG_FLOAT8(i + 2));
	a->t = pm_nonnegative_arg("t", PG_GETARG_FLOAT8(i + 3));
	i += 4;
	a->vol = with_vol ? pm_nonnegative_arg("vol", PG_GETARG_FLOAT8(i++)) : 0.0;
	a->rate = pm_finite_arg("rate", PG_GETARG_FLOAT8(i++));
	a->dividend = with_dividend ? pm_finite_arg("dividend", PG_GETARG_FLOAT8(i)) : 0.0;
}

#define BS_ARGS(a)	option_args(fcinfo, 0, "spot", true, true, (a))
#define B76_ARGS(a) option_args(fcinfo, 0, "forward", true, false, (a))

static Datum
form_result(FunctionCallInfo fcinfo, const char *fn, const char *const *names,
			const double *values, const bool *nulls, int n)
{
	TupleDesc	tupdesc = pm_result_tupdesc(fcinfo);
	Datum		d[16];
	bool		isnull[16];
	int			i;

	Assert(n <= 16 && tupdesc->natts == n);
	for (i = 0; i < n; i++)
	{
		isnull[i] = nulls != NULL && nulls[i];
		if (!isnull[i] && !isfinite(values[i]))
			pm_finite_result(psprintf("%s %s", fn, names[i]), values[i]);
		d[i] = Float8GetDatum(values[i]);
	}
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, d, isnull));
}

/* portmargin.greeks columns, in order */
static const char *const greeks_names[] = {
	"price", "delta", "gamma", "vega", "theta", "theta_day", "rho", "dividend_rho",
	"vanna", "volga", "charm"
};

static Datum
greeks_datum(FunctionCallInfo fcinfo, const char *fn, const PmGreeks *g, bool with_dividend)
{
	double		v[11] = {g->price, g->delta, g->gamma, g->vega, g->theta,
		g->theta / PM_DAYS_PER_YEAR, g->rho, g->dividend_rho, g->vanna, g->volga, g->charm};
	bool		nulls[11] = {false};

	nulls[7] = !with_dividend;
	return form_result(fcinfo, fn, greeks_names, v, nulls, 11);
}

#define RETURN_FINITE(fn, expr) PG_RETURN_FLOAT8(pm_finite_result(fn, (expr)))

/* ---- Black-Scholes-Merton ---- */

PG_FUNCTION_INFO_V1(portmargin_bs_price);
Datum
portmargin_bs_price(PG_FUNCTION_ARGS)
{
	OptionArgs	a;

	BS_ARGS(&a);
	RETURN_FINITE("bs_price", pm_bs_price(a.theta, a.underlying, a.strike, a.t, a.vol, a.rate, a.dividend));
}

PG_FUNCTION_INFO_V1(portmargin_bs_greeks);
Datum
portmargin_bs_greeks(PG_FUNCTION_ARGS)
{
	OptionArgs	a;
	PmGreeks	g;

	BS_ARGS(&a);
	pm_bs_greeks(a.theta, a.underlying, a.strike, a.t, a.vol, a.rate, a.dividend, &g);
	PG_RETURN_DATUM(greeks_datum(fcinfo, "bs_greeks", &g, true));
}

PG_FUNCTION_INFO_V1(portmargin_bs_delta);
Datum
portmargin_bs_delta(PG_FUNCTION_ARGS)
{
	OptionArgs	a;

	BS_ARGS(&a);
	RETURN_FINITE("bs_delta", pm_bs_delta(a.theta, a.underlying, a.strike, a.t, a.vol, a.rate, a.dividend));
}

PG_FUNCTION_INFO_V1(portmargin_bs_gamma);
Datum
portmargin_bs_gamma(PG_FUNCTION_ARGS)
{
	OptionArgs	a;

	BS_ARGS(&a);
	RETURN_FINITE("bs_gamma", pm_bs_gamma(a.underlying, a.strike, a.t, a.vol, a.rate, a.dividend));
}

PG_FUNCTION_INFO_V1(portmargin_bs_vega);
Datum
portmargin_bs_vega(PG_FUNCTION_ARGS)
{
	OptionArgs	a;

	BS_ARGS(&a);
	RETURN_FINITE("bs_vega", pm_bs_vega(a.underlying, a.strike, a.t, a.vol, a.rate, a.dividend));
}

PG_FUNCTION_INFO_V1(portmargin_bs_theta);
Datum
portmargin_bs_theta(PG_FUNCTION_ARGS)
{
	OptionArgs	a;

	BS_ARGS(&a);
	RETURN_FINITE("bs_theta", pm_bs_theta(a.theta, a.underlying, a.strike, a.t, a.vol, a.rate, a.dividend));
}

/* ---- Black-76 ---- */

PG_FUNCTION_INFO_V1(portmargin_black76_price);
Datum
portmargin_black76_price(PG_FUNCTION_ARGS)
{
	OptionArgs	a;

	B76_ARGS(&a);
	RETURN_FINITE("black76_price", pm_black76_price(a.theta, a.underlying, a.strike, a.t, a.vol, a.rate));
}

PG_FUNCTION_INFO_V1(portmargin_black76_greeks);
Datum
portmargin_black76_greeks(PG_FUNCTION_ARGS)
{
	OptionArgs	a;
	PmGreeks	g;

	B76_ARGS(&a);
	pm_black76_greeks(a.theta, a.underlying, a.strike, a.t, a.vol, a.rate, &g);
	PG_RETURN_DATUM(greeks_datum(fcinfo, "black76_greeks", &g, false));
}

PG_FUNCTION_INFO_V1(portmargin_black76_delta);
Datum
portmargin_black76_delta(PG_FUNCTION_ARGS)
{
	OptionArgs	a;

	B76_ARGS(&a);
	RETURN_FINITE("black76_delta", pm_black76_delta(a.theta, a.underlying, a.strike, a.t, a.vol, a.rate));
}

PG_FUNCTION_INFO_V1(portmargin_black76_gamma);
Datum
portmargin_black76_gamma(PG_FUNCTION_ARGS)
{
	OptionArgs	a;

	B76_ARGS(&a);
	RETURN_FINITE("black76_gamma", pm_black76_gamma(a.underlying, a.strike, a.t, a.vol, a.rate));
}

PG_FUNCTION_INFO_V1(portmargin_black76_vega);
Datum
portmargin_black76_vega(PG_FUNCTION_ARGS)
{
	OptionArgs	a;

	B76_ARGS(&a);
	RETURN_FINITE("black76_vega", pm_black76_vega(a.underlying, a.strike, a.t, a.vol, a.rate));
}

PG_FUNCTION_INFO_V1(portmargin_black76_theta);
Datum
portmargin_black76_theta(PG_FUNCTION_ARGS)
{
	OptionArgs	a;

	B76_ARGS(&a);
	RETURN_FINITE("black76_theta", pm_black76_theta(a.theta, a.underlying, a.strike, a.t, a.vol, a.rate));
}

/* ---- coin-settled (inverse) options: Black-76 USD value / forward ---- */

PG_FUNCTION_INFO_V1(portmargin_inverse_price);
Datum
portmargin_inverse_price(PG_FUNCTION_ARGS)
{
	OptionArgs	a;

	B76_ARGS(&a);
	RETURN_FINITE("inverse_price",
				  pm_black76_price(a.theta, a.underlying, a.strike, a.t, a.vol, a.rate) / a.underlying);
}

static const char *const inverse_greeks_names[] = {
	"price", "price_usd", "delta", "net_delta", "gamma", "vega", "theta", "theta_day", "rho"
};

PG_FUNCTION_INFO_V1(portmargin_inverse_greeks);
Datum
portmargin_inverse_greeks(PG_FUNCTION_ARGS)
{
	OptionArgs	a;
	PmGreeks	g;
	double		F,
				coin;

	B76_ARGS(&a);
	F = a.underlying;
	pm_black76_greeks(a.theta, F, a.strike, a.t, a.vol, a.rate, &g);
	coin = g.price / F;
	{
		double		v[9] = {coin, g.price, g.delta, g.delta - coin, g.gamma,
			g.vega / F, g.theta / F, g.theta / F / PM_DAYS_PER_YEAR, g.rho / F};

		PG_RETURN_DATUM(form_result(fcinfo, "inverse_greeks", inverse_greeks_names, v, NULL, 9));
	}
}

/* ---- implied volatility ---- */

typedef enum IvModel
{
	IV_BSM,						/* price, option_type, spot, strike, t, rate, dividend */
	IV_BLACK76,					/* price, option_type, forward, strike, t, rate */
	IV_INVERSE					/* the same, price in coin */
} IvModel;

/* NULL outside the no-arbitrage bounds, the volatility otherwise */
static Datum
implied_vol_sql(FunctionCallInfo fcinfo, IvModel model)
{
	double		price = pm_positive_arg("price", PG_GETARG_FLOAT8(0));
	OptionArgs	a;
	PmIvStatus	status;
	double		vol;

	option_args(fcinfo, 1, model == IV_BSM ? "spot" : "forward", false, model == IV_BSM, &a);
	if (model == IV_BSM)
		vol = pm_bs_implied_vol(a.theta, price, a.underlying, a.strike, a.t, a.rate, a.dividend,
								&status, NULL);
	else if (model == IV_INVERSE)
		vol = pm_inverse_implied_vol(a.theta, price, a.underlying, a.strike, a.t, a.rate,
									 &status, NULL);
	else
		vol = pm_black76_implied_vol(a.theta, price, a.underlying, a.strike, a.t, a.rate,
									 &status, NULL);
	if (status != PM_IV_OK)
		PG_RETURN_NULL();
	RETURN_FINITE("implied volatility", vol);
}

PG_FUNCTION_INFO_V1(portmargin_implied_vol);
Datum
portmargin_implied_vol(PG_FUNCTION_ARGS)
{
	return implied_vol_sql(fcinfo, IV_BSM);
}

PG_FUNCTION_INFO_V1(portmargin_black76_implied_vol);
Datum
portmargin_black76_implied_vol(PG_FUNCTION_ARGS)
{
	return implied_vol_sql(fcinfo, IV_BLACK76);
}

PG_FUNCTION_INFO_V1(portmargin_inverse_implied_vol);
Datum
portmargin_inverse_implied_vol(PG_FUNCTION_ARGS)
{
	return implied_vol_sql(fcinfo, IV_INVERSE);
}

/* ---- time ---- */

PG_FUNCTION_INFO_V1(portmargin_year_fraction);
Datum
portmargin_year_fraction(PG_FUNCTION_ARGS)
{
	TimestampTz as_of = PG_GETARG_TIMESTAMPTZ(0);
	TimestampTz expiry = PG_GETARG_TIMESTAMPTZ(1);

	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"as_of\": %s", timestamptz_to_str(as_of)),
				 errdetail("The argument must be a finite timestamp.")));
	if (TIMESTAMP_NOT_FINITE(expiry))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"expiry\": %s", timestamptz_to_str(expiry)),
				 errdetail("The argument must be a finite timestamp.")));
	/* ACT/365: elapsed seconds over 365 days of 86,400 seconds */
	PG_RETURN_FLOAT8(((double) expiry - (double) as_of) / (PM_DAYS_PER_YEAR * USECS_PER_DAY));
}
