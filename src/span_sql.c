/*
 * span_sql.c
 *	  SQL glue of SPAN from published risk arrays (span.c):
 *	  - the span_portfolio aggregate: an account's positions folded per
 *	    combined commodity and contract month (sums of quantity x published
 *	    array and composite delta, short options, option value), with
 *	    combine, serialise and deserialise for parallel query; its result is
 *	    the span_portfolio type, the same bytes as the partial state;
 *	  - the span_parameters type: a document of published parameters
 *	    (jsonb, doc/span.md) checked once and kept with a content hash, so
 *	    that span_margin parses it once per query, not per account;
 *	  - span_margin(portfolio, parameters, account_type): the margin type,
 *	    one unit per combined commodity.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

#include "margin.h"
#include "span.h"
#include "sqlargs.h"

/* ------------------------------------------------------------------ */
/* the folded portfolio                                               */
/* ------------------------------------------------------------------ */

typedef struct SpanState
{
	MemoryContext mcxt;
	int			nh;
	int			maxh;
	int			last;
	PmSpanHolding *h;
} SpanState;

static SpanState *
span_state_new(MemoryContext mcxt)
{
	SpanState  *st = MemoryContextAllocZero(mcxt, sizeof(SpanState));

	st->mcxt = mcxt;
	st->last = -1;
	return st;
}

static PmSpanHolding *
span_holding(SpanState *st, const char *cc, int len)
{
	int			i;
	PmSpanHolding *h;

	if (st->last >= 0 && st->h[st->last].cc_len == len && memcmp(st->h[st->last].cc, cc, len) == 0)
		return &st->h[st->last];
	for (i = 0; i < st->nh; i++)
		if (st->h[i].cc_len == len && memcmp(st->h[i].cc, cc, len) == 0)
		{
			st->last = i;
			return &st->h[i];
		}
	if (st->nh == st->maxh)
	{
		st->maxh = st->maxh ? st->maxh * 2 : 4;
		st->h = st->h ? repalloc(st->h, sizeof(PmSpanHolding) * st->maxh)
			: MemoryContextAlloc(st->mcxt, sizeof(PmSpanHolding) * st->maxh);
	}
	h = &st->h[st->nh];
	memset(h, 0, sizeof(PmSpanHolding));
	h->cc = MemoryContextAlloc(st->mcxt, len + 1);
	memcpy(h->cc, cc, len);
	h->cc[len] = '\0';
	h->cc_len = len;
	st->last = st->nh++;
	return h;
}

static PmSpanMonth *
span_month(SpanState *st, PmSpanHolding *h, int month)
{
	int			i;
	PmSpanMonth *m;

	for (i = h->nmonths - 1; i >= 0; i--)
		if (h->months[i].month == month)
			return &h->months[i];
	if (h->nmonths == h->maxmonths)
	{
		h->maxmonths = h->maxmonths ? h->maxmonths * 2 : 4;
		h->months = h->months ? repalloc(h->months, sizeof(PmSpanMonth) * h->maxmonths)
			: MemoryContextAlloc(st->mcxt, sizeof(PmSpanMonth) * h->maxmonths);
	}
	m = &h->months[h->nmonths++];
	memset(m, 0, sizeof(PmSpanMonth));
	m->month = month;
	return m;
}

static inline bool
valid_month(int32 m)
{
	return m >= 100001 && m <= 999912 && m % 100 >= 1 && m % 100 <= 12;
}

/*
 * span_portfolio(cc, month, quantity, risk_array, composite_delta,
 *                option_value, put_call)
 */
PG_FUNCTION_INFO_V1(portmargin_span_sfunc);
Datum
portmargin_span_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	SpanState  *st;
	text	   *cc;
	int32		month;
	double		q,
				delta,
				value = 0;
	ArrayType  *arr;
	const double *a;
	PmSpanHolding *h;
	PmSpanMonth *m;
	int			side = 0,
				j;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "portmargin_span_sfunc called in a non-aggregate context");
	st = PG_ARGISNULL(0) ? span_state_new(aggcxt) : (SpanState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1))
		pm_null_arg_error("cc", "every position belongs to a combined commodity");
	if (PG_ARGISNULL(2))
		pm_null_arg_error("month", "it places the position in its tiers (CCYYMM)");
	if (PG_ARGISNULL(3))
		pm_null_arg_error("quantity", "a position has a quantity");
	if (PG_ARGISNULL(4))
		pm_null_arg_error("risk_array", "SPAN margins a contract by its published array");
	if (PG_ARGISNULL(5))
		pm_null_arg_error("composite_delta", "the file publishes one per contract (1 for a future)");
	cc = PG_GETARG_TEXT_PP(1);
	month = PG_GETARG_INT32(2);
	if (unlikely(!valid_month(month)))
		pm_domain_error("month", month, "a contract month CCYYMM (e.g. 202603)");
	q = pm_finite_arg("quantity", PG_GETARG_FLOAT8(3));
	arr = PG_GETARG_ARRAYTYPE_P(4);
	if (unlikely(ARR_NDIM(arr) != 1 || ARR_HASNULL(arr) || ARR_DIMS(arr)[0] != PM_SPAN_NSCEN))
		pm_arg_error("risk_array", psprintf("has %d values%s; a SPAN risk array has 16, none NULL",
											ARR_NDIM(arr) == 1 ? ARR_DIMS(arr)[0] : ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)),
											ARR_NDIM(arr) > 1 ? " in more than one dimension" : ""));
	a = (const double *) ARR_DATA_PTR(arr);
	delta = pm_finite_arg("composite_delta", PG_GETARG_FLOAT8(5));
	if (!PG_ARGISNULL(7))
	{
		side = pm_option_type_arg(PG_GETARG_TEXT_PP(7));
		if (!PG_ARGISNULL(6))
			value = pm_finite_arg("option_value", PG_GETARG_FLOAT8(6));
	}
	for (j = 0; j < PM_SPAN_NSCEN; j++)
		if (unlikely(!isfinite(a[j])))
			pm_arg_error("risk_array", psprintf("value %d is %s; each must be finite", j + 1,
												float8out_internal(a[j])));

	h = span_holding(st, VARDATA_ANY(cc), VARSIZE_ANY_EXHDR(cc));
	m = span_month(st, h, month);
	for (j = 0; j < PM_SPAN_NSCEN; j++)
		m->array[j] += q * a[j];
	m->delta += q * delta;
	if (side != 0)
	{
		h->option_value += q * value;
		if (q < 0)
		{
			if (side > 0)
				h->short_calls -= q;
			else
				h->short_puts -= q;
		}
	}
	PG_RETURN_POINTER(st);
}

