/*
 * margin_state.c
 *	  The wire format of the portfolio_margin aggregate's state: the
 *	  serialisation parallel workers pass to the leader, and the
 *	  margin_state type (hex text, binary send/receive) that carries a state
 *	  between queries and servers; and the cache of scenario sets its
 *	  readers intern sets in.  The state itself is folded in margin_agg.c.
 *
 * Serialised state (version 2, pq_send* big-endian): has_set byte; the
 * scenario set (method, parameters, scenarios; a joint set reduced to its
 * tail parameters, hash and weights); units with their sums, P&L vector and
 * expiry/strike buckets.  Deserialisation checks every count against the
 * bytes left and rejects truncated or trailing input (22P03).
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "margin_state.h"
#include "method.h"
#include "sqlargs.h"

/*
 * Version 2 stores buckets as 3 doubles (t, x, value); version 1 (0.2.0)
 * stored 4 (t, k, value, aux) and is still read.
 */
#define MARGIN_STATE_VERSION 2

/*
 * Version 3 (0.4.0) is written only for what version 2 cannot carry: a
 * rulebook (has_set 2: the rulebook's bytes; each unit's P&L vector as long
 * as its rule's set), or units with resting orders or account inputs (each
 * unit adds its side byte, MMP size and liability after its settlement).
 */
#define MARGIN_STATE_VERSION_RULES 3

/* ---- the set cache ---- */

const PmScenarioSet *
pm_intern_set(SetCache *sc, const PmScenarioSet *s)
{
	PmScenarioSet *copy;
	int			i;

	for (i = 0; i < sc->n; i++)
		if (pm_sets_equal(sc->sets[i], s))
			return sc->sets[i];
	if (sc->n == sc->max)
	{
		sc->max = Max(4, 2 * sc->max);
		sc->sets = sc->sets ? repalloc(sc->sets, sizeof(PmScenarioSet *) * sc->max)
			: MemoryContextAlloc(sc->mcxt, sizeof(PmScenarioSet *) * sc->max);
	}
	copy = MemoryContextAllocExtended(sc->mcxt, VARSIZE(s), MCXT_ALLOC_HUGE);
	{
		/* a joint set can be close to 1 GB: copied in slices, checking for interrupts */
		Size		len = VARSIZE(s),
					off;

		for (off = 0; off < len; off += 16 * 1024 * 1024)
		{
			CHECK_FOR_INTERRUPTS();
			memcpy((char *) copy + off, (const char *) s + off, Min((Size) 16 * 1024 * 1024, len - off));
		}
	}
	sc->sets[sc->n++] = copy;
	return copy;
}

const PmRules *
pm_intern_rules(SetCache *sc, const PmRulebook *rb)
{
	PmRules    *r;
	PmRulebook *copy;
	int			i;

	for (i = 0; i < sc->nrules; i++)
		if (VARSIZE(sc->rules[i]->rb) == VARSIZE(rb) && memcmp(sc->rules[i]->rb, rb, VARSIZE(rb)) == 0)
			return sc->rules[i];
	if (sc->nrules == sc->maxrules)
	{
		sc->maxrules = Max(4, 2 * sc->maxrules);
		sc->rules = sc->rules ? repalloc(sc->rules, sizeof(PmRules *) * sc->maxrules)
			: MemoryContextAlloc(sc->mcxt, sizeof(PmRules *) * sc->maxrules);
	}
	copy = MemoryContextAlloc(sc->mcxt, VARSIZE(rb));
	memcpy(copy, rb, VARSIZE(rb));
	r = MemoryContextAlloc(sc->mcxt, sizeof(PmRules));
	r->rb = copy;
	r->nrules = copy->nrules;
	r->sets = MemoryContextAlloc(sc->mcxt, sizeof(PmScenarioSet *) * Max(1, copy->nrules));
	for (i = 0; i < copy->nrules; i++)
		r->sets[i] = pm_intern_set(sc, pm_rule_set(copy, &copy->rules[i]));
	sc->rules[sc->nrules++] = r;
	return r;
}

