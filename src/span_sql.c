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

/*
 * The aggregate's state: per combined commodity (SpanHold) its months
 * (SpanAcc, a list; an entry never moves once made), and an open-addressing
 * index of (commodity, month) -> entry whose slots carry the month, the
 * code's length and its first 8 bytes.  A row costs one hash of its code
 * and, typically, one slot and its entry: states of many accounts read in
 * any order touch few cache lines per row.
 */
typedef struct SpanAcc
{
	struct SpanAcc *next;		/* the holding's next month */
	int32		month;
	double		delta;
	double		array[PM_SPAN_NSCEN];
} SpanAcc;

typedef struct SpanHold
{
	char	   *cc;
	int			cc_len;
	int			nmonths;
	double		option_value;
	double		short_calls;
	double		short_puts;
	SpanAcc    *head;
	SpanAcc    *tail;
} SpanHold;

typedef struct SpanSlot
{
	uint32		hash;
	int32		month;			/* 0 = empty */
	int32		cc_len;
	int32		hold;			/* index into holds */
	uint64		prefix;			/* the code's first 8 bytes, zero-padded */
	SpanAcc    *acc;
} SpanSlot;

typedef struct SpanState
{
	MemoryContext mcxt;
	int			nh;
	int			maxh;
	SpanHold   *holds;
	int			nkeys;
	uint32		mask;			/* slots - 1 (a power of two) */
	SpanSlot   *tab;
	SpanAcc    *free_accs;		/* entries allocated in blocks: the next unused */
	int			nfree;
} SpanState;

#define SPAN_ACC_BLOCK 16

#define SPAN_TAB_INIT 16

static inline bool
valid_month(int32 m)
{
	return m >= 100001 && m <= 999912 && m % 100 >= 1 && m % 100 <= 12;
}

static SpanState *
span_state_new(MemoryContext mcxt)
{
	SpanState  *st = MemoryContextAllocZero(mcxt, sizeof(SpanState));

	st->mcxt = mcxt;
	st->mask = SPAN_TAB_INIT - 1;
	st->tab = MemoryContextAllocZero(mcxt, sizeof(SpanSlot) * SPAN_TAB_INIT);
	return st;
}

/* FNV-1a of the commodity code, mixed with the month */
static inline uint32
span_key_hash(const char *cc, int len, int month)
{
	uint32		x = 2166136261u;
	int			i;

	for (i = 0; i < len; i++)
		x = (x ^ (unsigned char) cc[i]) * 16777619u;
	x ^= (uint32) month * 2654435761u;
	return x ^ (x >> 15);
}

static inline uint64
span_prefix(const char *cc, int len)
{
	uint64		p = 0;

	memcpy(&p, cc, Min(len, 8));
	return p;
}

static void
span_tab_put(SpanState *st, const SpanSlot *slot)
{
	uint32		i = slot->hash & st->mask;

	while (st->tab[i].month != 0)
		i = (i + 1) & st->mask;
	st->tab[i] = *slot;
}

static void
span_tab_grow(SpanState *st)
{
	SpanSlot   *old = st->tab;
	uint32		oldsize = st->mask + 1,
				i;

	st->mask = oldsize * 2 - 1;
	st->tab = MemoryContextAllocZero(st->mcxt, sizeof(SpanSlot) * (st->mask + 1));
	for (i = 0; i < oldsize; i++)
		if (old[i].month != 0)
			span_tab_put(st, &old[i]);
	pfree(old);
}

/* the holding of commodity cc (len bytes), added if new (rare: a linear search) */
static int
span_hold_index(SpanState *st, const char *cc, int len)
{
	int			i;
	SpanHold   *h;

	for (i = 0; i < st->nh; i++)
		if (st->holds[i].cc_len == len && memcmp(st->holds[i].cc, cc, len) == 0)
			return i;
	if (st->nh == st->maxh)
	{
		st->maxh = st->maxh ? st->maxh * 2 : 4;
		st->holds = st->holds ? repalloc(st->holds, sizeof(SpanHold) * st->maxh)
			: MemoryContextAlloc(st->mcxt, sizeof(SpanHold) * st->maxh);
	}
	h = &st->holds[st->nh];
	memset(h, 0, sizeof(SpanHold));
	h->cc = MemoryContextAlloc(st->mcxt, len + 1);
	memcpy(h->cc, cc, len);
	h->cc[len] = '\0';
	h->cc_len = len;
	return st->nh++;
}