static void
span_merge(SpanState *dst, const SpanState *src)
{
	int			i,
				k,
				j;

	for (i = 0; i < src->nh; i++)
	{
		const PmSpanHolding *s = &src->h[i];
		PmSpanHolding *d = span_holding(dst, s->cc, s->cc_len);

		d->option_value += s->option_value;
		d->short_calls += s->short_calls;
		d->short_puts += s->short_puts;
		for (k = 0; k < s->nmonths; k++)
		{
			PmSpanMonth *m = span_month(dst, d, s->months[k].month);

			m->delta += s->months[k].delta;
			for (j = 0; j < PM_SPAN_NSCEN; j++)
				m->array[j] += s->months[k].array[j];
		}
	}
}

PG_FUNCTION_INFO_V1(portmargin_span_combine);
Datum
portmargin_span_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	SpanState  *dst;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "portmargin_span_combine called in a non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0));
	dst = PG_ARGISNULL(0) ? span_state_new(aggcxt) : (SpanState *) PG_GETARG_POINTER(0);
	span_merge(dst, (SpanState *) PG_GETARG_POINTER(1));
	PG_RETURN_POINTER(dst);
}

/*
 * Wire form (also the span_portfolio type's bytes): "PMS1", nh, then per
 * holding: cc_len, cc bytes, option value, short calls, short puts,
 * nmonths, then per month: month, delta, 16 array values.  Integers int32,
 * doubles float8, in the machine's order (a state stays on one server).
 */
#define SPAN_MAGIC "PMS1"

static bytea *
span_serialize(const SpanState *st)
{
	StringInfoData buf;
	int			i,
				k;

	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	appendBinaryStringInfo(&buf, SPAN_MAGIC, 4);
	appendBinaryStringInfo(&buf, (const char *) &st->nh, sizeof(int32));
	for (i = 0; i < st->nh; i++)
	{
		const PmSpanHolding *h = &st->h[i];

		appendBinaryStringInfo(&buf, (const char *) &h->cc_len, sizeof(int32));
		appendBinaryStringInfo(&buf, h->cc, h->cc_len);
		appendBinaryStringInfo(&buf, (const char *) &h->option_value, sizeof(double));
		appendBinaryStringInfo(&buf, (const char *) &h->short_calls, sizeof(double));
		appendBinaryStringInfo(&buf, (const char *) &h->short_puts, sizeof(double));
		appendBinaryStringInfo(&buf, (const char *) &h->nmonths, sizeof(int32));
		for (k = 0; k < h->nmonths; k++)
		{
			appendBinaryStringInfo(&buf, (const char *) &h->months[k].month, sizeof(int32));
			appendBinaryStringInfo(&buf, (const char *) &h->months[k].delta, sizeof(double));
			appendBinaryStringInfo(&buf, (const char *) h->months[k].array, sizeof(double) * PM_SPAN_NSCEN);
		}
	}
	SET_VARSIZE(buf.data, buf.len);
	return (bytea *) buf.data;
}

static void
corrupt(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid span_portfolio value: %s", what)));
}

static void
take(const char **p, const char *end, void *dst, size_t n)
{
	if ((size_t) (end - *p) < n)
		corrupt("it ends early");
	memcpy(dst, *p, n);
	*p += n;
}