/* the SetCache of a call site that keeps nothing else in fn_extra */
SetCache *
pm_fn_set_cache(FunctionCallInfo fcinfo)
{
	SetCache   *sc = (SetCache *) fcinfo->flinfo->fn_extra;

	if (sc == NULL)
	{
		sc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SetCache));
		sc->mcxt = fcinfo->flinfo->fn_mcxt;
		fcinfo->flinfo->fn_extra = sc;
	}
	return sc;
}

/* ---- serialisation ---- */

/* n doubles in network byte order, in one copy (pq_sendfloat8 costs a call each) */
static void
send_float8s(StringInfo buf, const double *v, int n)
{
	char	   *p;
	int			i;

	enlargeStringInfo(buf, 8 * n);
	p = buf->data + buf->len;
	for (i = 0; i < n; i++)
	{
		uint64		x;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		memcpy(&x, &v[i], 8);
		x = pg_hton64(x);
		memcpy(p + 8 * i, &x, 8);
	}
	buf->len += 8 * n;
	buf->data[buf->len] = '\0';
}

static void
send_buckets(StringInfo buf, const PmBucketSet *bs)
{
	pq_sendint32(buf, bs->n);
	send_float8s(buf, (const double *) bs->b, 3 * bs->n);
}

/*
 * A reduced joint set (scenario_params.h): its parameters (the last is the
 * hash bits), then 1 and the two group weights when every scenario of a
 * group has the same weight, else 0 and every weight.
 */
static void
send_joint_set(StringInfo buf, const PmScenarioSet *set)
{
	const PmScenario *sc = PM_SET_SCENARIOS(set);
	int			n = set->nscenarios;
	int			F = (int) set->params[PM_P_VAR_FLOOR_COUNT];
	bool		uniform = true;
	int			i;

	send_float8s(buf, set->params, set->nparams);
	for (i = 1; i < n && uniform; i++)
		uniform = i == n - F || sc[i].weight == sc[i - 1].weight;
	pq_sendbyte(buf, uniform ? 1 : 0);
	if (uniform)
	{
		double		w[2];

		w[0] = sc[0].weight;
		w[1] = F > 0 ? sc[n - F].weight : 0.0;
		send_float8s(buf, w, 2);
	}
	else
	{
		double	   *w = palloc(sizeof(double) * n);

		for (i = 0; i < n; i++)
			w[i] = sc[i].weight;
		send_float8s(buf, w, n);
		pfree(w);
	}
}

/* a state's scenario set: method and sizes, then a joint set reduced, any other whole */
static void
send_set(StringInfo buf, const PmScenarioSet *set)
{
	int			i;

	pq_sendint16(buf, set->method);
	pq_sendint32(buf, set->nparams);
	pq_sendint32(buf, set->nscenarios);
	if (pm_set_method(set)->joint)
	{
		send_joint_set(buf, set);
		return;
	}
	for (i = 0; i < set->nparams; i++)
		pq_sendfloat8(buf, set->params[i]);
	for (i = 0; i < set->nscenarios; i++)
	{
		const PmScenario *sc = &PM_SET_SCENARIOS(set)[i];

		pq_sendfloat8(buf, sc->move);
		pq_sendfloat8(buf, sc->vol_shift);
		pq_sendfloat8(buf, sc->weight);
		pq_sendbyte(buf, sc->vol_rule);
		pq_sendbyte(buf, sc->extended);
	}
}

/* the version a state needs: 2 unless it has a rulebook, orders or account inputs */
static int
state_version(const MarginState *st)
{
	int			i;

	if (st == NULL)
		return MARGIN_STATE_VERSION;
	if (st->rules)
		return MARGIN_STATE_VERSION_RULES;
	for (i = 0; i < st->nunits; i++)
		if (st->units[i].side != PM_SIDE_POSITIONS || st->units[i].mmp_size != 0.0 ||
			st->units[i].liability != 0.0)
			return MARGIN_STATE_VERSION_RULES;
	return MARGIN_STATE_VERSION;
}