/*
 * The entry of (cc, month), added (zero) if new; *hi is set to its
 * holding's index, *added (if asked) to whether it is new.
 */
static inline SpanAcc *
span_entry(SpanState *st, const char *cc, int len, int month, int *hi, bool *added)
{
	uint32		hash = span_key_hash(cc, len, month);
	uint64		prefix = span_prefix(cc, len);
	uint32		i = hash & st->mask;
	SpanSlot	slot;
	SpanHold   *h;
	SpanAcc    *acc;

	for (;;)
	{
		const SpanSlot *sl = &st->tab[i];

		if (sl->month == 0)
			break;
		if (sl->hash == hash && sl->month == month && sl->cc_len == len && sl->prefix == prefix &&
			(len <= 8 || memcmp(st->holds[sl->hold].cc + 8, cc + 8, len - 8) == 0))
		{
			*hi = sl->hold;
			if (added)
				*added = false;
			return sl->acc;
		}
		i = (i + 1) & st->mask;
	}
	/* a new key */
	*hi = span_hold_index(st, cc, len);
	h = &st->holds[*hi];
	if (st->nfree == 0)
	{
		st->free_accs = MemoryContextAlloc(st->mcxt, sizeof(SpanAcc) * SPAN_ACC_BLOCK);
		st->nfree = SPAN_ACC_BLOCK;
	}
	acc = st->free_accs++;
	st->nfree--;
	memset(acc, 0, sizeof(SpanAcc));
	acc->month = month;
	if (h->tail)
		h->tail->next = acc;
	else
		h->head = acc;
	h->tail = acc;
	h->nmonths++;
	if (++st->nkeys * 2 > (int) st->mask + 1)
		span_tab_grow(st);
	slot.hash = hash;
	slot.month = month;
	slot.cc_len = len;
	slot.hold = *hi;
	slot.prefix = prefix;
	slot.acc = acc;
	span_tab_put(st, &slot);
	if (added)
		*added = true;
	return acc;
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
	SpanHold   *h;
	SpanAcc    *m;
	int			side = 0,
				hi,
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
	if (unlikely(VARSIZE_ANY_EXHDR(cc) == 0))
		pm_arg_error("cc", "is empty");
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

	m = span_entry(st, VARDATA_ANY(cc), VARSIZE_ANY_EXHDR(cc), month, &hi, NULL);
	for (j = 0; j < PM_SPAN_NSCEN; j++)
		m->array[j] += q * a[j];
	m->delta += q * delta;
	if (side != 0)
	{
		h = &st->holds[hi];
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
				j;

	for (i = 0; i < src->nh; i++)
	{
		const SpanHold *s = &src->holds[i];
		int			di = span_hold_index(dst, s->cc, s->cc_len);
		const SpanAcc *a;

		dst->holds[di].option_value += s->option_value;
		dst->holds[di].short_calls += s->short_calls;
		dst->holds[di].short_puts += s->short_puts;
		for (a = s->head; a; a = a->next)
		{
			SpanAcc    *m = span_entry(dst, s->cc, s->cc_len, a->month, &di, NULL);

			m->delta += a->delta;
			for (j = 0; j < PM_SPAN_NSCEN; j++)
				m->array[j] += a->array[j];
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
#define SPAN_MONTH_BYTES (sizeof(int32) + sizeof(double) * (PM_SPAN_NSCEN + 1))

static inline void
put(char **p, const void *src, size_t n)
{
	memcpy(*p, src, n);
	*p += n;
}

static bytea *
span_serialize(const SpanState *st)
{
	Size		size = VARHDRSZ + 4 + sizeof(int32);
	bytea	   *out;
	char	   *p;
	int			i;

	for (i = 0; i < st->nh; i++)
		size += sizeof(int32) + st->holds[i].cc_len + 3 * sizeof(double) + sizeof(int32) +
			(Size) st->holds[i].nmonths * SPAN_MONTH_BYTES;
	out = palloc(size);
	SET_VARSIZE(out, size);
	p = VARDATA(out);
	put(&p, SPAN_MAGIC, 4);
	put(&p, &st->nh, sizeof(int32));
	for (i = 0; i < st->nh; i++)
	{
		const SpanHold *h = &st->holds[i];
		const SpanAcc *a;

		put(&p, &h->cc_len, sizeof(int32));
		put(&p, h->cc, h->cc_len);
		put(&p, &h->option_value, sizeof(double));
		put(&p, &h->short_calls, sizeof(double));
		put(&p, &h->short_puts, sizeof(double));
		put(&p, &h->nmonths, sizeof(int32));
		for (a = h->head; a; a = a->next)
		{
			put(&p, &a->month, sizeof(int32));
			put(&p, &a->delta, sizeof(double));
			put(&p, a->array, sizeof(double) * PM_SPAN_NSCEN);
		}
	}
	Assert(p == (char *) out + size);
	return out;
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

static int
month_order(const void *a, const void *b)
{
	int			x = ((const PmSpanMonth *) a)->month,
				y = ((const PmSpanMonth *) b)->month;

	return (x > y) - (x < y);
}

static int
holding_order(const void *a, const void *b)
{
	return strcmp(((const PmSpanHolding *) a)->cc, ((const PmSpanHolding *) b)->cc);
}

/*
 * A serialised portfolio read as the holdings span.c margins (in the
 * current memory context, sorted by commodity and month); corrupt input is
 * ERROR 22P03.
 */
static PmSpanHolding *
span_read(const char *data, int len, int *nh_out)
{
	const char *p = data,
			   *end = data + len;
	int32		nh,
				i,
				k,
				j;
	char		magic[4];
	PmSpanHolding *hs;

	take(&p, end, magic, 4);
	if (memcmp(magic, SPAN_MAGIC, 4) != 0)
		corrupt("unknown format");
	take(&p, end, &nh, sizeof(int32));
	if (nh < 0 || nh > len / (int) (sizeof(int32) * 2 + 3 * sizeof(double) + 1))
		corrupt("bad commodity count");
	hs = palloc0(sizeof(PmSpanHolding) * Max(nh, 1));
	for (i = 0; i < nh; i++)
	{
		PmSpanHolding *h = &hs[i];
		int32		cc_len,
					nm;
		double		v[3];

		take(&p, end, &cc_len, sizeof(int32));
		if (cc_len <= 0 || cc_len > end - p || memchr(p, '\0', cc_len) != NULL)
			corrupt("bad commodity name");
		h->cc = pnstrdup(p, cc_len);
		h->cc_len = cc_len;
		p += cc_len;
		take(&p, end, v, sizeof(v));
		h->option_value = v[0];
		h->short_calls = v[1];
		h->short_puts = v[2];
		if (!isfinite(v[0]) || !isfinite(v[1]) || !isfinite(v[2]))
			corrupt("a value that is not finite");
		take(&p, end, &nm, sizeof(int32));
		if (nm < 0 || (Size) nm > (Size) (end - p) / SPAN_MONTH_BYTES)
			corrupt("bad month count");
		h->nmonths = h->maxmonths = nm;
		h->months = palloc(sizeof(PmSpanMonth) * Max(nm, 1));
		for (k = 0; k < nm; k++)
		{
			PmSpanMonth *m = &h->months[k];

			take(&p, end, &m->month, sizeof(int32));
			if (!valid_month(m->month))
				corrupt("bad month");
			take(&p, end, &m->delta, sizeof(double));
			take(&p, end, m->array, sizeof(double) * PM_SPAN_NSCEN);
			if (!isfinite(m->delta))
				corrupt("a value that is not finite");
			for (j = 0; j < PM_SPAN_NSCEN; j++)
				if (!isfinite(m->array[j]))
					corrupt("a value that is not finite");
		}
		if (nm > 32)
			qsort(h->months, nm, sizeof(PmSpanMonth), month_order);
		else
			for (k = 1; k < nm; k++)	/* insertion sort: few months, often in order */
			{
				int			x = k;

				if (h->months[x - 1].month <= h->months[x].month)
					continue;
				{
					PmSpanMonth tmp = h->months[x];

					while (x > 0 && h->months[x - 1].month > tmp.month)
					{
						h->months[x] = h->months[x - 1];
						x--;
					}
					h->months[x] = tmp;
				}
			}
		for (k = 1; k < nm; k++)
			if (h->months[k].month == h->months[k - 1].month)
				corrupt("a month twice");
	}
	if (p != end)
		corrupt("trailing bytes");
	if (nh > 1)
		qsort(hs, nh, sizeof(PmSpanHolding), holding_order);
	for (i = 1; i < nh; i++)
		if (strcmp(hs[i].cc, hs[i - 1].cc) == 0)
			corrupt("a commodity twice");
	*nh_out = nh;
	return hs;
}

/* a serialised state as an aggregate state in mcxt (parallel query: ERROR 22P03 on damage) */
static SpanState *
span_deserialize(const char *data, int len, MemoryContext mcxt)
{
	MemoryContext old = MemoryContextSwitchTo(mcxt);
	SpanState  *st = span_state_new(mcxt);
	int			nh,
				i,
				k,
				hi;
	PmSpanHolding *hs = span_read(data, len, &nh);

	for (i = 0; i < nh; i++)
	{
		hi = span_hold_index(st, hs[i].cc, hs[i].cc_len);
		st->holds[hi].option_value = hs[i].option_value;
		st->holds[hi].short_calls = hs[i].short_calls;
		st->holds[hi].short_puts = hs[i].short_puts;
		for (k = 0; k < hs[i].nmonths; k++)
		{
			SpanAcc    *a = span_entry(st, hs[i].cc, hs[i].cc_len, hs[i].months[k].month, &hi, NULL);

			a->delta = hs[i].months[k].delta;
			memcpy(a->array, hs[i].months[k].array, sizeof(double) * PM_SPAN_NSCEN);
		}
		pfree(hs[i].months);
		pfree(hs[i].cc);
	}
	pfree(hs);
	MemoryContextSwitchTo(old);
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
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(span_serialize((SpanState *) PG_GETARG_POINTER(0)));
}

/* span_portfolio text form: the bytes in hex, as bytea prints them */
PG_FUNCTION_INFO_V1(portmargin_span_portfolio_in);
Datum
portmargin_span_portfolio_in(PG_FUNCTION_ARGS)
{
	bytea	   *b = DatumGetByteaPP(DirectFunctionCall1(byteain, PG_GETARG_DATUM(0)));
	int			nh;

	span_read(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), &nh);
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
	int			nh;

	SET_VARSIZE(b, VARHDRSZ + len);
	pq_copymsgbytes(buf, VARDATA(b), len);
	span_read(VARDATA(b), len, &nh);
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
	MemoryContext cxt;			/* holds params and raw; replaced with them */
	Size		size;
	uint64		hash;
	PmSpanParams *params;
	/* the argument as passed (compressed, a TOAST pointer, or plain), when small: a match needs no detoasting */
	char	   *raw;
	Size		rawlen;
	/* text datums of each commodity's code and currency (in cxt), and of 'linear', 'span' and the labels */
	Datum	   *cc_text;
	Datum	   *currency_text;
	Datum		linear_text;
	Datum		span_text;
	Datum		labels[PM_SPAN_NSCEN];
	TupleDesc	tupdesc;		/* margin */
	TupleDesc	unit_tupdesc;	/* unit_margin */
	Oid			unit_type;
	int16		unit_typlen;
	bool		unit_typbyval;
	char		unit_typalign;
} SpanCache;

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

#define SPAN_RAW_MAX 65536

static SpanCache *
span_cache(FunctionCallInfo fcinfo, Datum arg)
{
	SpanCache  *c = fcinfo->flinfo->fn_extra;
	MemoryContext old;
	const char *raw = DatumGetPointer(arg);
	Size		rawlen = VARSIZE_ANY(raw);
	const SpanParamsValue *v;

	if (c == NULL)
	{
		TupleDesc	td;
		Oid			elemtype;

		if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "portmargin: span_margin must return the margin type");
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SpanCache));
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		c->tupdesc = BlessTupleDesc(CreateTupleDescCopy(td));
		c->linear_text = CStringGetTextDatum("linear");
		c->span_text = CStringGetTextDatum("span");
		for (int k = 0; k < PM_SPAN_NSCEN; k++)
			c->labels[k] = CStringGetTextDatum(span_scenario_label(k));
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
	if (c->params && c->raw && c->rawlen == rawlen && memcmp(c->raw, raw, rawlen) == 0)
		return c;
	v = (const SpanParamsValue *) PG_DETOAST_DATUM(arg);
	if (c->params == NULL || c->size != VARSIZE(v) || c->hash != v->hash)
	{
		Jsonb	   *doc = span_params_doc(v);

		if (c->cxt)
			MemoryContextDelete(c->cxt);
		c->params = NULL;
		c->raw = NULL;
		c->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "span parameters", ALLOCSET_DEFAULT_SIZES);
		old = MemoryContextSwitchTo(c->cxt);
		c->params = span_params_parse(doc);
		c->cc_text = palloc(sizeof(Datum) * c->params->ncc);
		c->currency_text = palloc(sizeof(Datum) * c->params->ncc);
		for (int i = 0; i < c->params->ncc; i++)
		{
			c->cc_text[i] = CStringGetTextDatum(c->params->cc[i].cc);
			c->currency_text[i] = CStringGetTextDatum(c->params->cc[i].currency);
		}
		MemoryContextSwitchTo(old);
		c->size = VARSIZE(v);
		c->hash = v->hash;
	}
	/* remember the argument's own bytes for the next call */
	if (rawlen <= SPAN_RAW_MAX)
	{
		c->raw = c->raw && c->rawlen >= rawlen ? c->raw : MemoryContextAlloc(c->cxt, rawlen);
		memcpy(c->raw, raw, rawlen);
		c->rawlen = rawlen;
	}
	else
		c->raw = NULL;
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
	int			acct = account_type_arg(PG_GETARG_TEXT_PP(2));
	SpanCache  *c = span_cache(fcinfo, PG_GETARG_DATUM(1));
	const PmSpanParams *p = c->params;
	int			nh;
	PmSpanHolding *hs = span_read(VARDATA_ANY(pf), VARSIZE_ANY_EXHDR(pf), &nh);
	int			i,
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

	rc = pm_span_margin(p, hs, nh, acct, palloc(pm_span_work_size(p, hs, nh)), out,
						&maint, &init, &inter, &bad);
	if (rc == PM_SPAN_UNKNOWN_CC)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("span_margin: combined commodity \"%s\" of the portfolio is not in the parameters",
						hs[bad].cc)));
	if (rc == PM_SPAN_CURRENCIES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("span_margin: combined commodities \"%s\" (%s) and \"%s\" (%s) have different currencies",
						hs[0].cc, p->cc[out[0].cc].currency, hs[bad].cc, p->cc[pm_span_find_cc(p, hs[bad].cc, hs[bad].cc_len)].currency),
				 errhint("SPAN requirements are per currency: margin each currency's positions apart (GROUP BY the currency).")));

	if (natts != 6 + PM_COMP_N + 3)
		elog(ERROR, "portmargin: unit_margin has %d fields, the library writes %d", natts, 6 + PM_COMP_N + 3);
	for (i = 0; i < nh; i++)
	{
		const PmSpanCcResult *r = &out[i];
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
		v[0] = c->cc_text[r->cc];
		v[1] = c->linear_text;
		n[2] = n[3] = true;
		v[4] = c->span_text;
		v[5] = c->currency_text[r->cc];
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
			v[6 + PM_COMP_N + 2] = c->labels[r->worst_scenario];
		}
		else
			n[6 + PM_COMP_N + 1] = n[6 + PM_COMP_N + 2] = true;
		units[i] = HeapTupleGetDatum(heap_form_tuple(c->unit_tupdesc, v, n));
		names[i] = c->cc_text[r->cc];
		margins[i] = r->maintenance;
		finite_or_error("span_margin: unit_margins", margins[i]);
		scan += r->scan;
		som += r->som;
		nov += r->option_value;
	}

	if (nh == 0)
		nulls[0] = true;
	else
		values[0] = c->currency_text[out[0].cc];
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