/* a serialised portfolio read into mcxt; corrupt input is ERROR 22P03 */
static SpanState *
span_deserialize(const char *data, int len, MemoryContext mcxt)
{
	const char *p = data,
			   *end = data + len;
	SpanState  *st = span_state_new(mcxt);
	int32		nh,
				i,
				k,
				j;
	char		magic[4];

	take(&p, end, magic, 4);
	if (memcmp(magic, SPAN_MAGIC, 4) != 0)
		corrupt("unknown format");
	take(&p, end, &nh, sizeof(int32));
	if (nh < 0 || nh > len)
		corrupt("bad commodity count");
	for (i = 0; i < nh; i++)
	{
		int32		cc_len,
					nm;
		PmSpanHolding *h;
		double		v[3];

		take(&p, end, &cc_len, sizeof(int32));
		if (cc_len <= 0 || cc_len > end - p)
			corrupt("bad commodity name");
		if (memchr(p, '\0', cc_len) != NULL)
			corrupt("bad commodity name");
		h = span_holding(st, p, cc_len);
		if (h != &st->h[st->nh - 1] || st->nh != i + 1)
			corrupt("a commodity twice");
		p += cc_len;
		take(&p, end, v, sizeof(v));
		h->option_value = v[0];
		h->short_calls = v[1];
		h->short_puts = v[2];
		take(&p, end, &nm, sizeof(int32));
		if (nm < 0 || nm > (end - p) / (int) (sizeof(int32) + sizeof(double) * (PM_SPAN_NSCEN + 1)))
			corrupt("bad month count");
		for (k = 0; k < nm; k++)
		{
			int32		month;
			PmSpanMonth *m;

			take(&p, end, &month, sizeof(int32));
			if (!valid_month(month))
				corrupt("bad month");
			m = span_month(st, h, month);
			if (h->nmonths != k + 1)
				corrupt("a month twice");
			take(&p, end, &m->delta, sizeof(double));
			take(&p, end, m->array, sizeof(double) * PM_SPAN_NSCEN);
			for (j = 0; j < PM_SPAN_NSCEN; j++)
				if (!isfinite(m->array[j]))
					corrupt("a value that is not finite");
			if (!isfinite(m->delta))
				corrupt("a value that is not finite");
		}
		if (!isfinite(h->option_value) || !isfinite(h->short_calls) || !isfinite(h->short_puts))
			corrupt("a value that is not finite");
	}
	if (p != end)
		corrupt("trailing bytes");
	return st;
}

PG_FUNCTION_INFO_V1(portmargin_span_serial);
Datum
portmargin_span_serial(PG_FUNCTION_ARGS)
{
	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "portmargin_span_serial called in a non-aggregate context");
	PG_RETURN_BYTEA_P(span_serialize((SpanState *) PG_GETARG_POINTER(0)));
}

PG_FUNCTION_INFO_V1(portmargin_span_deserial);
Datum
portmargin_span_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	bytea	   *b = PG_GETARG_BYTEA_PP(0);

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "portmargin_span_deserial called in a non-aggregate context");
	PG_RETURN_POINTER(span_deserialize(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), aggcxt));
}

/* the aggregate's result: the state's bytes as a span_portfolio */
PG_FUNCTION_INFO_V1(portmargin_span_ffunc);
Datum
portmargin_span_ffunc(PG_FUNCTION_ARGS)
{
	SpanState  *st;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (SpanState *) PG_GETARG_POINTER(0);
	PG_RETURN_BYTEA_P(span_serialize(st));
}

/* span_portfolio text form: the bytes in hex, as bytea prints them */
PG_FUNCTION_INFO_V1(portmargin_span_portfolio_in);
Datum
portmargin_span_portfolio_in(PG_FUNCTION_ARGS)
{
	bytea	   *b = DatumGetByteaPP(DirectFunctionCall1(byteain, PG_GETARG_DATUM(0)));

	span_deserialize(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), CurrentMemoryContext);
	PG_RETURN_BYTEA_P(b);
}

PG_FUNCTION_INFO_V1(portmargin_span_portfolio_out);
Datum
portmargin_span_portfolio_out(PG_FUNCTION_ARGS)
{
	return DirectFunctionCall1(byteaout, PG_GETARG_DATUM(0));
}

PG_FUNCTION_INFO_V1(portmargin_span_portfolio_recv);
Datum
portmargin_span_portfolio_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	pq_copymsgbytes(buf, VARDATA(b), len);
	span_deserialize(VARDATA(b), len, CurrentMemoryContext);
	PG_RETURN_BYTEA_P(b);
}

PG_FUNCTION_INFO_V1(portmargin_span_portfolio_send);
Datum
portmargin_span_portfolio_send(PG_FUNCTION_ARGS)
{
	return DirectFunctionCall1(byteasend, PG_GETARG_DATUM(0));
}

/* ------------------------------------------------------------------ */
/* parameters                                                         */
/* ------------------------------------------------------------------ */

/*
 * span_parameters: header, then the jsonb document as given (checked).
 * hash is of the jsonb bytes: span_margin's cache tells documents apart by
 * size and hash without comparing them.
 */
typedef struct SpanParamsValue
{
	int32		vl_len_;
	int32		version;
	uint64		hash;
	/* jsonb follows, 8-byte aligned */
} SpanParamsValue;

#define SPAN_PARAMS_VERSION 1
#define SPAN_PARAMS_JSONB(v) ((Jsonb *) ((char *) (v) + sizeof(SpanParamsValue)))

static void param_error(const char *path, const char *fmt,...) pg_attribute_printf(2, 3) pg_attribute_noreturn();

static void
param_error(const char *path, const char *fmt,...)
{
	char		buf[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("span parameters: %s: %s", path, buf),
			 errhint("doc/span.md describes the document.")));
}

static bool
jb_get(JsonbContainer *c, const char *key, JsonbValue *out)
{
	return getKeyJsonValueFromContainer(c, key, strlen(key), out) != NULL && out->type != jbvNull;
}

static const char *
jb_type_name(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvNull:
			return "null";
		default:
			return JsonContainerIsArray(v->val.binary.data) ? "an array" : "an object";
	}
}

