/*
 * span_sql.c
 *	  SQL glue of SPAN from published risk arrays (span.c):
 *	  - the span_portfolio aggregate: an account's positions folded per
 *	    combined commodity and contract month (sums of quantity x published
 *	    array and composite delta, short options, option value), with
 *	    combine, serialise and deserialise for parallel query; its result is
 *	    the span_portfolio type, the same bytes as the partial state;
 *	  - span_margin(portfolio, parameters, account_type): the margin type,
 *	    one unit per combined commodity;
 *	  - the span_margin aggregate: the same in one pass over the positions,
 *	    with the parameters as an argument: arrays are summed per scan tier
 *	    as rows arrive, months keep only their delta, and the result is
 *	    computed from the state (no portfolio value in between).
 *	  The parameters are read by span_params.c (span_glue.h).
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
#include "span_glue.h"
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
	int32		month;			/* the key: a month; in an aggregate with parameters, -(t + 1) for scan tier t */
	double		delta;
	struct SpanAcc *tier;		/* with parameters: the month's scan tier entry */
	double		array[PM_SPAN_NSCEN];	/* not allocated for a month's entry with parameters */
} SpanAcc;

#define SPAN_ACC_SHORT offsetof(SpanAcc, array)

typedef struct SpanHold
{
	char	   *cc;
	int			cc_len;
	uint64		prefix;			/* the code's first 8 bytes, zero-padded */
	int			pcc;			/* with parameters: the commodity's index in them */
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
	char	   *bump;			/* entries are cut from blocks: the unused rest of the last */
	Size		bump_left;
	/* the span_margin aggregate: its parameters (a cache of the call site), account type */
	SpanParamsCache *pc;
	int			acct;
	const char *params_ptr;		/* the arguments of the last row (pointers: a constant's never change) */
	const char *acct_ptr;
} SpanState;

#define SPAN_BUMP_BLOCK 4096

#define SPAN_TAB_INIT 16

#define valid_month pm_span_valid_month

static void *
span_bump(SpanState *st, Size size)
{
	void	   *p;

	size = MAXALIGN(size);
	if (st->bump_left < size)
	{
		st->bump = MemoryContextAlloc(st->mcxt, SPAN_BUMP_BLOCK);
		st->bump_left = SPAN_BUMP_BLOCK;
	}
	p = st->bump;
	st->bump += size;
	st->bump_left -= size;
	return p;
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

	uint64		prefix = span_prefix(cc, len);

	for (i = 0; i < st->nh; i++)
		if (st->holds[i].prefix == prefix && st->holds[i].cc_len == len &&
			(len <= 8 || memcmp(st->holds[i].cc + 8, cc + 8, len - 8) == 0))
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
	h->prefix = prefix;
	h->pcc = -1;
	if (st->pc)
	{
		h->pcc = pm_span_find_cc(st->pc->params, cc, len);
		if (h->pcc < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("span_margin: combined commodity \"%s\" of the positions is not in the parameters", h->cc)));
	}
	return st->nh++;
}

/*
 * The index of a state made without one (a deserialised partial state that
 * is only finalised never needs it): every entry of every holding put in.
 */
static void
span_tab_build(SpanState *st)
{
	uint32		size = SPAN_TAB_INIT;
	int			h;

	while (size < (uint32) st->nkeys * 2 + 2)
		size *= 2;
	st->mask = size - 1;
	st->tab = MemoryContextAllocZero(st->mcxt, sizeof(SpanSlot) * size);
	for (h = 0; h < st->nh; h++)
	{
		SpanHold   *hd = &st->holds[h];
		SpanAcc    *a;

		for (a = hd->head; a; a = a->next)
		{
			SpanSlot	slot;

			slot.hash = span_key_hash(hd->cc, hd->cc_len, a->month);
			slot.month = a->month;
			slot.cc_len = hd->cc_len;
			slot.hold = h;
			slot.prefix = hd->prefix;
			slot.acc = a;
			span_tab_put(st, &slot);
		}
	}
}