static void
send_state(StringInfo buf, const MarginState *st)
{
	int			version = state_version(st);
	int			i;

	pq_sendbyte(buf, version);
	pq_sendbyte(buf, st && st->rules ? 2 : (st && st->set ? 1 : 0));
	if (!pm_state_used(st))
		return;
	if (st->rules)
	{
		pq_sendint32(buf, VARSIZE(st->rules->rb));
		pq_sendbytes(buf, (const char *) st->rules->rb, VARSIZE(st->rules->rb));
	}
	else
		send_set(buf, st->set);
	pq_sendint32(buf, st->nunits);
	for (i = 0; i < st->nunits; i++)
	{
		const PmUnit *u = &st->units[i];
		int			j;

		CHECK_FOR_INTERRUPTS();
		/*
		 * A sum that overflowed is reported as the serial final function
		 * would (22003), not left for the reader to reject as corrupt.
		 */
		pm_finite_result("portfolio_margin", u->option_value + u->short_options + u->option_contracts +
						 u->long_futures + u->short_futures + u->gross_notional + u->max_forward);
		pm_finite_result("portfolio_margin", u->mmp_size + u->liability);
		/* a unit of mmp or liability rows only has no P&L vector: it is zero */
		for (j = 0; u->pnl && j < u->nscen; j++)
		{
			if ((j & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			pm_finite_result("portfolio_margin", u->pnl[j]);
		}

		pq_sendstring(buf, u->underlying);
		pq_sendbyte(buf, u->inverse);
		if (version >= MARGIN_STATE_VERSION_RULES)
		{
			pq_sendbyte(buf, u->side);
			pq_sendfloat8(buf, u->mmp_size);
			pq_sendfloat8(buf, u->liability);
		}
		pq_sendfloat8(buf, u->index_price);
		pq_sendfloat8(buf, u->max_forward);
		pq_sendfloat8(buf, u->option_value);
		pq_sendfloat8(buf, u->short_options);
		pq_sendfloat8(buf, u->option_contracts);
		pq_sendfloat8(buf, u->long_futures);
		pq_sendfloat8(buf, u->short_futures);
		pq_sendfloat8(buf, u->gross_notional);
		if (u->pnl)
			send_float8s(buf, u->pnl, u->nscen);
		else
		{
			/* zeros (+0.0 is all zero bits in the wire format too) */
			enlargeStringInfo(buf, 8 * u->nscen);
			memset(buf->data + buf->len, 0, 8 * (Size) u->nscen);
			buf->len += 8 * u->nscen;
			buf->data[buf->len] = '\0';
		}
		send_buckets(buf, &u->expiries);
		send_buckets(buf, &u->strikes);
	}
}

static void
corrupt_state(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid portfolio margin state: %s", what)));
}

/*
 * Checked readers: a state read from text or from another server may be
 * cut or garbage; running out of bytes is a corrupt state (22P03), not the
 * protocol error pq_getmsg* would raise.
 */
static void
need_bytes(StringInfo buf, int n)
{
	if (n < 0 || buf->len - buf->cursor < n)
		corrupt_state("the data ends early");
}

static int
get_u8(StringInfo buf)
{
	need_bytes(buf, 1);
	return (unsigned char) buf->data[buf->cursor++];
}

static int
get_i16(StringInfo buf)
{
	need_bytes(buf, 2);
	return pq_getmsgint(buf, 2);
}

static int
get_i32(StringInfo buf)
{
	need_bytes(buf, 4);
	return pq_getmsgint(buf, 4);
}

/* a NUL-terminated name in the server encoding */
static const char *
get_name(StringInfo buf)
{
	const char *start = buf->data + buf->cursor;
	const char *z = memchr(start, '\0', buf->len - buf->cursor);
	int			len;

	if (z == NULL)
		corrupt_state("an unterminated underlying name");
	len = z - start;
	if (!pg_verifymbstr(start, len, true))
		corrupt_state("an underlying name is not valid in the server encoding");
	buf->cursor += len + 1;
	return start;
}

static void
get_end(StringInfo buf)
{
	if (buf->cursor != buf->len)
		corrupt_state("trailing data");
}

/* a count read from buf, checked against the bytes left for items of item_size */
static int
get_count(StringInfo buf, int item_size, int limit, const char *what)
{
	int			n = get_i32(buf);

	if (n < 0 || n > limit || (int64) n * item_size > (int64) (buf->len - buf->cursor))
		corrupt_state(psprintf("%s count %d does not fit the data", what, n));
	return n;
}

/*
 * The fewest bytes a serialised risk unit of a set of nscen scenarios takes:
 * an empty name, the settlement byte, 8 doubles, the P&L vector and two
 * empty bucket counts.
 */
static int64
unit_min_bytes(int nscen)
{
	return 1 + 1 + 8 * 8 + 8 * (int64) nscen + 4 + 4;
}

static double
get_finite(StringInfo buf, const char *what)
{
	double		v;

	need_bytes(buf, 8);
	v = pq_getmsgfloat8(buf);

	if (!isfinite(v))
		corrupt_state(psprintf("%s is not finite", what));
	return v;
}

/* n finite doubles in network byte order, added to out[] (or stored, if !add) */
static void
get_float8s(StringInfo buf, double *out, int n, bool add, const char *what)
{
	const char *p;
	int			i;

	if (n < 0 || (int64) n * 8 > (int64) (buf->len - buf->cursor))
		corrupt_state(psprintf("%s does not fit the data", what));
	p = buf->data + buf->cursor;
	for (i = 0; i < n; i++)
	{
		uint64		x;
		double		v;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		memcpy(&x, p + 8 * i, 8);
		x = pg_ntoh64(x);
		memcpy(&v, &x, 8);
		if (!isfinite(v))
			corrupt_state(psprintf("%s is not finite", what));
		out[i] = add ? out[i] + v : v;
	}
	buf->cursor += 8 * n;
}

/*
 * buckets of a unit: copied in one piece when the unit is new, else added.
 * Version 1 buckets were (t, k, value, aux): x is k for strikes, aux
 * (the forward) for expiries.
 */
static void
receive_buckets(StringInfo buf, int version, MemoryContext mcxt, PmBucketSet *bs, bool fresh,
				const char *what)
{
	int			width = version == 1 ? 4 : 3;
	int			n = get_count(buf, 8 * width, 10000000, what);
	double	   *tmp;
	int			i;

	if (n == 0)
		return;
	if (fresh && width == 3)
	{
		bs->n = bs->max = n;
		bs->b = MemoryContextAlloc(mcxt, sizeof(PmBucket) * n);
		get_float8s(buf, (double *) bs->b, 3 * n, false, what);
		return;
	}
	tmp = palloc(sizeof(double) * width * n);
	get_float8s(buf, tmp, width * n, false, what);
	for (i = 0; i < n; i++)
	{
		const double *v = tmp + width * i;

		pm_bucket_add(mcxt, bs, v[0], width == 3 ? v[1] : (bs->keyed_x ? v[1] : v[3]), v[2]);
	}
	pfree(tmp);
}

/*
 * Deserialisation's set cache (SetCache): a set whose serialised bytes
 * (len bytes from start) equal the last one read is not parsed again.
 */
static const PmScenarioSet *
cached_set(SetCache *cache, StringInfo buf, int start, int len)
{
	if (cache->last_set == NULL || cache->last_len != len ||
		memcmp(cache->last_image, buf->data + start, len) != 0)
		return NULL;
	buf->cursor = start + len;
	return cache->last_set;
}

/* intern a freshly parsed set (freed) and remember its serialised bytes */
static const PmScenarioSet *
remember_set(SetCache *cache, PmScenarioSet *set, const char *image, int len)
{
	cache->last_set = pm_intern_set(cache, set);
	pfree(set);
	if (cache->last_image)
		pfree(cache->last_image);
	cache->last_image = MemoryContextAlloc(cache->mcxt, len);
	memcpy(cache->last_image, image, len);
	cache->last_len = len;
	return cache->last_set;
}

/*
 * A reduced joint set (send_joint_set).  Every count is checked against the
 * bytes present before anything is allocated: the set takes 32 bytes per
 * scenario, but uniform weights are sent as 2 doubles, so the check counts
 * what must follow the set as well: a state with a set has at least one
 * risk unit, whose P&L vector holds a double per scenario.  A 100-byte
 * state can thus not claim 10 million scenarios.
 */
static const PmScenarioSet *
receive_joint_set(StringInfo buf, int start, const PmMethod *method, MemoryContext mcxt, SetCache *cache)
{
	const PmScenarioSet *cached;
	PmScenarioSet *set;
	PmScenario *sc;
	int			nparams = get_i32(buf);
	int			nscen = get_i32(buf);
	int			uniform,
				len,
				F,
				i;
	int64		weight_bytes;
	double		w[2];
	const double *p;

	if (nparams != PM_P_VAR_N || nscen < 1 || nscen > PM_MAX_JOINT_SCENARIOS ||
		8 * nparams + 1 > buf->len - buf->cursor)
		corrupt_state("joint scenario set header out of range");
	uniform = (unsigned char) buf->data[buf->cursor + 8 * nparams];
	if (uniform > 1)
		corrupt_state(psprintf("joint scenario weight flag %d out of range", uniform));
	weight_bytes = 8 * (uniform ? 2 : (int64) nscen);
	if ((int64) 8 * nparams + 1 + weight_bytes > buf->len - buf->cursor)
		corrupt_state("joint scenario weights do not fit the data");
	if ((int64) 8 * nparams + 1 + weight_bytes + 4 + unit_min_bytes(nscen) > buf->len - buf->cursor)
		corrupt_state(psprintf("a joint scenario set of %d scenarios without the P&L of its risk units", nscen));
	len = buf->cursor - start + 8 * nparams + 1 + (int) weight_bytes;
	if (cache && (cached = cached_set(cache, buf, start, len)) != NULL)
		return cached;
	/* up to 320 MB, not zeroed (an uninterruptible memset): every byte is written below */
	set = MemoryContextAlloc(cache ? CurrentMemoryContext : mcxt, PM_SET_SIZE(nparams, nscen));
	memset(set, 0, PM_SET_SIZE(0, 0));
	SET_VARSIZE(set, PM_SET_SIZE(nparams, nscen));
	set->version = PM_SCENARIO_SET_VERSION;
	set->method = method->id;
	set->nparams = nparams;
	set->nscenarios = nscen;
	get_float8s(buf, set->params, PM_P_VAR_HASH, false, "a joint set parameter");
	{
		uint64		h;			/* hash bits: sent big-endian like the doubles, not checked as one */

		memcpy(&h, buf->data + buf->cursor, 8);
		h = pg_ntoh64(h);
		memcpy(&set->params[PM_P_VAR_HASH], &h, 8);
	}
	buf->cursor += 8 + 1;
	p = set->params;
	/* finite (get_float8s); the method's check comes before the floor count is converted */
	if (!method->layout_ok(p, nparams, nscen) || p[PM_P_VAR_NUND] != 0.0 || p[PM_P_VAR_HAS_VOLS] != 0.0)
		corrupt_state("joint scenario set parameters out of range");
	F = (int) p[PM_P_VAR_FLOOR_COUNT];
	sc = PM_SET_SCENARIOS(set);
	if (uniform)
		get_float8s(buf, w, 2, false, "a scenario weight");
	for (i = 0; i < nscen; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		sc[i].move = 0.0;
		sc[i].vol_shift = 0.0;
		sc[i].vol_rule = PM_VOL_NONE;
		if (uniform)
			sc[i].weight = w[i >= nscen - F];
		else
			get_float8s(buf, &sc[i].weight, 1, false, "a scenario weight");
		if (!(sc[i].weight >= 0.0 && sc[i].weight <= 1.0))
			corrupt_state(psprintf("scenario %d weight out of range", i + 1));
		sc[i].extended = i >= nscen - F;
	}
	if (cache == NULL)
		return set;
	return remember_set(cache, set, buf->data + start, len);
}

/*
 * The scenario set of a serialised state.  With a cache, a set whose bytes
 * equal the last one read is not parsed again, and the result is interned
 * (it outlives the state); without, it is allocated in mcxt.
 */
static const PmScenarioSet *
receive_set(StringInfo buf, MemoryContext mcxt, SetCache *cache)
{
	const PmScenarioSet *cached;
	const PmMethod *m;
	PmScenarioSet *set;
	char	   *problem;
	int			start = buf->cursor;
	int			method,
				nparams,
				nscen,
				len,
				i;

	method = get_i16(buf);
	m = pm_method(method);
	if (m == NULL)
		corrupt_state(psprintf("unknown method %d", method));
	if (m->joint)
		return receive_joint_set(buf, start, m, mcxt, cache);
	nparams = get_count(buf, 8, 100000, "parameter");
	nscen = get_i32(buf);
	if (nscen < 1 || nscen > PM_MAX_SCENARIOS || (int64) nscen * 26 + (int64) nparams * 8 > buf->len - buf->cursor)
		corrupt_state(psprintf("scenario count %d does not fit the data", nscen));
	len = buf->cursor - start + nparams * 8 + nscen * 26;
	if (cache && (cached = cached_set(cache, buf, start, len)) != NULL)
		return cached;
	set = MemoryContextAllocZero(cache ? CurrentMemoryContext : mcxt, PM_SET_SIZE(nparams, nscen));
	SET_VARSIZE(set, PM_SET_SIZE(nparams, nscen));
	set->version = PM_SCENARIO_SET_VERSION;
	set->method = method;
	set->nparams = nparams;
	set->nscenarios = nscen;
	for (i = 0; i < nparams; i++)
		set->params[i] = get_finite(buf, "a parameter");
	for (i = 0; i < nscen; i++)
	{
		PmScenario *sc = &PM_SET_SCENARIOS(set)[i];

		sc->move = get_finite(buf, "a scenario move");
		sc->vol_shift = get_finite(buf, "a volatility shift");
		sc->weight = get_finite(buf, "a scenario weight");
		sc->vol_rule = get_u8(buf);
		sc->extended = get_u8(buf);
		if (!(sc->move > -1.0) || !(sc->weight >= 0.0 && sc->weight <= 1.0) ||
			sc->vol_rule < PM_VOL_NONE || sc->vol_rule > PM_VOL_TERM_DOWN || sc->extended > 1)
			corrupt_state(psprintf("scenario %d is out of range", i + 1));
	}
	/* the method, its parameters and its scenarios must agree: rebuild and compare */
	if (!pm_set_is_canonical(set, &problem))
		corrupt_state(psprintf("the scenario set does not match its method's parameters: %s", problem));
	if (cache == NULL)
		return set;
	return remember_set(cache, set, buf->data + start, len);
}

static MarginState *
receive_state(StringInfo buf, MemoryContext mcxt, SetCache *cache)
{
	MarginState *st;
	const PmScenarioSet *set;
	int			version = get_u8(buf);
	int			nscen,
				nunits,
				i;

	int			has;

	if (version < 1 || version > MARGIN_STATE_VERSION_RULES)
		corrupt_state(psprintf("unsupported version %d", version));
	has = get_u8(buf);
	if (has == 0)
	{
		get_end(buf);
		return pm_state_create(mcxt, NULL);
	}
	if (has == 2 && version >= MARGIN_STATE_VERSION_RULES)
	{
		int			len = get_count(buf, 1, MaxAllocSize, "rulebook byte");
		PmRulebook *rb;
		SetCache	local = {0};

		if (len < (int) offsetof(PmRulebook, rules))
			corrupt_state("a rulebook too short for its header");
		st = pm_state_create(mcxt, NULL);
		if (cache && cache->last_rules && VARSIZE(cache->last_rules->rb) == (Size) len &&
			memcmp(cache->last_rules->rb, buf->data + buf->cursor, len) == 0)
		{
			/* a stream of partial states carries one rulebook: checked once */
			st->rules = cache->last_rules;
			buf->cursor += len;
		}
		else
		{
			rb = palloc(len);
			memcpy(rb, buf->data + buf->cursor, len);
			buf->cursor += len;
			if (VARSIZE(rb) != (Size) len)
				corrupt_state("a rulebook whose length does not match its header");
			pm_check_rulebook(rb, len);
			local.mcxt = mcxt;
			st->rules = pm_intern_rules(cache ? cache : &local, rb);
			if (cache)
				cache->last_rules = st->rules;
			pfree(rb);
		}
		/* the smallest vector a unit may have */
		nscen = PM_MAX_SCENARIOS;
		for (i = 0; i < st->rules->nrules; i++)
			nscen = Min(nscen, st->rules->sets[i]->nscenarios);
	}
	else if (has == 1)
	{
		set = receive_set(buf, mcxt, cache);
		nscen = set->nscenarios;
		st = pm_state_create(mcxt, set);
	}
	else
		corrupt_state(psprintf("set flag %d out of range", has));
	nunits = get_count(buf, (int) unit_min_bytes(nscen), 1000000, "risk unit");
	if (nunits == 0)
		corrupt_state("a scenario set without risk units");	/* never sent: a unit comes with the set */
	for (i = 0; i < nunits; i++)
	{
		const char *name = get_name(buf);
		int			inverse = get_u8(buf);
		int			before = st->nunits;
		PmUnit	   *u;
		bool		fresh;

		int			side = PM_SIDE_POSITIONS;
		double		mmp = 0.0,
					liability = 0.0;

		CHECK_FOR_INTERRUPTS();
		if (inverse > 1)
			corrupt_state("settlement flag out of range");
		if (version >= MARGIN_STATE_VERSION_RULES)
		{
			side = get_u8(buf);
			if (side > PM_SIDE_SELL)
				corrupt_state("order side out of range");
			mmp = get_finite(buf, "an MMP size");
			liability = get_finite(buf, "a liability");
		}
		u = pm_state_unit(st, name, strlen(name), inverse, side);
		u->mmp_size += mmp;
		u->liability += liability;
		fresh = st->nunits > before;	/* a repeated unit is added, not appended */
		{
			double		index = get_finite(buf, "an index price");

			if (index != 0.0)
				pm_unit_index_price(u, index);
		}
		u->max_forward = fmax(u->max_forward, get_finite(buf, "a forward"));
		u->option_value += get_finite(buf, "an option value");
		u->short_options += get_finite(buf, "a short option count");
		u->option_contracts += get_finite(buf, "an option contract count");
		u->long_futures += get_finite(buf, "a futures size");
		u->short_futures += get_finite(buf, "a futures size");
		u->gross_notional += get_finite(buf, "a notional");
		get_float8s(buf, u->pnl, u->nscen, true, "a scenario P&L vector");
		receive_buckets(buf, version, st->mcxt, &u->expiries, fresh, "expiry");
		receive_buckets(buf, version, st->mcxt, &u->strikes, fresh, "strike");
	}
	get_end(buf);
	return st;
}

static bytea *
serialize_state(const MarginState *st)
{
	StringInfoData buf;

	pm_materialise_state((MarginState *) st);	/* the format carries P&L vectors, not holdings */
	pq_begintypsend(&buf);
	send_state(&buf, st);
	return pq_endtypsend(&buf);
}

/* cache: see receive_set; NULL for a state that owns its set (margin_state.h) */
MarginState *
pm_deserialize_state(const char *data, int len, MemoryContext mcxt, SetCache *cache)
{
	StringInfoData buf;

	buf.data = (char *) data;
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	return receive_state(&buf, mcxt, cache);
}

/* ---- SQL: parallel workers' states, and the margin_state type ---- */

PG_FUNCTION_INFO_V1(portmargin_margin_serial);
Datum
portmargin_margin_serial(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(serialize_state((MarginState *) PG_GETARG_POINTER(0)));
}

PG_FUNCTION_INFO_V1(portmargin_margin_deserial);
Datum
portmargin_margin_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);

	PG_RETURN_POINTER(pm_deserialize_state(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), CurrentMemoryContext,
										   pm_fn_set_cache(fcinfo)));
}