static double
jb_number(JsonbContainer *c, const char *key, const char *path, bool required, double def)
{
	JsonbValue	v;
	double		d;

	if (!jb_get(c, key, &v))
	{
		if (required)
			param_error(path, "\"%s\" is missing", key);
		return def;
	}
	if (v.type != jbvNumeric)
		param_error(path, "\"%s\" is %s; it must be a number", key, jb_type_name(&v));
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v.val.numeric)));
	if (!isfinite(d))
		param_error(path, "\"%s\" is %s; it must be finite", key, float8out_internal(d));
	return d;
}

static int
jb_int(JsonbContainer *c, const char *key, const char *path, bool required, int def)
{
	double		d = jb_number(c, key, path, required, def);

	if (d != floor(d) || fabs(d) > 1e9)
		param_error(path, "\"%s\" is %s; it must be an integer", key, float8out_internal(d));
	return (int) d;
}

static char *
jb_string(JsonbContainer *c, const char *key, const char *path, bool required, const char *def)
{
	JsonbValue	v;

	if (!jb_get(c, key, &v))
	{
		if (required)
			param_error(path, "\"%s\" is missing", key);
		return def ? pstrdup(def) : NULL;
	}
	if (v.type != jbvString)
		param_error(path, "\"%s\" is %s; it must be a string", key, jb_type_name(&v));
	if (v.val.string.len == 0)
		param_error(path, "\"%s\" is empty", key);
	return pnstrdup(v.val.string.val, v.val.string.len);
}

static bool
jb_bool(JsonbContainer *c, const char *key, const char *path, bool def)
{
	JsonbValue	v;

	if (!jb_get(c, key, &v))
		return def;
	if (v.type != jbvBool)
		param_error(path, "\"%s\" is %s; it must be true or false", key, jb_type_name(&v));
	return v.val.boolean;
}

/* an array under key (NULL and *n = 0 when absent) */
static JsonbContainer *
jb_array(JsonbContainer *c, const char *key, const char *path, int *n)
{
	JsonbValue	v;

	*n = 0;
	if (!jb_get(c, key, &v))
		return NULL;
	if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
		param_error(path, "\"%s\" is %s; it must be an array", key, jb_type_name(&v));
	*n = JsonContainerSize(v.val.binary.data);
	return v.val.binary.data;
}