/*
 * A new (zero) entry of holding hi appended to its list, without the index
 * (span_entry adds the slot; deserialisation builds the index later).  A
 * month's entry under parameters keeps its delta only (its array goes to
 * its tier's).
 */
static SpanAcc *
span_append(SpanState *st, int hi, int key)
{
	SpanHold   *h = &st->holds[hi];
	Size		size = st->pc && key > 0 ? SPAN_ACC_SHORT : sizeof(SpanAcc);
	SpanAcc    *acc = span_bump(st, size);

	memset(acc, 0, size);
	acc->month = key;
	if (h->tail)
		h->tail->next = acc;
	else
		h->head = acc;
	h->tail = acc;
	h->nmonths++;
	st->nkeys++;
	return acc;
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
	uint32		i;
	SpanSlot	slot;
	SpanAcc    *acc;

	if (unlikely(st->tab == NULL))
		span_tab_build(st);
	i = hash & st->mask;

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
	acc = span_append(st, *hi, month);
	if (st->nkeys * 2 > (int) st->mask + 1)
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

/* a position row's arguments 1-7 (both aggregates), checked: ERROR naming the argument */
typedef struct SpanRow
{
	const char *cc;
	int			cc_len;
	int32		month;
	double		q;
	const double *a;			/* 16 values */
	double		delta;
	double		value;			/* 0 unless an option's is given */
	int			side;			/* +1 call, -1 put, 0 a future */
} SpanRow;

static inline void
span_row(FunctionCallInfo fcinfo, SpanRow *r)
{
	text	   *cc;
	ArrayType  *arr;
	int			j;

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
	r->cc = VARDATA_ANY(cc);
	r->cc_len = VARSIZE_ANY_EXHDR(cc);
	if (unlikely(r->cc_len == 0))
		pm_arg_error("cc", "is empty");
	r->month = PG_GETARG_INT32(2);
	if (unlikely(!valid_month(r->month)))
		pm_domain_error("month", r->month, "a contract month CCYYMM (e.g. 202603)");
	r->q = pm_finite_arg("quantity", PG_GETARG_FLOAT8(3));
	arr = PG_GETARG_ARRAYTYPE_P(4);
	if (unlikely(ARR_NDIM(arr) != 1 || ARR_HASNULL(arr) || ARR_DIMS(arr)[0] != PM_SPAN_NSCEN))
		pm_arg_error("risk_array", psprintf("has %d values%s; a SPAN risk array has 16, none NULL",
											ARR_NDIM(arr) == 1 ? ARR_DIMS(arr)[0] : ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)),
											ARR_NDIM(arr) > 1 ? " in more than one dimension" : ""));
	r->a = (const double *) ARR_DATA_PTR(arr);
	r->delta = pm_finite_arg("composite_delta", PG_GETARG_FLOAT8(5));
	r->value = 0;
	r->side = 0;
	if (!PG_ARGISNULL(7))
	{
		r->side = pm_option_type_arg(PG_GETARG_TEXT_PP(7));
		if (!PG_ARGISNULL(6))
			r->value = pm_finite_arg("option_value", PG_GETARG_FLOAT8(6));
	}
	for (j = 0; j < PM_SPAN_NSCEN; j++)
		if (unlikely(!isfinite(r->a[j])))
			pm_arg_error("risk_array", psprintf("value %d is %s; each must be finite", j + 1,
												float8out_internal(r->a[j])));
}

/* a row's option sums into its holding */
static inline void
span_hold_option(SpanHold *h, const SpanRow *r)
{
	h->option_value += r->q * r->value;
	if (r->q < 0)
	{
		if (r->side > 0)
			h->short_calls -= r->q;
		else
			h->short_puts -= r->q;
	}
}

/*
 * A row added into its month's (or scan tier's) sums and its holding's:
 * a sum that overflows is ERROR 22003 here, where the rows are, not a
 * non-finite value found later.
 */