PG_FUNCTION_INFO_V1(portmargin_margin_state_ffunc);
Datum
portmargin_margin_state_ffunc(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(serialize_state(PG_ARGISNULL(0) ? NULL : (MarginState *) PG_GETARG_POINTER(0)));
}

PG_FUNCTION_INFO_V1(portmargin_margin_state_in);
Datum
portmargin_margin_state_in(PG_FUNCTION_ARGS)
{
	char	   *s = PG_GETARG_CSTRING(0);
	size_t		len = strlen(s);
	bytea	   *b;
	uint64		n;

	if (len >= 2 && s[0] == '\\' && s[1] == 'x')
	{
		s += 2;
		len -= 2;
	}
	if (len % 2 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type margin_state: odd number of hex digits")));
	b = palloc(VARHDRSZ + len / 2);
	/* in 16 MB pieces (even digit counts); hex_decode skips whitespace, which the text form never has: with any, one call */
	if (strcspn(s, " \t\n\r") < len)
		n = hex_decode(s, len, VARDATA(b));
	else
		for (n = 0; n < len / 2;)
		{
			size_t		piece = Min(len - 2 * n, (size_t) 16 * 1024 * 1024);

			CHECK_FOR_INTERRUPTS();
			n += hex_decode(s + 2 * n, piece, VARDATA(b) + n);
		}
	SET_VARSIZE(b, VARHDRSZ + n);
	(void) pm_deserialize_state(VARDATA(b), n, CurrentMemoryContext, NULL);	/* validates */
	PG_RETURN_BYTEA_P(b);
}

PG_FUNCTION_INFO_V1(portmargin_margin_state_out);
Datum
portmargin_margin_state_out(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	size_t		len = VARSIZE_ANY_EXHDR(b);
	char	   *out = palloc(2 * len + 3);
	uint64		n;

	out[0] = '\\';
	out[1] = 'x';
	/* in 8 MB pieces, checking for interrupts in between */
	for (n = 0; n < 2 * len;)
	{
		size_t		piece = Min(len - n / 2, (size_t) 8 * 1024 * 1024);

		CHECK_FOR_INTERRUPTS();
		n += hex_encode(VARDATA_ANY(b) + n / 2, piece, out + 2 + n);
	}
	out[2 + n] = '\0';
	PG_RETURN_CSTRING(out);
}

PG_FUNCTION_INFO_V1(portmargin_margin_state_recv);
Datum
portmargin_margin_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	pq_copymsgbytes(buf, VARDATA(b), len);
	(void) pm_deserialize_state(VARDATA(b), len, CurrentMemoryContext, NULL);
	PG_RETURN_BYTEA_P(b);
}

PG_FUNCTION_INFO_V1(portmargin_margin_state_send);
Datum
portmargin_margin_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(PG_GETARG_BYTEA_P(0));
}