/* element i of array a, an object */
static JsonbContainer *
jb_object_at(JsonbContainer *a, int i, const char *path)
{
	JsonbValue *v = getIthJsonbValueFromContainer(a, i);

	if (v == NULL || v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		param_error(path, "is %s; it must be an object", v ? jb_type_name(v) : "missing");
	return v->val.binary.data;
}

static char
jb_side(JsonbContainer *c, const char *path)
{
	char	   *s = jb_string(c, "side", path, true, NULL);

	if ((s[0] != 'A' && s[0] != 'B') || s[1] != '\0')
		param_error(path, "\"side\" is \"%s\"; it must be \"A\" or \"B\"", s);
	return s[0];
}

static double
jb_ratio(JsonbContainer *c, const char *path)
{
	double		r = jb_number(c, "ratio", path, false, 1.0);

	if (!(r > 0))
		param_error(path, "\"ratio\" is %s; it must be greater than zero", float8out_internal(r));
	return r;
}

static void
jb_tiers(JsonbContainer *c, const char *key, const char *path, PmSpanTier **out, int *n)
{
	JsonbContainer *a = jb_array(c, key, path, n);
	int			i,
				k;

	*out = palloc0(sizeof(PmSpanTier) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		char	   *p = psprintf("%s.%s[%d]", path, key, i);
		JsonbContainer *t = jb_object_at(a, i, p);
		PmSpanTier *tier = &(*out)[i];

		tier->tier = jb_int(t, "tier", p, true, 0);
		tier->start = jb_int(t, "start", p, false, 0);
		tier->end = jb_int(t, "end", p, false, 0);
		if ((tier->start && !valid_month(tier->start)) || (tier->end && !valid_month(tier->end)))
			param_error(p, "start %d or end %d is not a month CCYYMM", tier->start, tier->end);
		if (tier->start && tier->end && tier->start > tier->end)
			param_error(p, "start %d is after end %d", tier->start, tier->end);
		for (k = 0; k < i; k++)
			if ((*out)[k].tier == tier->tier)
				param_error(p, "tier %d is defined twice", tier->tier);
	}
}

static bool
tier_known(const PmSpanTier *t, int n, int tn)
{
	int			i;

	for (i = 0; i < n; i++)
		if (t[i].tier == tn)
			return true;
	return false;
}

static int
cmp_cc(const void *a, const void *b)
{
	return strcmp(((const PmSpanCc *) a)->cc, ((const PmSpanCc *) b)->cc);
}

static int
cmp_intra(const void *a, const void *b)
{
	const PmSpanIntraSpread *x = a,
			   *y = b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static int
cmp_inter(const void *a, const void *b)
{
	const PmSpanInterSpread *x = a,
			   *y = b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static void
jb_factors(JsonbContainer *c, const char *key, const char *path, double *out)
{
	int			n,
				i;
	JsonbContainer *a = jb_array(c, key, path, &n);

	if (a == NULL)
	{
		out[0] = out[1] = out[2] = 1.0;
		return;
	}
	if (n != 3)
		param_error(path, "\"%s\" has %d values; it must have 3 (member, hedger, speculator)", key, n);
	for (i = 0; i < 3; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(a, i);

		if (v->type != jbvNumeric)
			param_error(path, "\"%s\"[%d] is %s; it must be a number", key, i, jb_type_name(v));
		out[i] = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
		if (!(isfinite(out[i]) && out[i] > 0))
			param_error(path, "\"%s\"[%d] is %s; it must be greater than zero", key, i,
						float8out_internal(out[i]));
	}
}

/* the parameters of a checked document, in the current memory context */
static PmSpanParams *
span_params_parse(Jsonb *doc)
{
	PmSpanParams *p = palloc0(sizeof(PmSpanParams));
	JsonbContainer *root = &doc->root;
	JsonbContainer *ccs,
			   *inter;
	int			i,
				k,
				l;

	if (!JsonContainerIsObject(root))
		param_error("the document", "it must be a JSON object");
	ccs = jb_array(root, "combined_commodities", "the document", &p->ncc);
	if (ccs == NULL || p->ncc == 0)
		param_error("the document", "\"combined_commodities\" is missing or empty");
	p->cc = palloc0(sizeof(PmSpanCc) * p->ncc);
	for (i = 0; i < p->ncc; i++)
	{
		char	   *path = psprintf("combined_commodities[%d]", i);
		JsonbContainer *o = jb_object_at(ccs, i, path);
		PmSpanCc   *c = &p->cc[i];
		char	   *style,
				   *cpath;
		JsonbContainer *a;
		int			n;

		c->cc = jb_string(o, "cc", path, true, NULL);
		cpath = psprintf("%s (%s)", path, c->cc);
		c->currency = jb_string(o, "currency", cpath, true, NULL);
		style = jb_string(o, "option_style", cpath, false, "P");
		if (strcmp(style, "P") != 0 && strcmp(style, "F") != 0)
			param_error(cpath, "\"option_style\" is \"%s\"; it must be \"P\" (premium) or \"F\" (futures-style)",
						style);
		c->premium_options = style[0] == 'P';
		c->wfpr_method = jb_int(o, "wfpr_method", cpath, false, PM_SPAN_WFPR_NORMAL);
		if (c->wfpr_method < 1 || c->wfpr_method > 3)
			param_error(cpath, "\"wfpr_method\" is %d; it must be 1, 2 or 3", c->wfpr_method);
		c->price_scan_range = jb_number(o, "price_scan_range", cpath, c->wfpr_method != 1, NAN);
		if (!isnan(c->price_scan_range) && c->price_scan_range < 0)
			param_error(cpath, "\"price_scan_range\" is %s; it must not be negative",
						float8out_internal(c->price_scan_range));
		c->som_rate = jb_number(o, "som_rate", cpath, false, 0);
		if (c->som_rate < 0)
			param_error(cpath, "\"som_rate\" is %s; it must not be negative", float8out_internal(c->som_rate));
		c->som_method = jb_int(o, "som_method", cpath, false, 2);
		if (c->som_method != 1 && c->som_method != 2)
			param_error(cpath, "\"som_method\" is %d; it must be 1 or 2", c->som_method);
		jb_factors(o, "maintenance_factors", cpath, c->maintenance_factor);
		jb_factors(o, "initial_ratios", cpath, c->initial_ratio);
		jb_tiers(o, "scan_tiers", cpath, &c->scan_tiers, &c->nscan_tiers);
		jb_tiers(o, "intra_tiers", cpath, &c->intra_tiers, &c->nintra_tiers);

		a = jb_array(o, "intra_spreads", cpath, &c->nintra);
		c->intra = palloc0(sizeof(PmSpanIntraSpread) * Max(c->nintra, 1));
		for (k = 0; k < c->nintra; k++)
		{
			char	   *sp = psprintf("%s.intra_spreads[%d]", cpath, k);
			JsonbContainer *s = jb_object_at(a, k, sp);
			PmSpanIntraSpread *x = &c->intra[k];
			JsonbContainer *legs;

			x->priority = jb_int(s, "priority", sp, true, 0);
			x->seq = k;
			x->rate = jb_number(s, "rate", sp, true, 0);
			if (x->rate < 0)
				param_error(sp, "\"rate\" is %s; it must not be negative", float8out_internal(x->rate));
			legs = jb_array(s, "legs", sp, &x->nlegs);
			if (x->nlegs < 2 || x->nlegs > PM_SPAN_MAX_INTRA_LEGS)
				param_error(sp, "it has %d legs; a spread has 2 to %d", x->nlegs, PM_SPAN_MAX_INTRA_LEGS);
			for (l = 0; l < x->nlegs; l++)
			{
				char	   *lp = psprintf("%s.legs[%d]", sp, l);
				JsonbContainer *leg = jb_object_at(legs, l, lp);

				x->tier[l] = jb_int(leg, "tier", lp, true, 0);
				if (!tier_known(c->intra_tiers, c->nintra_tiers, x->tier[l]))
					param_error(lp, "tier %d is not one of %s's intra_tiers", x->tier[l], c->cc);
				x->ratio[l] = jb_ratio(leg, lp);
				x->side[l] = jb_side(leg, lp);
			}
		}
		qsort(c->intra, c->nintra, sizeof(PmSpanIntraSpread), cmp_intra);

		a = jb_array(o, "spot_months", cpath, &n);
		c->nspot = n;
		c->spot = palloc0(sizeof(PmSpanSpotMonth) * Max(n, 1));
		for (k = 0; k < n; k++)
		{
			char	   *sp = psprintf("%s.spot_months[%d]", cpath, k);
			JsonbContainer *s = jb_object_at(a, k, sp);

			c->spot[k].month = jb_int(s, "month", sp, true, 0);
			if (!valid_month(c->spot[k].month))
				param_error(sp, "\"month\" is %d; it must be a month CCYYMM", c->spot[k].month);
			c->spot[k].rate_consumed = jb_number(s, "rate_consumed", sp, true, 0);
			c->spot[k].rate_remaining = jb_number(s, "rate_remaining", sp, true, 0);
			if (c->spot[k].rate_consumed < 0 || c->spot[k].rate_remaining < 0)
				param_error(sp, "a rate is negative");
		}
	}
	qsort(p->cc, p->ncc, sizeof(PmSpanCc), cmp_cc);
	for (i = 1; i < p->ncc; i++)
		if (strcmp(p->cc[i].cc, p->cc[i - 1].cc) == 0)
			param_error("combined_commodities", "\"%s\" is defined twice", p->cc[i].cc);

	inter = jb_array(root, "inter_spreads", "the document", &p->ninter);
	p->inter = palloc0(sizeof(PmSpanInterSpread) * Max(p->ninter, 1));
	for (k = 0; k < p->ninter; k++)
	{
		char	   *sp = psprintf("inter_spreads[%d]", k);
		JsonbContainer *s = jb_object_at(inter, k, sp);
		PmSpanInterSpread *x = &p->inter[k];
		JsonbContainer *legs;

		x->priority = jb_int(s, "priority", sp, true, 0);
		x->seq = k;
		x->rate = jb_number(s, "credit_rate", sp, true, 0) / 100.0;
		if (x->rate < 0 || x->rate > 1)
			param_error(sp, "\"credit_rate\" is %s; it must be a percentage from 0 to 100",
						float8out_internal(x->rate * 100));
		legs = jb_array(s, "legs", sp, &x->nlegs);
		if (x->nlegs < 2 || x->nlegs > PM_SPAN_MAX_INTER_LEGS)
			param_error(sp, "it has %d legs; an inter-commodity spread has 2 to %d", x->nlegs,
						PM_SPAN_MAX_INTER_LEGS);
		for (l = 0; l < x->nlegs; l++)
		{
			char	   *lp = psprintf("%s.legs[%d]", sp, l);
			JsonbContainer *leg = jb_object_at(legs, l, lp);
			char	   *cc = jb_string(leg, "cc", lp, true, NULL);

			x->cc[l] = pm_span_find_cc(p, cc, strlen(cc));
			if (x->cc[l] < 0)
				param_error(lp, "combined commodity \"%s\" is not in combined_commodities", cc);
			x->ratio[l] = jb_ratio(leg, lp);
			x->side[l] = jb_side(leg, lp);
			x->required[l] = jb_bool(leg, "required", lp, true);
		}
	}
	qsort(p->inter, p->ninter, sizeof(PmSpanInterSpread), cmp_inter);
	return p;
}

/* a span_parameters value of a jsonb document, checked */
static SpanParamsValue *
span_params_value(Jsonb *doc)
{
	MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext, "span parameters check",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(tmp);
	SpanParamsValue *v;
	Size		len = VARSIZE(doc);

	span_params_parse(doc);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(tmp);
	v = palloc0(sizeof(SpanParamsValue) + len);
	SET_VARSIZE(v, sizeof(SpanParamsValue) + len);
	v->version = SPAN_PARAMS_VERSION;
	v->hash = hash_bytes_extended((const unsigned char *) doc, len, 0);
	memcpy(SPAN_PARAMS_JSONB(v), doc, len);
	return v;
}

/* the document inside a stored value, checked for damage (ERROR 22P03) */
static Jsonb *
span_params_doc(const SpanParamsValue *v)
{
	Jsonb	   *doc;

	if (VARSIZE(v) < sizeof(SpanParamsValue) + VARHDRSZ || v->version != SPAN_PARAMS_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid span_parameters value: unknown version or too short")));
	doc = SPAN_PARAMS_JSONB(v);
	if (VARSIZE(doc) != VARSIZE(v) - sizeof(SpanParamsValue))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid span_parameters value: its document's length is wrong")));
	return doc;
}

PG_FUNCTION_INFO_V1(portmargin_span_parameters);
Datum
portmargin_span_parameters(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(span_params_value(PG_GETARG_JSONB_P(0)));
}

PG_FUNCTION_INFO_V1(portmargin_span_parameters_in);
Datum
portmargin_span_parameters_in(PG_FUNCTION_ARGS)
{
	Datum		doc = DirectFunctionCall1(jsonb_in, PG_GETARG_DATUM(0));

	PG_RETURN_POINTER(span_params_value(DatumGetJsonbP(doc)));
}

PG_FUNCTION_INFO_V1(portmargin_span_parameters_out);
Datum
portmargin_span_parameters_out(PG_FUNCTION_ARGS)
{
	SpanParamsValue *v = (SpanParamsValue *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));

	return DirectFunctionCall1(jsonb_out, JsonbPGetDatum(span_params_doc(v)));
}

PG_FUNCTION_INFO_V1(portmargin_span_parameters_recv);
Datum
portmargin_span_parameters_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	Datum		doc;

	/* jsonb's binary form: a version byte (1), then the text; another version is not ours */
	if (buf->cursor >= buf->len || buf->data[buf->cursor] != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid span_parameters value: unknown binary format version")));
	doc = DirectFunctionCall1(jsonb_recv, PointerGetDatum(buf));

	PG_RETURN_POINTER(span_params_value(DatumGetJsonbP(doc)));
}

PG_FUNCTION_INFO_V1(portmargin_span_parameters_send);
Datum
portmargin_span_parameters_send(PG_FUNCTION_ARGS)
{
	SpanParamsValue *v = (SpanParamsValue *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));

	return DirectFunctionCall1(jsonb_send, JsonbPGetDatum(span_params_doc(v)));
}

PG_FUNCTION_INFO_V1(portmargin_span_parameters_jsonb);
Datum
portmargin_span_parameters_jsonb(PG_FUNCTION_ARGS)
{
	SpanParamsValue *v = (SpanParamsValue *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	Jsonb	   *doc = span_params_doc(v);
	Jsonb	   *copy = palloc(VARSIZE(doc));

	memcpy(copy, doc, VARSIZE(doc));
	PG_RETURN_JSONB_P(copy);
}

/* ------------------------------------------------------------------ */
/* span_margin                                                        */
/* ------------------------------------------------------------------ */

/* what span_margin keeps per call site: the parsed parameters and the result row type */
typedef struct SpanCache
{
	MemoryContext cxt;			/* holds params; replaced with them */
	Size		size;
	uint64		hash;
	PmSpanParams *params;
	TupleDesc	tupdesc;		/* margin */
	TupleDesc	unit_tupdesc;	/* unit_margin */
	Oid			unit_type;
	int16		unit_typlen;
	bool		unit_typbyval;
	char		unit_typalign;
} SpanCache;

static SpanCache *
span_cache(FunctionCallInfo fcinfo, const SpanParamsValue *v)
{
	SpanCache  *c = fcinfo->flinfo->fn_extra;
	MemoryContext old;

	if (c == NULL)
	{
		TupleDesc	td;
		Oid			elemtype;

		if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "portmargin: span_margin must return the margin type");
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SpanCache));
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		c->tupdesc = BlessTupleDesc(CreateTupleDescCopy(td));
		if (c->tupdesc->natts != 24)
			elog(ERROR, "portmargin: the margin type has %d fields, the library writes 24", c->tupdesc->natts);
		elemtype = get_element_type(TupleDescAttr(c->tupdesc, 23)->atttypid);
		if (!OidIsValid(elemtype))
			elog(ERROR, "portmargin: the margin type's units field is not an array");
		c->unit_tupdesc = lookup_rowtype_tupdesc_copy(elemtype, -1);
		MemoryContextSwitchTo(old);
		c->unit_type = elemtype;
		get_typlenbyvalalign(elemtype, &c->unit_typlen, &c->unit_typbyval, &c->unit_typalign);
		fcinfo->flinfo->fn_extra = c;
	}
	if (c->params == NULL || c->size != VARSIZE(v) || c->hash != v->hash)
	{
		Jsonb	   *doc = span_params_doc(v);

		if (c->cxt)
			MemoryContextDelete(c->cxt);
		c->params = NULL;
		c->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "span parameters", ALLOCSET_DEFAULT_SIZES);
		old = MemoryContextSwitchTo(c->cxt);
		c->params = span_params_parse(doc);
		MemoryContextSwitchTo(old);
		c->size = VARSIZE(v);
		c->hash = v->hash;
	}
	return c;
}