static inline void
span_add_row(SpanHold *h, SpanAcc *m, double *array, const SpanRow *r)
{
	bool		ok = true;
	int			j;

	for (j = 0; j < PM_SPAN_NSCEN; j++)
	{
		array[j] += r->q * r->a[j];
		ok &= isfinite(array[j]);
	}
	m->delta += r->q * r->delta;
	ok &= isfinite(m->delta);
	if (r->side != 0)
	{
		span_hold_option(h, r);
		ok &= isfinite(h->option_value) && isfinite(h->short_calls) && isfinite(h->short_puts);
	}
	if (unlikely(!ok))
		pm_result_error("span: a sum of quantity x risk array, composite delta or option value", INFINITY);
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
	SpanRow		r;
	SpanAcc    *m;
	int			hi;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "portmargin_span_sfunc called in a non-aggregate context");
	st = PG_ARGISNULL(0) ? span_state_new(aggcxt) : (SpanState *) PG_GETARG_POINTER(0);

	span_row(fcinfo, &r);

	m = span_entry(st, r.cc, r.cc_len, r.month, &hi, NULL);
	span_add_row(&st->holds[hi], m, m->array, &r);
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

/*
 * Both aggregates' combine function: src added into dst (a state with
 * parameters by span_merge_params, defined below); a group's first partial
 * state is taken as it is when it lives in the aggregate's memory.
 */
static void span_merge_params(SpanState *dst, const SpanState *src);

static Datum
span_combine(FunctionCallInfo fcinfo)
{
	MemoryContext aggcxt;
	SpanState  *dst,
			   *src;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "portmargin: a span combine function called in a non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0));
	src = (SpanState *) PG_GETARG_POINTER(1);
	if (PG_ARGISNULL(0) && src->mcxt == aggcxt)
		PG_RETURN_POINTER(src);
	dst = PG_ARGISNULL(0) ? span_state_new(aggcxt) : (SpanState *) PG_GETARG_POINTER(0);
	if (src->pc)
		span_merge_params(dst, src);
	else
		span_merge(dst, src);
	PG_RETURN_POINTER(dst);
}

PG_FUNCTION_INFO_V1(portmargin_span_combine);
Datum
portmargin_span_combine(PG_FUNCTION_ARGS)
{
	return span_combine(fcinfo);
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
/* span_margin                                                        */
/* ------------------------------------------------------------------ */

/* the result types of a call site (span_margin's function or final function), and text datums it writes */
typedef struct SpanResult
{
	TupleDesc	tupdesc;		/* margin */
	TupleDesc	unit_tupdesc;	/* unit_margin */
	Oid			unit_type;
	int16		unit_typlen;
	bool		unit_typbyval;
	char		unit_typalign;
	Datum		linear_text;
	Datum		span_text;
	Datum		labels[PM_SPAN_NSCEN];
} SpanResult;

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

static void
span_result_init(FunctionCallInfo fcinfo, SpanResult *rt)
{
	TupleDesc	td;
	Oid			elemtype;
	MemoryContext old;
	int			k;

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "portmargin: span_margin must return the margin type");
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	rt->tupdesc = BlessTupleDesc(CreateTupleDescCopy(td));
	if (rt->tupdesc->natts != 24)
		elog(ERROR, "portmargin: the margin type has %d fields, the library writes 24", rt->tupdesc->natts);
	elemtype = get_element_type(TupleDescAttr(rt->tupdesc, 23)->atttypid);
	if (!OidIsValid(elemtype))
		elog(ERROR, "portmargin: the margin type's units field is not an array");
	rt->unit_tupdesc = lookup_rowtype_tupdesc_copy(elemtype, -1);
	if (rt->unit_tupdesc->natts != 6 + PM_COMP_N + 3)
		elog(ERROR, "portmargin: unit_margin has %d fields, the library writes %d", rt->unit_tupdesc->natts,
			 6 + PM_COMP_N + 3);
	rt->unit_type = elemtype;
	get_typlenbyvalalign(elemtype, &rt->unit_typlen, &rt->unit_typbyval, &rt->unit_typalign);
	rt->linear_text = CStringGetTextDatum("linear");
	rt->span_text = CStringGetTextDatum("span");
	for (k = 0; k < PM_SPAN_NSCEN; k++)
		rt->labels[k] = CStringGetTextDatum(span_scenario_label(k));
	MemoryContextSwitchTo(old);
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

/* the margin of holdings hs[0..nh) (sorted by commodity) under pc's parameters */
static Datum
span_margin_datum(const SpanResult *rt, const SpanParamsCache *pc, PmSpanHolding *hs, int nh, int acct)
{
	const PmSpanParams *p = pc->params;
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
	int			natts = rt->unit_tupdesc->natts;
	Datum	   *v = palloc(sizeof(Datum) * natts);
	bool	   *n = palloc(sizeof(bool) * natts);

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
						hs[0].cc, p->cc[out[0].cc].currency, hs[bad].cc,
						p->cc[pm_span_find_cc(p, hs[bad].cc, hs[bad].cc_len)].currency),
				 errhint("SPAN requirements are per currency: margin each currency's positions apart (GROUP BY the currency).")));

	for (i = 0; i < nh; i++)
	{
		const PmSpanCcResult *r = &out[i];
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
		v[0] = pc->cc_text[r->cc];
		v[1] = rt->linear_text;
		n[2] = n[3] = true;
		v[4] = rt->span_text;
		v[5] = pc->currency_text[r->cc];
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
			v[6 + PM_COMP_N + 2] = rt->labels[r->worst_scenario];
		}
		else
			n[6 + PM_COMP_N + 1] = n[6 + PM_COMP_N + 2] = true;
		units[i] = HeapTupleGetDatum(heap_form_tuple(rt->unit_tupdesc, v, n));
		names[i] = pc->cc_text[r->cc];
		margins[i] = r->maintenance;
		finite_or_error("span_margin: unit_margins", margins[i]);
		scan += r->scan;
		som += r->som;
		nov += r->option_value;
	}

	if (nh == 0)
		nulls[0] = true;
	else
		values[0] = pc->currency_text[out[0].cc];
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
	values[23] = PointerGetDatum(construct_array(units, nh, rt->unit_type, rt->unit_typlen, rt->unit_typbyval,
												 rt->unit_typalign));
	return HeapTupleGetDatum(heap_form_tuple(rt->tupdesc, values, nulls));
}

/* span_margin(portfolio, parameters, account_type) -> margin */
typedef struct SpanFnCache
{
	SpanResult	rt;
	SpanParamsCache pc;
	bool		params_constant;	/* the parameters argument is a constant or a query parameter */
	const char *params_ptr;		/* ... last read from this address */
} SpanFnCache;

PG_FUNCTION_INFO_V1(portmargin_span_margin);
Datum
portmargin_span_margin(PG_FUNCTION_ARGS)
{
	bytea	   *pf = PG_GETARG_BYTEA_PP(0);
	int			acct = account_type_arg(PG_GETARG_TEXT_PP(2));
	SpanFnCache *c = fcinfo->flinfo->fn_extra;
	int			nh;
	PmSpanHolding *hs;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SpanFnCache));
		span_result_init(fcinfo, &c->rt);
		c->pc.parent = fcinfo->flinfo->fn_mcxt;
		c->params_constant = get_fn_expr_arg_stable(fcinfo->flinfo, 1);
		fcinfo->flinfo->fn_extra = c;
	}
	/* a constant parameters document is read once per call site; any other is recognised by its bytes */
	if (!(c->params_constant && c->pc.params && DatumGetPointer(PG_GETARG_DATUM(1)) == c->params_ptr))
	{
		span_params_lookup(&c->pc, PG_GETARG_DATUM(1));
		c->params_ptr = DatumGetPointer(PG_GETARG_DATUM(1));
	}
	hs = span_read(VARDATA_ANY(pf), VARSIZE_ANY_EXHDR(pf), &nh);
	PG_RETURN_DATUM(span_margin_datum(&c->rt, &c->pc, hs, nh, acct));
}

/* ------------------------------------------------------------------ */
/* the span_margin aggregate: positions and parameters in one pass    */
/* ------------------------------------------------------------------ */

/*
 * The parameters documents a call site has read (usually one): a state
 * points to its document's entry, which lives as long as the query.
 */