static int
account_type_arg(text *t)
{
	char	   *s = text_to_cstring(t);

	if (pg_strcasecmp(s, "M") == 0 || pg_strcasecmp(s, "member") == 0)
		return PM_SPAN_MEMBER;
	if (pg_strcasecmp(s, "H") == 0 || pg_strcasecmp(s, "hedger") == 0 || pg_strcasecmp(s, "X") == 0 ||
		pg_strcasecmp(s, "non_hrp") == 0)
		return PM_SPAN_HEDGER;
	if (pg_strcasecmp(s, "S") == 0 || pg_strcasecmp(s, "speculator") == 0 || pg_strcasecmp(s, "R") == 0 ||
		pg_strcasecmp(s, "hrp") == 0)
		return PM_SPAN_SPECULATOR;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid account_type: \"%s\"", s),
			 errdetail("It must be M (member), H (hedger; also X, non-HRP) or S (speculator; also R, HRP).")));
}

/* CME's scenario order (span.h) in words */
static const char *
span_scenario_label(int k)
{
	static const char *const moves[7] = {"unchanged", "up 1/3", "down 1/3", "up 2/3", "down 2/3", "up 3/3", "down 3/3"};

	if (k == 14)
		return "price up extreme (cover fraction)";
	if (k == 15)
		return "price down extreme (cover fraction)";
	return psprintf("price %s of scan range, volatility %s", moves[k / 2], k % 2 == 0 ? "up" : "down");
}