typedef struct SpanDocs
{
	int			n;
	SpanParamsCache **docs;
	SpanParamsCache *last;
	const char *last_ptr;		/* the argument last read into last */
	int			params_kind;	/* pm_agg_arg_kind of the parameters and account type arguments (0: not yet) */
	int			acct_kind;
} SpanDocs;

/* the entry of a span_parameters datum, read if new (check: compare with the entries, else trust last) */
static SpanParamsCache *
span_doc(FunctionCallInfo fcinfo, SpanDocs *d, Datum arg)
{
	SpanParamsCache probe = {0};
	SpanParamsCache *e;
	const char *raw = DatumGetPointer(arg);
	Size		rawlen = VARSIZE_ANY(raw);
	int			i;
	MemoryContext old;

	/* the same bytes as one read before */
	for (i = 0; i < d->n; i++)
	{
		e = d->docs[i];
		if (e->rawlen == rawlen && memcmp(e->raw, raw, rawlen) == 0)
			return d->last = e;
	}
	/* the same document in another form (plain, compressed, toasted): by size and hash, without reading it */
	if (d->n > 0)
	{
		Size		size;
		uint64		hash;

		span_params_identity(arg, &size, &hash);
		for (i = 0; i < d->n; i++)
			if (d->docs[i]->size == size && d->docs[i]->hash == hash)
				return d->last = d->docs[i];
	}
	/* a new document: read once */
	probe.parent = fcinfo->flinfo->fn_mcxt;
	span_params_lookup(&probe, arg);
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	e = palloc(sizeof(SpanParamsCache));
	*e = probe;
	/* keep the argument's own bytes whatever their size: a partial state carries them */
	if (e->raw == NULL || e->rawlen != rawlen)
	{
		e->raw = MemoryContextAlloc(e->cxt, rawlen);
		memcpy(e->raw, raw, rawlen);
		e->rawlen = rawlen;
	}
	d->docs = d->n ? repalloc(d->docs, sizeof(SpanParamsCache *) * (d->n + 1)) : palloc(sizeof(SpanParamsCache *));
	d->docs[d->n++] = e;
	MemoryContextSwitchTo(old);
	return d->last = e;
}

static SpanDocs *
span_docs(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SpanDocs));
	return fcinfo->flinfo->fn_extra;
}

/* the month's entry of a state with parameters, linked to its scan tier's entry */
static inline SpanAcc *
span_month_entry(SpanState *st, const char *cc, int len, int month, int *hi)
{
	SpanAcc    *m = span_entry(st, cc, len, month, hi, NULL);

	if (m->tier == NULL)
	{
		const PmSpanCc *c = &st->pc->params->cc[st->holds[*hi].pcc];
		int			t = c->nscan_tiers ? pm_span_tier_of(c->scan_tiers, c->nscan_tiers, month) : 0;

		m->tier = span_entry(st, cc, len, -(t + 1), hi, NULL);
	}
	return m;
}

/*
 * span_margin(cc, month, quantity, risk_array, composite_delta,
 *             option_value, put_call, parameters, account_type)
 */

PG_FUNCTION_INFO_V1(portmargin_span_margin_sfunc);
Datum
portmargin_span_margin_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	SpanState  *st;
	SpanRow		r;
	SpanAcc    *m;
	int			hi;
	SpanDocs   *docs;
	const char *pptr;
	const char *aptr;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "portmargin_span_margin_sfunc called in a non-aggregate context");
	docs = span_docs(fcinfo);
	if (PG_ARGISNULL(8))
		pm_null_arg_error("parameters", "they say how SPAN margins the positions");
	if (PG_ARGISNULL(9))
		pm_null_arg_error("account_type", "it picks the maintenance factor and initial ratio (M, H or S)");
	if (docs->params_kind == 0)
	{
		docs->params_kind = pm_agg_arg_kind(fcinfo, 7);
		docs->acct_kind = pm_agg_arg_kind(fcinfo, 8);
	}
	pptr = DatumGetPointer(PG_GETARG_DATUM(8));
	aptr = DatumGetPointer(PG_GETARG_DATUM(9));
	/*
	 * The parameters and the account type are read on a group's first row
	 * and, after it, only when their argument's kind (sqlargs.h) does not
	 * let the address stand for the value: a constant is read once per
	 * call site, an InitPlan's result once per group, a column on every
	 * row, where a different value in one group is an ERROR.
	 */
	if (PG_ARGISNULL(0))
	{
		st = span_state_new(aggcxt);
		if (docs->params_kind == PM_ARG_CONSTANT && docs->last && pptr == docs->last_ptr)
			st->pc = docs->last;
		else
			st->pc = span_doc(fcinfo, docs, PG_GETARG_DATUM(8));
		docs->last_ptr = pptr;
		st->acct = account_type_arg(PG_GETARG_TEXT_PP(9));
		st->params_ptr = pptr;
		st->acct_ptr = aptr;
	}
	else
	{
		st = (SpanState *) PG_GETARG_POINTER(0);
		if (unlikely(pptr != st->params_ptr || docs->params_kind == PM_ARG_VARYING))
		{
			if (span_doc(fcinfo, docs, PG_GETARG_DATUM(8)) != st->pc)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("span_margin: the parameters differ between rows of one group"),
						 errhint("Pass one span_parameters value per query, e.g. from a scalar sub-select.")));
			st->params_ptr = pptr;
		}
		if (unlikely(aptr != st->acct_ptr || docs->acct_kind == PM_ARG_VARYING))
		{
			if (account_type_arg(PG_GETARG_TEXT_PP(9)) != st->acct)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("span_margin: the account type differs between rows of one group")));
			st->acct_ptr = aptr;
		}
	}

	span_row(fcinfo, &r);

	m = span_month_entry(st, r.cc, r.cc_len, r.month, &hi);
	span_add_row(&st->holds[hi], m, m->tier->array, &r);
	PG_RETURN_POINTER(st);
}

/* src (a state with parameters) added into dst */
static void
span_merge_params(SpanState *dst, const SpanState *src)
{
	int			i,
				j,
				di;

	if (dst->pc == NULL)
	{
		dst->pc = src->pc;
		dst->acct = src->acct;
	}
	else if (dst->pc != src->pc && (dst->pc->size != src->pc->size || dst->pc->hash != src->pc->hash))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("span_margin: the parameters differ between rows of one group")));
	else if (dst->acct != src->acct)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("span_margin: the account type differs between rows of one group")));
	for (i = 0; i < src->nh; i++)
	{
		const SpanHold *s = &src->holds[i];
		const SpanAcc *a;

		di = span_hold_index(dst, s->cc, s->cc_len);
		dst->holds[di].option_value += s->option_value;
		dst->holds[di].short_calls += s->short_calls;
		dst->holds[di].short_puts += s->short_puts;
		for (a = s->head; a; a = a->next)
		{
			if (a->month > 0)
				span_month_entry(dst, s->cc, s->cc_len, a->month, &di)->delta += a->delta;
			else
			{
				SpanAcc    *t = span_entry(dst, s->cc, s->cc_len, a->month, &di, NULL);

				for (j = 0; j < PM_SPAN_NSCEN; j++)
					t->array[j] += a->array[j];
			}
		}
	}
}

PG_FUNCTION_INFO_V1(portmargin_span_margin_combine);
Datum
portmargin_span_margin_combine(PG_FUNCTION_ARGS)
{
	return span_combine(fcinfo);
}

/*
 * Wire form of a state with parameters: "PMS2", the parameters argument's
 * bytes (length, bytes: a TOAST pointer stays one), the account type, nh,
 * then per holding: cc_len, cc, option value, short calls, short puts, the
 * number of entries, then per entry: key (a month, or -(t + 1) for scan
 * tier t), delta, and for a tier its 16 values.
 */
#define SPAN_MAGIC2 "PMS2"