static int
holding_order(const void *a, const void *b)
{
	return strcmp(((const PmSpanHolding *) a)->cc, ((const PmSpanHolding *) b)->cc);
}

static void
finite_or_error(const char *what, double v)
{
	if (!isfinite(v))
		pm_result_error(what, v);
}

/* span_margin(portfolio, parameters, account_type) -> margin */
PG_FUNCTION_INFO_V1(portmargin_span_margin);
Datum
portmargin_span_margin(PG_FUNCTION_ARGS)
{
	bytea	   *pf = PG_GETARG_BYTEA_PP(0);
	SpanParamsValue *pv = (SpanParamsValue *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	int			acct = account_type_arg(PG_GETARG_TEXT_PP(2));
	SpanCache  *c = span_cache(fcinfo, pv);
	const PmSpanParams *p = c->params;
	SpanState  *st = span_deserialize(VARDATA_ANY(pf), VARSIZE_ANY_EXHDR(pf), CurrentMemoryContext);
	int			nh = st->nh,
				i,
				k,
				bad = -1,
				rc;
	PmSpanCcResult *out = palloc0(sizeof(PmSpanCcResult) * Max(nh, 1));
	double		maint = 0,
				init = 0,
				inter = 0,
				scan = 0,
				som = 0,
				nov = 0;
	Datum		values[24];
	bool		nulls[24] = {false};
	Datum	   *names = palloc(sizeof(Datum) * Max(nh, 1));
	Datum	   *units = palloc(sizeof(Datum) * Max(nh, 1));
	double	   *margins = palloc(sizeof(double) * Max(nh, 1));
	int			natts = c->unit_tupdesc->natts;

	if (nh > 1)
		qsort(st->h, nh, sizeof(PmSpanHolding), holding_order);
	rc = pm_span_margin(p, st->h, nh, acct, palloc(pm_span_work_size(p, st->h, nh)), out,
						&maint, &init, &inter, &bad);
	if (rc == PM_SPAN_UNKNOWN_CC)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("span_margin: combined commodity \"%s\" of the portfolio is not in the parameters",
						st->h[bad].cc)));
	if (rc == PM_SPAN_CURRENCIES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("span_margin: combined commodities \"%s\" (%s) and \"%s\" (%s) have different currencies",
						st->h[0].cc, p->cc[out[0].cc].currency, st->h[bad].cc, p->cc[pm_span_find_cc(p, st->h[bad].cc, st->h[bad].cc_len)].currency),
				 errhint("SPAN requirements are per currency: margin each currency's positions apart (GROUP BY the currency).")));

	if (natts != 6 + PM_COMP_N + 3)
		elog(ERROR, "portmargin: unit_margin has %d fields, the library writes %d", natts, 6 + PM_COMP_N + 3);
	for (i = 0; i < nh; i++)
	{
		const PmSpanCcResult *r = &out[i];
		const PmSpanCc *cc = &p->cc[r->cc];
		Datum	   *v = palloc(sizeof(Datum) * natts);
		bool	   *n = palloc(sizeof(bool) * natts);
		double		comp[PM_COMP_N];

		for (k = 0; k < PM_COMP_N; k++)
			comp[k] = NAN;
		comp[PM_COMP_INITIAL] = r->initial;
		comp[PM_COMP_MAINTENANCE] = r->maintenance;
		comp[PM_COMP_SCAN] = r->scan;
		comp[PM_COMP_SHORT_OPTION_MINIMUM] = r->som;
		comp[PM_COMP_NET_OPTION_VALUE] = r->option_value;
		comp[PM_COMP_INTRA_SPREAD] = r->intra;
		comp[PM_COMP_SPOT_MONTH] = r->spot;
		comp[PM_COMP_INTER_CREDIT] = r->inter;
		memset(n, 0, sizeof(bool) * natts);
		v[0] = CStringGetTextDatum(cc->cc);
		v[1] = CStringGetTextDatum("linear");
		n[2] = n[3] = true;
		v[4] = CStringGetTextDatum("span");
		v[5] = CStringGetTextDatum(cc->currency);
		for (k = 0; k < PM_COMP_N; k++)
		{
			n[6 + k] = isnan(comp[k]);
			if (!n[6 + k])
			{
				finite_or_error("span_margin: a combined commodity's component", comp[k]);
				v[6 + k] = Float8GetDatum(comp[k]);
			}
		}
		v[6 + PM_COMP_N] = Float8GetDatum(r->maintenance);
		if (r->worst_scenario >= 0)
		{
			v[6 + PM_COMP_N + 1] = Int32GetDatum(r->worst_scenario + 1);
			v[6 + PM_COMP_N + 2] = CStringGetTextDatum(span_scenario_label(r->worst_scenario));
		}
		else
			n[6 + PM_COMP_N + 1] = n[6 + PM_COMP_N + 2] = true;
		units[i] = HeapTupleGetDatum(heap_form_tuple(c->unit_tupdesc, v, n));
		names[i] = CStringGetTextDatum(cc->cc);
		margins[i] = r->maintenance;
		finite_or_error("span_margin: unit_margins", margins[i]);
		scan += r->scan;
		som += r->som;
		nov += r->option_value;
	}

	if (nh == 0)
		nulls[0] = true;
	else
		values[0] = CStringGetTextDatum(p->cc[out[0].cc].currency);
	values[1] = Float8GetDatum(init);
	values[2] = Float8GetDatum(maint);
	values[3] = Float8GetDatum(scan);
	values[4] = Float8GetDatum(som);
	values[5] = Float8GetDatum(nov);
	for (i = 6; i <= 11; i++)
		values[i] = Float8GetDatum(0.0);
	values[12] = Float8GetDatum(inter);
	for (i = 1; i <= 12; i++)
		finite_or_error("span_margin: the margin", DatumGetFloat8(values[i]));
	nulls[13] = nulls[14] = nulls[15] = true;
	values[16] = PointerGetDatum(construct_array(names, nh, TEXTOID, -1, false, TYPALIGN_INT));
	values[17] = PointerGetDatum(pm_float8_array(margins, nh));
	nulls[18] = true;
	for (i = 19; i < 23; i++)
		nulls[i] = true;
	values[23] = PointerGetDatum(construct_array(units, nh, c->unit_type, c->unit_typlen, c->unit_typbyval,
												 c->unit_typalign));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(c->tupdesc, values, nulls)));
}