PG_FUNCTION_INFO_V1(portmargin_span_margin_serial);
Datum
portmargin_span_margin_serial(PG_FUNCTION_ARGS)
{
	SpanState  *st = (SpanState *) PG_GETARG_POINTER(0);
	Size		size = VARHDRSZ + 4 + 3 * sizeof(int32) + st->pc->rawlen;
	bytea	   *out;
	char	   *p;
	int			i;
	int32		rawlen = st->pc->rawlen;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "portmargin_span_margin_serial called in a non-aggregate context");
	for (i = 0; i < st->nh; i++)
	{
		const SpanAcc *a;

		size += sizeof(int32) + st->holds[i].cc_len + 3 * sizeof(double) + sizeof(int32);
		for (a = st->holds[i].head; a; a = a->next)
			size += sizeof(int32) + sizeof(double) + (a->month < 0 ? sizeof(double) * PM_SPAN_NSCEN : 0);
	}
	out = palloc(size);
	SET_VARSIZE(out, size);
	p = VARDATA(out);
	put(&p, SPAN_MAGIC2, 4);
	put(&p, &rawlen, sizeof(int32));
	put(&p, st->pc->raw, rawlen);
	put(&p, &st->acct, sizeof(int32));
	put(&p, &st->nh, sizeof(int32));
	for (i = 0; i < st->nh; i++)
	{
		const SpanHold *h = &st->holds[i];
		const SpanAcc *a;
		int32		n = 0;

		for (a = h->head; a; a = a->next)
			n++;
		put(&p, &h->cc_len, sizeof(int32));
		put(&p, h->cc, h->cc_len);
		put(&p, &h->option_value, sizeof(double));
		put(&p, &h->short_calls, sizeof(double));
		put(&p, &h->short_puts, sizeof(double));
		put(&p, &n, sizeof(int32));
		for (a = h->head; a; a = a->next)
		{
			put(&p, &a->month, sizeof(int32));
			put(&p, &a->delta, sizeof(double));
			if (a->month < 0)
				put(&p, a->array, sizeof(double) * PM_SPAN_NSCEN);
		}
	}
	Assert(p == (char *) out + size);
	PG_RETURN_BYTEA_P(out);
}

PG_FUNCTION_INFO_V1(portmargin_span_margin_deserial);
Datum
portmargin_span_margin_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	const char *p = VARDATA_ANY(b),
			   *end = p + VARSIZE_ANY_EXHDR(b);
	SpanState  *st;
	char		magic[4];
	int32		rawlen,
				acct,
				nh,
				i,
				k,
				j;
	char	   *raw;
	MemoryContext old;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "portmargin_span_margin_deserial called in a non-aggregate context");
	take(&p, end, magic, 4);
	if (memcmp(magic, SPAN_MAGIC2, 4) != 0)
		corrupt("unknown format");
	take(&p, end, &rawlen, sizeof(int32));
	if (rawlen < (int32) VARHDRSZ_SHORT || rawlen > end - p)
		corrupt("bad parameters");
	/* the parameters argument's bytes, aligned, as a datum */
	raw = palloc(rawlen);
	take(&p, end, raw, rawlen);
	if ((Size) rawlen != VARSIZE_ANY(raw))
		corrupt("bad parameters");
	old = MemoryContextSwitchTo(aggcxt);
	st = MemoryContextAllocZero(aggcxt, sizeof(SpanState));
	st->mcxt = aggcxt;			/* no index: made if another state is merged in */
	MemoryContextSwitchTo(old);
	st->pc = span_doc(fcinfo, span_docs(fcinfo), PointerGetDatum(raw));
	take(&p, end, &acct, sizeof(int32));
	if (acct < PM_SPAN_MEMBER || acct > PM_SPAN_SPECULATOR)
		corrupt("bad account type");
	st->acct = acct;
	take(&p, end, &nh, sizeof(int32));
	if (nh < 0 || nh > end - p)
		corrupt("bad commodity count");
	for (i = 0; i < nh; i++)
	{
		int32		cc_len,
					n;
		const char *cc;
		double		v[3];
		int			hi;

		take(&p, end, &cc_len, sizeof(int32));
		if (cc_len <= 0 || cc_len > end - p || memchr(p, '\0', cc_len) != NULL)
			corrupt("bad commodity name");
		cc = p;
		p += cc_len;
		hi = span_hold_index(st, cc, cc_len);
		if (hi != i)
			corrupt("a commodity twice");
		take(&p, end, v, sizeof(v));
		if (!isfinite(v[0]) || !isfinite(v[1]) || !isfinite(v[2]))
			corrupt("a value that is not finite");
		st->holds[hi].option_value = v[0];
		st->holds[hi].short_calls = v[1];
		st->holds[hi].short_puts = v[2];
		take(&p, end, &n, sizeof(int32));
		if (n < 0 || n > end - p)
			corrupt("bad entry count");
		for (k = 0; k < n; k++)
		{
			int32		key;
			double		d;
			SpanAcc    *a;

			take(&p, end, &key, sizeof(int32));
			take(&p, end, &d, sizeof(double));
			if (!isfinite(d))
				corrupt("a value that is not finite");
			/* appended as written (the serialiser wrote each key once); a month's tier link is made when needed */
			if (key > 0)
			{
				if (!valid_month(key))
					corrupt("bad month");
				a = span_append(st, hi, key);
				a->delta = d;
			}
			else
			{
				const PmSpanCc *c = &st->pc->params->cc[st->holds[hi].pcc];

				if (key < -(c->nscan_tiers + 1) || key == 0)
					corrupt("bad scan tier");
				a = span_append(st, hi, key);
				take(&p, end, a->array, sizeof(double) * PM_SPAN_NSCEN);
				for (j = 0; j < PM_SPAN_NSCEN; j++)
					if (!isfinite(a->array[j]))
						corrupt("a value that is not finite");
			}
		}
	}
	if (p != end)
		corrupt("trailing bytes");
	PG_RETURN_POINTER(st);
}

/* the final function: the margin from the state, through span.c's holdings */
PG_FUNCTION_INFO_V1(portmargin_span_margin_ffunc);
Datum
portmargin_span_margin_ffunc(PG_FUNCTION_ARGS)
{
	SpanState  *st;
	SpanResult *rt = fcinfo->flinfo->fn_extra;
	PmSpanHolding *hs;
	int			i;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (SpanState *) PG_GETARG_POINTER(0);
	if (rt == NULL)
	{
		rt = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SpanResult));
		span_result_init(fcinfo, rt);
		fcinfo->flinfo->fn_extra = rt;
	}
	hs = palloc0(sizeof(PmSpanHolding) * Max(st->nh, 1));
	for (i = 0; i < st->nh; i++)
	{
		const SpanHold *h = &st->holds[i];
		const PmSpanCc *c = &st->pc->params->cc[h->pcc];
		PmSpanHolding *x = &hs[i];
		double	   *tiers = palloc0(sizeof(double) * PM_SPAN_NSCEN * (c->nscan_tiers + 1));
		const SpanAcc *a;
		int			k = 0;

		x->cc = h->cc;
		x->cc_len = h->cc_len;
		x->option_value = h->option_value;
		x->short_calls = h->short_calls;
		x->short_puts = h->short_puts;
		x->months = palloc(sizeof(PmSpanMonth) * Max(h->nmonths, 1));
		for (a = h->head; a; a = a->next)
			if (a->month > 0)
			{
				x->months[k].month = a->month;
				x->months[k].delta = a->delta;
				k++;
			}
			else
				memcpy(tiers + PM_SPAN_NSCEN * (-a->month - 1), a->array, sizeof(double) * PM_SPAN_NSCEN);
		x->nmonths = x->maxmonths = k;
		x->scan_arrays = tiers;
	}
	for (i = 1; i < st->nh; i++)	/* by commodity: few, an insertion sort */
	{
		PmSpanHolding tmp = hs[i];
		int			k = i;

		while (k > 0 && strcmp(hs[k - 1].cc, tmp.cc) > 0)
		{
			hs[k] = hs[k - 1];
			k--;
		}
		hs[k] = tmp;
	}
	PG_RETURN_DATUM(span_margin_datum(rt, st->pc, hs, st->nh, st->acct));
}
