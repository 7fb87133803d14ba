/*
 * margin_agg.c
 *	  The portfolio_margin aggregate: folds positions into risk units
 *	  (underlying x settlement), combines partial states, and finalises
 *	  them with the scenario set's method (margin.c, method.h).  The
 *	  state's wire format and the margin_state type are in margin_state.c.
 *
 * Each distinct instrument is revalued once per query and scenario set:
 * the transition function keeps a hash table of risk arrays in its call
 * site's fn_extra (the SPAN risk-array idea), so a million positions on two
 * thousand instruments cost two thousand revaluations.  With a joint set a
 * state keeps each risk unit's net quantity per instrument (Holding), and
 * the arrays are added up, quantity x array, when the margin is computed or
 * the state serialised; with a grid set each row adds quantity x array.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "access/htup_details.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pg_list.h"
#include "nodes/primnodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "margin.h"
#include "margin_state.h"
#include "method.h"
#include "progress.h"
#include "rulebook.h"
#include "scenario.h"
#include "sqlargs.h"
#include "tailstat.h"

/* the per-call-site cache of risk arrays */
typedef struct InstrumentKey
{
	int32		kind;
	int32		inverse;
	int32		theta;
	int32		column;			/* joint sets: the underlying's column, else 0 */
	double		strike;
	double		t;
	double		forward;
	double		vol;
	double		multiplier;
} InstrumentKey;

/* pnl is out of line: a joint set's vector can be megabytes, dynahash allocates entries 32 at a time */
typedef struct InstrumentEntry
{
	InstrumentKey key;
	double		value;
	double		delta;
	double	   *pnl;
	uint32		strike_hash;	/* bucket_hash of its (t, strike) and (t, 0) buckets */
	uint32		expiry_hash;
	/* the P&L vector itself for sets of up to INLINE_SCENARIOS scenarios (pnl points here) */
	double		inline_pnl[FLEXIBLE_ARRAY_MEMBER];
} InstrumentEntry;

/*
 * The grid methods' vectors (16 to a few hundred scenarios) live in the
 * hash entry, next to its key: a row's lookup and its P&L then touch
 * adjacent memory, and dynahash allocates entries in batches, so the
 * instruments of a set are packed together instead of one power-of-two
 * chunk each.
 */
#define INLINE_SCENARIOS 256

/*
 * A unit's net quantity per cached instrument (joint sets).  The transition
 * function adds a position's quantity here instead of quantity x P&L vector
 * into the unit's P&L: positions in one instrument are netted first
 * (offsetting ones cancel exactly, whatever the row or merge order), and
 * each instrument's vector is added once per account, at the end, in
 * blocks that stay in cache.  The entries live in the call site's
 * RevalCache for the whole query (never freed before the states that point
 * to them).
 */
typedef struct Holding
{
	const InstrumentEntry *e;
	double		q;
} Holding;

#define HOLDINGS_LINEAR 8

typedef struct UnitHoldings
{
	int			n;
	int			max;
	Holding    *h;
	int		   *slots;			/* open-addressing index on e, from HOLDINGS_LINEAR holdings on */
	uint32		mask;
} UnitHoldings;

/* the instruments cached for one scenario set (kept for the query: states point into them) */
typedef struct SetInstruments
{
	const PmScenarioSet *set;	/* interned */
	HTAB	   *instruments;
	MemoryContext arrays;		/* their P&L vectors */
	struct InstrumentEntry **front;
} SetInstruments;

/*
 * Every row looks its instrument up: a direct-mapped table of entries,
 * indexed by a multiplicative hash of the key's words, answers most rows
 * with one memcmp before dynahash (tag_hash over 56 bytes) is asked.
 */
#define FRONT_BITS 13
#define FRONT_SLOTS (1 << FRONT_BITS)

/*
 * The stored (toasted or compressed) form of an argument's last value: a set
 * or rulebook read from a table is recognised by it, the same toast pointer
 * or compressed bytes meaning the same value, without detoasting it again
 * for every row.  Empty when the last value was not stored so.
 */
typedef struct StoredForm
{
	char	   *raw;
	Size		len;
} StoredForm;

static inline bool
stored_form_same(const StoredForm *f, Datum d)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(d);

	return f->len > 0 && (VARATT_IS_EXTERNAL_ONDISK(raw) || VARATT_IS_COMPRESSED(raw)) &&
		VARSIZE_ANY(raw) == f->len && memcmp(f->raw, raw, f->len) == 0;
}

/* remember d's stored form (it has just been detoasted), or forget the last one */
static void
stored_form_remember(StoredForm *f, MemoryContext mcxt, Datum d)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(d);

	if ((VARATT_IS_EXTERNAL_ONDISK(raw) || VARATT_IS_COMPRESSED(raw)) && VARSIZE_ANY(raw) <= 1024 * 1024 * 64)
	{
		if (f->raw)
			pfree(f->raw);
		f->len = VARSIZE_ANY(raw);
		f->raw = MemoryContextAlloc(mcxt, f->len);
		memcpy(f->raw, raw, f->len);
	}
	else
		f->len = 0;
}

/* what rows of one scenario set are revalued and folded with */
typedef struct SetCtx
{
	const PmScenarioSet *set;	/* interned in the call site's SetCache */
	const PmMethod *method;		/* its method */
	int			folds;			/* what the method needs folded per unit (PM_FOLD_*) */
	const PmScenarioSet *state_set; /* what states point to: set, or its reduced form (joint) */
	PmRevalParams params;
	HTAB	   *instruments;	/* the set's, one of per_set */
	MemoryContext arrays;		/* its P&L vectors */
	struct InstrumentEntry **front; /* a direct-mapped cache in front of instruments */
} SetCtx;

typedef struct RevalCache
{
	SetCache	sets;
	SetCtx		cur;			/* the current set's */
	/* rulebook rows: the last rulebook (its interned form) and a context per rule, built on first use */
	const PmRules *rules;
	const void *rules_arg;		/* the argument's pointer, for a constant rulebook */
	int			rules_arg_kind; /* 0 unknown, else pm_agg_arg_kind's (sqlargs.h) */
	SetCtx	   *rule_ctx;
	bool	   *rule_ready;
	int			cur_rule;
	int			scratch_n;		/* scratch's P&L capacity */
	SetInstruments *per_set;
	int			nper_set;
	int			max_per_set;
	double		cached_bytes;	/* of P&L vectors, over every set */
	double		max_cached_bytes;	/* then risk arrays are computed per row, into scratch */
	double	   *scratch;
	/* joint sets: per underlying column, its scenarios (built on first use) */
	PmScenario **columns;
	int			ncolumns;
	/* joint sets: the reduced (state) form of each interned full set */
	const PmScenarioSet **reduced_from;
	const PmScenarioSet **reduced;
	int			nreduced;
	int			maxreduced;
	StoredForm	set_form;		/* of the current set's argument */
	StoredForm	rules_form;		/* of the current rulebook's argument */
	int			last_column;
	char	   *last_name;
	int			last_len;
	int			last_cap;
	/* the position form: the row type's descriptor, looked up on the first row */
	Oid			position_type;
	TupleDesc	position_desc;
} RevalCache;

static void
mixed_sets_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("all rows of a portfolio_margin group must use the same scenario set or rulebook"),
			 errhint("Group by the scenario set or rulebook, or pass one to every row; a rulebook gives each risk unit its own set.")));
}

static RevalCache *
reval_cache(FunctionCallInfo fcinfo, Datum setdatum)
{
	RevalCache *c = (RevalCache *) fcinfo->flinfo->fn_extra;
	PmScenarioSet *s;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RevalCache));
		c->sets.mcxt = fcinfo->flinfo->fn_mcxt;
		fcinfo->flinfo->fn_extra = c;
	}

	/* a large joint set read from a table: recognised by its stored form */
	if (c->cur.set != NULL && stored_form_same(&c->set_form, setdatum))
		return c;
	s = DatumGetScenarioSet(setdatum);
	/* the stored form kept must always be the current set's: replace or forget it */
	stored_form_remember(&c->set_form, fcinfo->flinfo->fn_mcxt, setdatum);
	if (c->cur.set == NULL || !pm_sets_equal(s, c->cur.set))
	{
		HASHCTL		ctl;
		int			k;

		pm_check_scenario_set(s, VARSIZE(s));
		/* states of earlier groups keep pointing to the old set: it stays interned */
		c->cur.set = pm_intern_set(&c->sets, s);
		c->cur.method = pm_set_method(c->cur.set);
		c->cur.folds = c->cur.method->folds_of
			? c->cur.method->folds_of(c->cur.set->params, c->cur.set->nparams) : c->cur.method->folds;
		c->cur.state_set = c->cur.set;
		if (c->columns)
		{
			int			u;

			for (u = 0; u < c->ncolumns; u++)
				if (c->columns[u])
					pfree(c->columns[u]);
			pfree(c->columns);
		}
		c->columns = NULL;
		c->ncolumns = 0;
		c->last_len = -1;		/* no cached column for the new set */
		if (c->cur.method->joint)
		{
			/*
			 * States keep the weights and a hash, not the moves
			 * (scenario_params.h).  The reduced form of each full set is
			 * remembered, so alternating sets are reduced once each.
			 */
			c->cur.state_set = NULL;
			for (k = 0; k < c->nreduced; k++)
				if (c->reduced_from[k] == c->cur.set)
					c->cur.state_set = c->reduced[k];
			if (c->cur.state_set == NULL)
			{
				PmScenarioSet *red = pm_var_reduced_set(c->cur.set);

				c->cur.state_set = pm_intern_set(&c->sets, red);
				pfree(red);
				if (c->nreduced == c->maxreduced)
				{
					c->maxreduced = Max(4, 2 * c->maxreduced);
					c->reduced_from = c->reduced_from
						? repalloc(c->reduced_from, sizeof(PmScenarioSet *) * c->maxreduced)
						: MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(PmScenarioSet *) * c->maxreduced);
					c->reduced = c->reduced
						? repalloc(c->reduced, sizeof(PmScenarioSet *) * c->maxreduced)
						: MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(PmScenarioSet *) * c->maxreduced);
				}
				c->reduced_from[c->nreduced] = c->cur.set;
				c->reduced[c->nreduced++] = c->cur.state_set;
			}
			c->ncolumns = pm_var_nund(c->cur.set);
			c->columns = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PmScenario *) * c->ncolumns);
		}
		pm_reval_params(c->cur.set, &c->cur.params);

		/*
		 * The set's instrument cache: found again when rows go back to a set
		 * seen before (states of pending groups hold its entries, so no
		 * cache is dropped before the query ends).
		 */
		c->cur.instruments = NULL;
		for (k = 0; k < c->nper_set; k++)
			if (c->per_set[k].set == c->cur.set)
			{
				c->cur.instruments = c->per_set[k].instruments;
				c->cur.arrays = c->per_set[k].arrays;
				c->cur.front = c->per_set[k].front;
			}
		if (c->cur.instruments == NULL)
		{
			memset(&ctl, 0, sizeof(ctl));
			ctl.keysize = sizeof(InstrumentKey);
			ctl.entrysize = offsetof(InstrumentEntry, inline_pnl) +
				(c->cur.set->nscenarios <= INLINE_SCENARIOS ? sizeof(double) * c->cur.set->nscenarios : 0);
			ctl.hcxt = fcinfo->flinfo->fn_mcxt;
			c->cur.instruments = hash_create("portmargin risk arrays", 256, &ctl,
										 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
			c->cur.arrays = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "portmargin risk array vectors",
											  ALLOCSET_DEFAULT_SIZES);
			if (c->nper_set == c->max_per_set)
			{
				c->max_per_set = Max(4, 2 * c->max_per_set);
				c->per_set = c->per_set
					? repalloc(c->per_set, sizeof(SetInstruments) * c->max_per_set)
					: MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(SetInstruments) * c->max_per_set);
			}
			c->cur.front = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(InstrumentEntry *) * FRONT_SLOTS);
			c->per_set[c->nper_set].front = c->cur.front;
			c->per_set[c->nper_set].set = c->cur.set;
			c->per_set[c->nper_set].instruments = c->cur.instruments;
			c->per_set[c->nper_set++].arrays = c->cur.arrays;
		}
		/* cache up to max(work_mem, 512 MB) of risk arrays in all; large joint sets recompute beyond */
		c->max_cached_bytes = Max((double) work_mem * 1024.0, 512.0 * 1024 * 1024);
		/* the scratch entry holds the largest set's vector: a rulebook's rules switch back and forth */
		if (c->scratch == NULL || c->scratch_n < c->cur.set->nscenarios)
		{
			if (c->scratch)
			{
				pfree(((InstrumentEntry *) c->scratch)->pnl);
				pfree(c->scratch);
			}
			c->scratch = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(InstrumentEntry));
			((InstrumentEntry *) c->scratch)->pnl =
				MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(double) * c->cur.set->nscenarios);
			c->scratch_n = c->cur.set->nscenarios;
		}
	}
	if ((Pointer) s != DatumGetPointer(setdatum))
		pfree(s);
	return c;
}

/* the scenarios a row of this underlying sees: the set's, or a joint set's column */
static const PmScenario *
row_scenarios(FunctionCallInfo fcinfo, RevalCache *c, const char *name, int len, int *column)
{
	int			u;

	if (!c->cur.method->joint)
	{
		*column = 0;
		return PM_SET_SCENARIOS(c->cur.set);
	}
	if (c->last_name && c->last_len == len && memcmp(c->last_name, name, len) == 0)
		u = c->last_column;
	else
	{
		u = pm_var_column_arg(c->cur.set, name, len);
		c->last_column = u;
		/* one buffer, grown as needed: rows alternate between underlyings */
		if (c->last_name == NULL || len > c->last_cap)
		{
			if (c->last_name)
				pfree(c->last_name);
			c->last_cap = Max(len, 32);
			c->last_name = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, c->last_cap);
		}
		memcpy(c->last_name, name, len);
		c->last_len = len;
	}
	if (c->columns[u] == NULL)
	{
		c->columns[u] = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(PmScenario) * c->cur.set->nscenarios);
		pm_var_column_scenarios(c->cur.set, u, c->columns[u]);
	}
	*column = u;
	return c->columns[u];
}

static inline uint32 bucket_hash(double a, double b);

#define REVAL_SLICE 16384

/* an entry's key against a key's words (InstrumentKey is whole 8-byte words) */
static inline bool
keys_equal(const InstrumentKey *k, const uint64 *words)
{
	uint64		w[sizeof(InstrumentKey) / sizeof(uint64)];
	uint64		diff = 0;
	int			i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < (int) lengthof(w); i++)
		diff |= w[i] ^ words[i];
	return diff == 0;
}

static InstrumentEntry *
instrument_entry(RevalCache *c, const PmInstrument *ins, const PmScenario *sc, int column)
{
	InstrumentKey key;
	InstrumentEntry *e;
	bool		found;

	uint64		words[sizeof(InstrumentKey) / sizeof(uint64)];
	uint64		h = 0;
	uint32		slot;
	int			w;

	StaticAssertStmt(sizeof(InstrumentKey) % sizeof(uint64) == 0, "InstrumentKey is whole words");
	memset(&key, 0, sizeof(key));
	key.column = column;
	key.kind = ins->kind;
	key.inverse = ins->inverse;
	key.theta = ins->theta;
	key.strike = ins->strike + 0.0;	/* -0 and +0 are one key */
	key.t = ins->t + 0.0;
	key.forward = ins->forward;
	key.vol = ins->vol + 0.0;
	key.multiplier = ins->multiplier;
	memcpy(words, &key, sizeof(key));
	for (w = 0; w < (int) lengthof(words); w++)
		h = (h ^ words[w]) * UINT64CONST(0x9E3779B97F4A7C15);
	slot = (uint32) (h >> (64 - FRONT_BITS));
	e = c->cur.front[slot];
	if (e != NULL && keys_equal(&e->key, words))
	{
		/* the vector is read after the unit's summaries are folded: start loading it */
		__builtin_prefetch(e->pnl);
		__builtin_prefetch(e->pnl + 8);
		__builtin_prefetch(e->pnl + 16);
		__builtin_prefetch(e->pnl + 24);
		return e;
	}
	e = (InstrumentEntry *) hash_search(c->cur.instruments, &key,
										c->cached_bytes < c->max_cached_bytes ? HASH_ENTER : HASH_FIND, &found);
	if (e == NULL)
		e = (InstrumentEntry *) c->scratch; /* cache full: revalue into scratch */
	else if (!found)
	{
		c->cached_bytes += sizeof(double) * (double) c->cur.set->nscenarios + 64.0;
		e->pnl = c->cur.set->nscenarios <= INLINE_SCENARIOS ? e->inline_pnl
			: MemoryContextAlloc(c->cur.arrays, sizeof(double) * c->cur.set->nscenarios);
	}
	if (!found)
	{
		e->strike_hash = bucket_hash(ins->t + 0.0, ins->strike + 0.0);
		e->expiry_hash = bucket_hash(ins->t + 0.0, 0.0);
	}
	if (!found)
	{
		/* in slices, checking for interrupts: a 10M-scenario option takes about a second */
		int			n = c->cur.set->nscenarios,
					off;

		for (off = 0; off < n; off += REVAL_SLICE)
		{
			CHECK_FOR_INTERRUPTS();
			pm_risk_array(&c->cur.params, sc + off, Min(REVAL_SLICE, n - off), ins, e->pnl + off,
						  &e->value, &e->delta);
		}
	}
	if (e != (InstrumentEntry *) c->scratch)
		c->cur.front[slot] = e;
	return e;
}

/* ---- state ---- */

/* set must outlive the state (interned, or in mcxt) */
MarginState *
pm_state_create(MemoryContext mcxt, const PmScenarioSet *set)
{
	MarginState *st = MemoryContextAllocZero(mcxt, sizeof(MarginState));

	st->mcxt = mcxt;
	st->set = set;
	return st;
}

/* names are short (BTC, ETH, SPX): a byte loop is cheaper than a call of memcmp */
static inline bool
name_eq(const char *a, const char *b, int len)
{
	int			i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/*
 * The unit of (underlying, settlement), added if new.  dense: the unit gets
 * a zeroed P&L vector if it has none (units made by the transition function
 * have none until something must be added densely; see fold_position).
 */
static PmUnit *
state_unit_ex(MarginState *st, const char *name, int len, int inverse, int side, bool dense)
{
	PmUnit	   *u;
	int			i;

	if (st->nunits > 0)
	{
		u = &st->units[st->last_unit];
		if (u->name_len == len && u->inverse == inverse && u->side == side && name_eq(u->underlying, name, len))
			goto found;
	}
	for (i = 0; i < st->nunits; i++)
	{
		u = &st->units[i];
		if (u->name_len == len && u->inverse == inverse && u->side == side && name_eq(u->underlying, name, len))
		{
			st->last_unit = i;
			goto found;
		}
	}
	if (st->nunits == st->max_units)
	{
		/* 3 units fill a 512-byte chunk; most accounts need no more */
		st->max_units = Max(3, 2 * st->max_units);
		st->units = st->units
			? repalloc(st->units, sizeof(PmUnit) * st->max_units)
			: MemoryContextAlloc(st->mcxt, sizeof(PmUnit) * st->max_units);
		if (st->holdings)
		{
			st->holdings = repalloc(st->holdings, sizeof(UnitHoldings) * st->max_units);
			memset(st->holdings + st->nunits, 0, sizeof(UnitHoldings) * (st->max_units - st->nunits));
		}
	}
	u = &st->units[st->nunits];
	memset(u, 0, sizeof(PmUnit));
	u->underlying = MemoryContextAlloc(st->mcxt, len + 1);
	memcpy(u->underlying, name, len);
	u->underlying[len] = '\0';
	u->name_len = len;
	u->inverse = inverse;
	u->side = side;
	u->strikes.keyed_x = 1;
	if (st->rules)
	{
		/* the unit's rule: ERROR 22023 naming the unit when the rulebook has none for it */
		const PmRule *rule = pm_rulebook_rule(st->rules->rb, name, len, inverse);

		u->rule = rule - st->rules->rb->rules;
		u->nscen = st->rules->sets[u->rule]->nscenarios;
	}
	else
		u->nscen = st->set->nscenarios;
	st->last_unit = st->nunits++;
found:
	if (dense && u->pnl == NULL)
		u->pnl = MemoryContextAllocZero(st->mcxt, sizeof(double) * u->nscen);
	return u;
}

/* the unit, with a P&L vector (what the state readers add into) */
PmUnit *
pm_state_unit(MarginState *st, const char *name, int len, int inverse, int side)
{
	return state_unit_ex(st, name, len, inverse, side, true);
}

static inline uint32
holding_slot0(const UnitHoldings *uh, const InstrumentEntry *e)
{
	uint64		x = (uint64) (uintptr_t) e;

	x ^= x >> 33;
	x *= UINT64CONST(0xFF51AFD7ED558CCD);
	x ^= x >> 33;
	return (uint32) x & uh->mask;
}

static void
holdings_reindex(MemoryContext mcxt, UnitHoldings *uh)
{
	uint32		nslots = 16;
	int			i;

	while (nslots < 2 * (uint32) uh->max)
		nslots *= 2;
	if (uh->slots)
		pfree(uh->slots);
	uh->slots = MemoryContextAlloc(mcxt, sizeof(int) * nslots);
	memset(uh->slots, -1, sizeof(int) * nslots);
	uh->mask = nslots - 1;
	for (i = 0; i < uh->n; i++)
	{
		uint32		h;

		for (h = holding_slot0(uh, uh->h[i].e); uh->slots[h] >= 0; h = (h + 1) & uh->mask)
			;
		uh->slots[h] = i;
	}
}

/* add q to unit ui's holding of e (new holdings are appended) */
static void
holding_add(MarginState *st, int ui, const InstrumentEntry *e, double q)
{
	UnitHoldings *uh;
	uint32		h = 0;
	int			i;

	if (st->holdings == NULL)
		st->holdings = MemoryContextAllocZero(st->mcxt, sizeof(UnitHoldings) * st->max_units);
	uh = &st->holdings[ui];
	if (uh->n < HOLDINGS_LINEAR)
	{
		for (i = 0; i < uh->n; i++)
			if (uh->h[i].e == e)
			{
				uh->h[i].q += q;
				return;
			}
	}
	else
	{
		if (uh->slots == NULL)
			holdings_reindex(st->mcxt, uh);
		for (h = holding_slot0(uh, e); (i = uh->slots[h]) >= 0; h = (h + 1) & uh->mask)
			if (uh->h[i].e == e)
			{
				uh->h[i].q += q;
				return;
			}
	}
	if (uh->n == uh->max)
	{
		uh->max = Max(HOLDINGS_LINEAR, 2 * uh->max);
		uh->h = uh->h ? repalloc(uh->h, sizeof(Holding) * uh->max)
			: MemoryContextAlloc(st->mcxt, sizeof(Holding) * uh->max);
		if (uh->slots)
		{
			pfree(uh->slots);
			uh->slots = NULL;	/* rebuilt, larger, on next use */
		}
	}
	else if (uh->slots)
		uh->slots[h] = uh->n;
	uh->h[uh->n].e = e;
	uh->h[uh->n++].q = q;
}

/*
 * acc[0..m) += q0 p0 + q1 p1 + q2 p2 + q3 p3, added in that order; m ==
 * FOLD_BLOCK is a constant trip count, which the compiler vectorises
 */
#define FOLD_BLOCK 512

static inline void
add4(double *restrict acc, int m, const double *restrict p0, const double *restrict p1,
	 const double *restrict p2, const double *restrict p3,
	 double q0, double q1, double q2, double q3)
{
	int			j;

	if (m == FOLD_BLOCK)
		for (j = 0; j < FOLD_BLOCK; j++)
			acc[j] = (((acc[j] + q0 * p0[j]) + q1 * p1[j]) + q2 * p2[j]) + q3 * p3[j];
	else
		for (j = 0; j < m; j++)
			acc[j] = (((acc[j] + q0 * p0[j]) + q1 * p1[j]) + q2 * p2[j]) + q3 * p3[j];
}

static inline void
add1(double *restrict acc, int m, const double *restrict p0, double q0)
{
	int			j;

	if (m == FOLD_BLOCK)
		for (j = 0; j < FOLD_BLOCK; j++)
			acc[j] += q0 * p0[j];
	else
		for (j = 0; j < m; j++)
			acc[j] += q0 * p0[j];
}

/*
 * Unit ui's P&L vector into out[nscen] and its net option value: the dense
 * part (if any) plus each holding's quantity x P&L vector, holdings added in
 * the order they were first seen, in blocks of scenarios that stay in cache
 * while every holding is added.
 */
static void
unit_pnl(const MarginState *st, int ui, double *out, double *option_value)
{
	const PmUnit *u = &st->units[ui];
	const UnitHoldings *uh = st->holdings ? &st->holdings[ui] : NULL;
	int			n = u->nscen;
	int			nh = uh ? uh->n : 0;
	double		ov = u->option_value;
	long		work = 0;
	int			b,
				k;

	for (k = 0; k < nh; k++)
		ov += uh->h[k].q * uh->h[k].e->value;
	*option_value = ov;
	for (b = 0; b < n; b += FOLD_BLOCK)
	{
		int			m = Min(FOLD_BLOCK, n - b);
		double	   *acc = out + b;

		work += (long) m * (nh + 1);
		if (work >= 1024 * 1024)
		{
			CHECK_FOR_INTERRUPTS();
			work = 0;
		}

		if (u->pnl)
			memcpy(acc, u->pnl + b, sizeof(double) * m);
		else
			memset(acc, 0, sizeof(double) * m);
		/* four holdings per pass: one load and store of acc per four vectors */
		for (k = 0; k + 4 <= nh; k += 4)
			add4(acc, m, uh->h[k].e->pnl + b, uh->h[k + 1].e->pnl + b, uh->h[k + 2].e->pnl + b,
				 uh->h[k + 3].e->pnl + b, uh->h[k].q, uh->h[k + 1].q, uh->h[k + 2].q, uh->h[k + 3].q);
		for (; k < nh; k++)
			add1(acc, m, uh->h[k].e->pnl + b, uh->h[k].q);
	}
}

/* fold every unit's holdings into its P&L vector and option value (before serialising) */
void
pm_materialise_state(MarginState *st)
{
	int			i;

	if (st == NULL || st->holdings == NULL)
		return;
	for (i = 0; i < st->nunits; i++)
	{
		PmUnit	   *u = &st->units[i];
		UnitHoldings *uh = &st->holdings[i];
		double	   *v;

		if (uh->n == 0 && u->pnl)
			continue;
		v = MemoryContextAlloc(st->mcxt, sizeof(double) * u->nscen);
		unit_pnl(st, i, v, &u->option_value);
		if (u->pnl)
			pfree(u->pnl);
		u->pnl = v;
		uh->n = 0;
		if (uh->slots)
			memset(uh->slots, -1, sizeof(int) * (uh->mask + 1));
	}
}

void
pm_unit_index_price(PmUnit *u, double index)
{
	if (u->index_price == 0.0)
		u->index_price = index;
	else if (index != 0.0 && index != u->index_price)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"index_price\": %s", float8out_internal(index)),
				 errdetail("Rows of underlying \"%s\" carry index prices %s and %s; a group needs one.",
						   u->underlying, float8out_internal(u->index_price), float8out_internal(index))));
}

/*
 * Expiry and strike buckets (margin.h).  A book with hundreds of strikes per
 * underlying must not pay a linear search per position, so from
 * PM_BUCKET_LINEAR buckets on they are found through a small open-addressing
 * index (capacity a power of two, at least twice the bucket capacity) keyed
 * by the bits of (t, x).  The index is built on first use, so copied and
 * deserialised states (which are only added up and finalised) rarely build
 * one.  Bucket arrays grow through capacities that fill AllocSet's
 * power-of-two chunks (10, 21, 42, ... buckets).
 */
static inline uint32
bucket_hash(double a, double b)
{
	uint64		x,
				y;

	memcpy(&x, &a, sizeof(x));
	memcpy(&y, &b, sizeof(y));
	/* murmur3's 64-bit finaliser over both keys: every input bit reaches the low bits */
	x ^= y * UINT64CONST(0x9E3779B97F4A7C15);
	x ^= x >> 33;
	x *= UINT64CONST(0xFF51AFD7ED558CCD);
	x ^= x >> 33;
	x *= UINT64CONST(0xC4CEB9FE1A85EC53);
	x ^= x >> 33;
	return (uint32) x;
}

static inline uint32
bucket_slot0(const PmBucketSet *bs, double t, double x)
{
	return bucket_hash(t, bs->keyed_x ? x : 0.0) & bs->mask;
}

static inline bool
bucket_match(const PmBucketSet *bs, const PmBucket *b, double t, double x)
{
	return b->t == t && (!bs->keyed_x || b->x == x);
}

static void
bucket_reindex(MemoryContext mcxt, PmBucketSet *bs)
{
	uint32		nslots = 16;
	int			i;

	while (nslots < 2 * (uint32) bs->max)
		nslots *= 2;
	if (bs->slots)
		pfree(bs->slots);
	bs->slots = MemoryContextAlloc(mcxt, sizeof(int) * nslots);
	memset(bs->slots, -1, sizeof(int) * nslots);
	bs->mask = nslots - 1;
	for (i = 0; i < bs->n; i++)
	{
		uint32		h;

		for (h = bucket_slot0(bs, bs->b[i].t, bs->b[i].x); bs->slots[h] >= 0; h = (h + 1) & bs->mask)
			;
		bs->slots[h] = i;
	}
}

/* room for at least one more bucket; drops the index, which is sized by max */
static void
bucket_grow(MemoryContext mcxt, PmBucketSet *bs)
{
	Size		bytes = 256;

	while (bytes / sizeof(PmBucket) <= (Size) bs->max)
		bytes *= 2;
	bs->max = bytes / sizeof(PmBucket);
	bs->b = bs->b ? repalloc(bs->b, sizeof(PmBucket) * bs->max)
		: MemoryContextAlloc(mcxt, sizeof(PmBucket) * bs->max);
	if (bs->slots)
	{
		pfree(bs->slots);
		bs->slots = NULL;
	}
}

/*
 * add value to the bucket of (t, x), creating it when new; hash is
 * bucket_hash(t, keyed_x ? x : 0) of the normalised key (the transition
 * function passes the one its instrument entry keeps)
 */
static inline void
bucket_add_hashed(MemoryContext mcxt, PmBucketSet *bs, double t, double x, double value, uint32 hash)
{
	uint32		h = 0;
	int			i;
	PmBucket   *b;

	if (bs->n < PM_BUCKET_LINEAR)
	{
		for (i = 0; i < bs->n; i++)
			if (bucket_match(bs, &bs->b[i], t, x))
			{
				bs->b[i].value += value;
				return;
			}
	}
	else
	{
		if (bs->slots == NULL)
			bucket_reindex(mcxt, bs);
		for (h = hash & bs->mask; (i = bs->slots[h]) >= 0; h = (h + 1) & bs->mask)
			if (bucket_match(bs, &bs->b[i], t, x))
			{
				bs->b[i].value += value;
				return;
			}
	}
	if (bs->n == bs->max)
		bucket_grow(mcxt, bs);	/* the index, if any, is rebuilt on next use */
	else if (bs->slots)
		bs->slots[h] = bs->n;
	b = &bs->b[bs->n++];
	b->t = t;
	b->x = x;
	b->value = value;
}

void
pm_bucket_add(MemoryContext mcxt, PmBucketSet *bs, double t, double x, double value)
{
	t += 0.0;					/* -0 and +0 are one key: make their bits equal */
	x += 0.0;
	bucket_add_hashed(mcxt, bs, t, x, value, bucket_hash(t, bs->keyed_x ? x : 0.0));
}

/* a copy of src's buckets, without an index */
static void
bucket_copy(MemoryContext mcxt, PmBucketSet *dst, const PmBucketSet *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->keyed_x = src->keyed_x;
	if (src->n == 0)
		return;
	dst->n = dst->max = src->n;
	dst->b = MemoryContextAlloc(mcxt, sizeof(PmBucket) * src->n);
	memcpy(dst->b, src->b, sizeof(PmBucket) * src->n);
}

/*
 * fold one position into unit ui: its quantity into the unit's holding of
 * the instrument (cached: e lives for the query), or, for an instrument
 * revalued into scratch, quantity x the risk array into the unit's P&L
 * vector; and the summaries, with those the method asks for (folds)
 */
static void
fold_position(MarginState *st, int ui, const PmInstrument *ins, const InstrumentEntry *e, double q,
			  bool cached, int folds)
{
	PmUnit	   *u = &st->units[ui];
	int			n = u->nscen;
	double		aq = fabs(q);
	int			j;

	u->max_forward = fmax(u->max_forward, ins->forward);
	u->gross_notional += aq * ins->multiplier * (ins->inverse ? 1.0 : ins->forward);
	if (ins->kind == PM_KIND_OPTION)
	{
		if (q < 0.0)
			u->short_options += aq;
		u->option_contracts += aq * ins->multiplier;
		if (folds & PM_FOLD_STRIKES)
			bucket_add_hashed(st->mcxt, &u->strikes, ins->t + 0.0, ins->strike + 0.0, q * ins->multiplier,
							  e->strike_hash);
	}
	else if (ins->kind != PM_KIND_SPOT)
	{
		if (q > 0.0)
			u->long_futures += q * ins->multiplier;
		else
			u->short_futures += aq * ins->multiplier;
	}
	if (ins->kind != PM_KIND_SPOT && (folds & PM_FOLD_EXPIRIES))
		bucket_add_hashed(st->mcxt, &u->expiries, ins->t + 0.0, ins->forward, q * e->delta, e->expiry_hash);

	/* last: the vector's loads were started by the lookup (instrument_entry) */
	if (cached)
		holding_add(st, ui, e, q);
	else
	{
		double	   *restrict acc;
		const double *restrict p = e->pnl;

		if (u->pnl == NULL)
			u->pnl = MemoryContextAllocZero(st->mcxt, sizeof(double) * n);
		acc = u->pnl;
		for (j = 0; j < n; j++)
			acc[j] += q * p[j];
		if (ins->kind == PM_KIND_OPTION)
			u->option_value += q * e->value;
	}
}

/*
 * add src's units into dst (same scenario set); units new to dst are
 * copied; holdings are added to dst's holdings of the same instruments
 */
static void
merge_states(MarginState *dst, const MarginState *src)
{
	int			i,
				j,
				k;

	for (i = 0; i < src->nunits; i++)
	{
		const PmUnit *s = &src->units[i];
		int			before = dst->nunits;
		PmUnit	   *d = state_unit_ex(dst, s->underlying, strlen(s->underlying), s->inverse, s->side, false);
		int			nscen = d->nscen;
		int			di = d - dst->units;

		if (dst->nunits > before)
		{
			/* a new unit: copy everything, its bucket indexes are built on demand */
			char	   *name = d->underlying;

			*d = *s;
			d->underlying = name;
			d->pnl = NULL;
			bucket_copy(dst->mcxt, &d->expiries, &s->expiries);
			bucket_copy(dst->mcxt, &d->strikes, &s->strikes);
		}
		else
		{
			if (s->index_price != 0.0)
				pm_unit_index_price(d, s->index_price);
			pm_unit_add_sums(d, s);
			for (k = 0; k < s->expiries.n; k++)
				pm_bucket_add(dst->mcxt, &d->expiries, s->expiries.b[k].t, s->expiries.b[k].x,
						   s->expiries.b[k].value);
			for (k = 0; k < s->strikes.n; k++)
				pm_bucket_add(dst->mcxt, &d->strikes, s->strikes.b[k].t, s->strikes.b[k].x,
						   s->strikes.b[k].value);
		}
		if (s->pnl)
		{
			if (d->pnl == NULL)
				d->pnl = MemoryContextAllocZero(dst->mcxt, sizeof(double) * nscen);
			for (j = 0; j < nscen; j++)
				d->pnl[j] += s->pnl[j];
		}
		if (src->holdings)
			for (k = 0; k < src->holdings[i].n; k++)
				holding_add(dst, di, src->holdings[i].h[k].e, src->holdings[i].h[k].q);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * combine src into dst (creating it in mcxt), checking the scenario sets;
 * dst's set is interned in sc, so src may be short-lived
 */
static MarginState *
combine_into(SetCache *sc, MarginState *dst, const MarginState *src, MemoryContext mcxt)
{
	if (!pm_state_used(src))
		return dst ? dst : (src ? pm_state_create(mcxt, NULL) : NULL);
	if (dst == NULL)
		dst = pm_state_create(mcxt, NULL);
	if (src->rules)
	{
		const PmRules *rules = pm_intern_rules(sc, src->rules->rb);

		if (dst->set != NULL || (dst->rules != NULL && dst->rules != rules))
			mixed_sets_error();
		dst->rules = rules;
	}
	else if (dst->rules != NULL)
		mixed_sets_error();
	else if (dst->set == NULL)
		dst->set = pm_intern_set(sc, src->set);
	else if (!pm_sets_equal(dst->set, src->set))
		mixed_sets_error();
	merge_states(dst, src);
	return dst;
}

/* ---- transition and combine ---- */

/* one row's inputs, checked (margin_row_args) */
typedef struct MarginRow
{
	double		quantity;
	text	   *underlying;
	const char *name;			/* the underlying's bytes */
	int			len;
	int			row;			/* PM_ROW_* */
	int			kind;			/* the instrument kind (0 for mmp and liability) */
	int			inverse;
	double		index;			/* index_price, 0 when NULL */
	double		forward;		/* mmp and liability rows: forward, 0 when NULL */
	PmInstrument ins;			/* positions and orders */
} MarginRow;

/*
 * Rows of a rulebook.  A rulebook whose only rule is the default is that
 * rule's set (states and results are those of the set): c->cur becomes the
 * set's and the result is false.  Otherwise c->rules is the rulebook's
 * interned form and the result true; the row's unit then gives its rule
 * (state_unit_ex looks it up when the unit is new) and switch_rule makes
 * that rule's context current.
 */
static bool
rules_prepare(FunctionCallInfo fcinfo, RevalCache *c, Datum rbdatum, bool new_group, int aggarg)
{
	bool		same;

	/* the rulebook at the same address is the same one as its argument's kind allows (sqlargs.h) */
	if (c->rules_arg_kind == 0)
		c->rules_arg_kind = pm_agg_arg_kind(fcinfo, aggarg);
	same = c->rules != NULL &&
		((DatumGetPointer(rbdatum) == c->rules_arg &&
		  (c->rules_arg_kind == PM_ARG_CONSTANT || (c->rules_arg_kind == PM_ARG_PER_SCAN && !new_group))) ||
		 stored_form_same(&c->rules_form, rbdatum));
	if (!same)
	{
		PmRulebook *rb = DatumGetRulebook(rbdatum);

		/* a rulebook column: compressed or toasted values are recognised without detoasting */
		stored_form_remember(&c->rules_form, fcinfo->flinfo->fn_mcxt, rbdatum);

		if (c->rules == NULL || VARSIZE(rb) != VARSIZE(c->rules->rb) || memcmp(rb, c->rules->rb, VARSIZE(rb)) != 0)
		{
			const PmRules *rules;

			pm_check_rulebook(rb, VARSIZE(rb));
			rules = pm_intern_rules(&c->sets, rb);
			if (rules != c->rules)
			{
				c->rules = rules;
				c->rule_ctx = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SetCtx) * Max(1, rules->nrules));
				c->rule_ready = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(bool) * Max(1, rules->nrules));
				c->cur_rule = -1;
			}
		}
		c->rules_arg = DatumGetPointer(rbdatum);
	}
	if (c->rules->nrules == 1 && c->rules->rb->rules[0].underlying == 0 &&
		c->rules->rb->rules[0].settlement == PM_RULE_ANY)
	{
		if (c->cur_rule != 0)
		{
			reval_cache(fcinfo, PointerGetDatum(c->rules->sets[0]));
			c->cur_rule = 0;
		}
		return false;
	}
	return true;
}

/* rule k's context current: built on its first row, then switched to by a struct copy */
static inline void
switch_rule(FunctionCallInfo fcinfo, RevalCache *c, int k)
{
	if (k == c->cur_rule)
		return;
	if (!c->rule_ready[k])
	{
		reval_cache(fcinfo, PointerGetDatum(c->rules->sets[k]));
		c->rule_ctx[k] = c->cur;
		c->rule_ready[k] = true;
	}
	else
		c->cur = c->rule_ctx[k];
	c->cur_rule = k;
}

/*
 * Plausibility of units (doc/conventions.md): vol is a decimal (0.25 is
 * 25%), t is in years.  A vol above 10 (1000%) or a t above 50 years is a
 * unit mistake (a vol in percent, a t in days), not a market: ERROR 22023
 * naming the argument, its value and the row.  Applied by the aggregate to
 * every position and order row (both input forms) and by position(); the
 * pricing functions keep accepting any vol and t (implied-vol solvers).
 */
#define PM_MAX_PLAUSIBLE_VOL 10.0
#define PM_MAX_PLAUSIBLE_T 50.0

static void
plausible_row(FunctionCallInfo fcinfo, const PmInstrument *ins, const char *name, int len)
{
	double		t = PG_ARGISNULL(6) ? 0.0 : PG_GETARG_FLOAT8(6);

	if (unlikely(ins->kind == PM_KIND_OPTION && ins->vol > PM_MAX_PLAUSIBLE_VOL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"vol\": %s", float8out_internal(ins->vol)),
				 errdetail("The %s row of underlying \"%.*s\" has a volatility of %s%%; at most 10 (1000%%) is accepted.",
						   text_to_cstring(PG_GETARG_TEXT_PP(3)), len, name, float8out_internal(ins->vol * 100.0)),
				 errhint("vol is a decimal: 0.25 means 25%%.")));
	if (unlikely(t > PM_MAX_PLAUSIBLE_T))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"t\": %s", float8out_internal(t)),
				 errdetail("The %s row of underlying \"%.*s\" expires in %s years; at most 50 years is accepted.",
						   text_to_cstring(PG_GETARG_TEXT_PP(3)), len, name, float8out_internal(t)),
				 errhint("t is in years (ACT/365): 30 days is 30/365.0.")));
}

/*
 * The checked inputs of one row, fcinfo arguments 1 to 11 in the
 * 12-argument order (quantity, underlying, kind, option_type, strike, t,
 * forward, vol, settlement, multiplier, index_price); false for a row
 * without a quantity (skipped, as sum() skips NULLs).  set_arg: the
 * argument number of the scenario set or rulebook (checked not NULL after
 * the quantity), or 0 (position() checks a row without one).
 */
static bool
margin_row_args(FunctionCallInfo fcinfo, int set_arg, bool rulebook, MarginRow *r)
{
	if (PG_ARGISNULL(1))
		return false;
	r->quantity = pm_finite_arg("quantity", PG_GETARG_FLOAT8(1));
	if (set_arg > 0 && PG_ARGISNULL(set_arg))
		pm_null_arg_error(rulebook ? "rules" : "scenarios", "");
	if (PG_ARGISNULL(2))
		pm_null_arg_error("underlying", "");
	r->underlying = PG_GETARG_TEXT_PP(2);
	r->name = VARDATA_ANY(r->underlying);
	r->len = VARSIZE_ANY_EXHDR(r->underlying);
	if (PG_ARGISNULL(3))
		pm_null_arg_error("kind", "");
	r->kind = pm_row_kind_arg(PG_GETARG_TEXT_PP(3), &r->row);
	if (PG_ARGISNULL(9))
		pm_null_arg_error("settlement", "");
	{
		/* the usual spellings compared inline (every row), anything else by pm_settlement_arg */
		text	   *st_text = PG_GETARG_TEXT_PP(9);
		const char *sv = VARDATA_ANY(st_text);
		int			sl = VARSIZE_ANY_EXHDR(st_text);

		if (sl == 7 && memcmp(sv, "inverse", 7) == 0)
			r->inverse = 1;
		else if (sl == 6 && memcmp(sv, "linear", 6) == 0)
			r->inverse = 0;
		else
			r->inverse = pm_settlement_arg(st_text);
	}
	if (r->row == PM_ROW_POSITION || r->row == PM_ROW_ORDER)
	{
		pm_instrument_args_as(fcinfo, 3, r->kind, r->inverse, &r->ins);
		plausible_row(fcinfo, &r->ins, r->name, r->len);
	}
	if (r->row == PM_ROW_ORDER && r->quantity == 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"quantity\": 0"),
				 errdetail("An order's quantity is its amount, positive for a buy and negative for a sell.")));
	if ((r->row == PM_ROW_MMP || r->row == PM_ROW_LIABILITY) && r->quantity < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"quantity\": %s", float8out_internal(r->quantity)),
				 errdetail("The quantity of a%s row is %s; it must not be negative.",
						   r->row == PM_ROW_MMP ? "n mmp" : " liability",
						   r->row == PM_ROW_MMP ? "the unit's market-maker protection size" : "the amount borrowed")));
	/* required for coin-settled rows; checked wherever given */
	r->index = 0.0;
	if (!PG_ARGISNULL(11))
		r->index = pm_positive_arg("index_price", PG_GETARG_FLOAT8(11));
	else if (r->inverse && r->row != PM_ROW_MMP && r->row != PM_ROW_LIABILITY)
		pm_null_arg_error("index_price", " for a coin-settled (inverse) instrument");
	/* an MMP size is in the underlying: a linear unit values it at the row's forward */
	r->forward = 0.0;
	if ((r->row == PM_ROW_MMP || r->row == PM_ROW_LIABILITY) && !PG_ARGISNULL(7))
		r->forward = pm_positive_arg("forward", PG_GETARG_FLOAT8(7));
	return true;
}

/*
 * One row: a position, a resting order, or an account input (mmp,
 * liability) of its risk unit, in fcinfo arguments 1 to 11 (the
 * 12-argument order); argument 12 is the scenario set, or the rulebook
 * (rulebook), which is argument rules_aggarg (0-based) of the aggregate
 * call (11 for the 12-argument form, 1 for the position form).
 */
static Datum
margin_transition(FunctionCallInfo fcinfo, bool rulebook, int rules_aggarg)
{
	MemoryContext aggctx;
	MarginState *st;
	RevalCache *c;
	MarginRow	r;
	PmUnit	   *u;
	const char *name;
	int			len,
				row,
				side;
	bool		by_rules = false;
	double		quantity;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "portmargin_margin_sfunc called in non-aggregate context");
	st = PG_ARGISNULL(0) ? NULL : (MarginState *) PG_GETARG_POINTER(0);

	/* rows without a quantity are skipped, as sum() skips NULLs */
	if (!margin_row_args(fcinfo, 12, rulebook, &r))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	pm_progress_agg_row(fcinfo);
	quantity = r.quantity;
	name = r.name;
	len = r.len;
	row = r.row;

	if (rulebook)
	{
		c = (RevalCache *) fcinfo->flinfo->fn_extra;
		if (c == NULL)
		{
			c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RevalCache));
			c->sets.mcxt = fcinfo->flinfo->fn_mcxt;
			c->cur_rule = -1;
			fcinfo->flinfo->fn_extra = c;
		}
		by_rules = rules_prepare(fcinfo, c, PG_GETARG_DATUM(12), st == NULL, rules_aggarg);
	}
	else
		c = reval_cache(fcinfo, PG_GETARG_DATUM(12));

	/* the state's set and c->cur.state_set are interned in the same cache: equal iff identical */
	if (st == NULL)
		st = pm_state_create(aggctx, NULL);
	if (by_rules)
	{
		if (st->set != NULL || (st->rules != NULL && st->rules != c->rules))
			mixed_sets_error();
		st->rules = c->rules;
	}
	else if (st->rules != NULL)
		mixed_sets_error();
	else if (st->set == NULL)
		st->set = c->cur.state_set;
	else if (st->set != c->cur.state_set)
		mixed_sets_error();

	side = row != PM_ROW_ORDER ? PM_SIDE_POSITIONS : quantity > 0.0 ? PM_SIDE_BUY : PM_SIDE_SELL;
	u = state_unit_ex(st, name, len, r.inverse, side, false);
	if (row == PM_ROW_MMP || row == PM_ROW_LIABILITY)
	{
		if (r.index != 0.0 && r.inverse)
			pm_unit_index_price(u, r.index);
		/* an MMP size is in the underlying: a linear unit values it at the row's forward */
		if (r.forward != 0.0)
			u->max_forward = fmax(u->max_forward, r.forward);
		if (row == PM_ROW_MMP)
			u->mmp_size += quantity;
		else
			u->liability += quantity;
		PG_RETURN_POINTER(st);
	}
	{
		int			column;
		const PmScenario *sc;
		InstrumentEntry *e;

		if (by_rules)
			switch_rule(fcinfo, c, u->rule);
		/* a method that margins the account as a whole (var) has no rule for resting orders */
		if (row == PM_ROW_ORDER && c->cur.method->finalize != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("invalid value for argument \"kind\": \"%s\" under the %s method",
							text_to_cstring(PG_GETARG_TEXT_PP(3)), c->cur.method->name),
					 errdetail("The %s method margins positions only; it has no rule for resting orders.",
							   c->cur.method->name),
					 errhint("Margin the orders as positions (a what-if), or leave them out.")));
		sc = row_scenarios(fcinfo, c, name, len, &column);
		if (r.ins.inverse)
			pm_unit_index_price(u, r.index);
		e = instrument_entry(c, &r.ins, sc, column);

		/*
		 * Joint sets net positions per instrument (Holding); the grid
		 * methods' vectors (16-35 scenarios, at most 10,000) are cheaper to
		 * add per row than to look up, and keep the state small for
		 * parallel workers.
		 */
		fold_position(st, u - st->units, &r.ins, e, quantity,
					  e != (InstrumentEntry *) c->scratch && (c->cur.folds & PM_FOLD_HOLDINGS), c->cur.folds);
	}
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(portmargin_margin_sfunc);
Datum
portmargin_margin_sfunc(PG_FUNCTION_ARGS)
{
	return margin_transition(fcinfo, false, 11);
}

PG_FUNCTION_INFO_V1(portmargin_margin_rules_sfunc);
Datum
portmargin_margin_rules_sfunc(PG_FUNCTION_ARGS)
{
	return margin_transition(fcinfo, true, 11);
}

/* ---- the position form: portfolio_margin(position, rulebook | scenario_set) ---- */

/*
 * portmargin.position's fields, in order, and the 12-argument form's
 * argument each one is (1-based; 0 is the state).  position() takes its
 * arguments in this order too.
 */
#define POSITION_NATTS 11
static const int position_arg[POSITION_NATTS] = {
	1,							/* quantity */
	2,							/* underlying */
	3,							/* kind */
	9,							/* settlement */
	4,							/* option_type */
	7,							/* forward */
	5,							/* strike */
	6,							/* t */
	8,							/* vol */
	10,							/* multiplier */
	11							/* index_price */
};
static const Oid position_typid[POSITION_NATTS] = {
	FLOAT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID
};

/* td has portmargin.position's layout (the type is the extension's; checked once per call site) */
static void
position_check_layout(TupleDesc td, TupleDesc release)
{
	bool		ok = td->natts == POSITION_NATTS;
	int			i;

	for (i = 0; ok && i < POSITION_NATTS; i++)
		ok = !TupleDescAttr(td, i)->attisdropped && TupleDescAttr(td, i)->atttypid == position_typid[i];
	if (!ok)
	{
		if (release)
			ReleaseTupleDesc(release);
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("argument \"position\" is not of the layout of portmargin.position"),
				 errdetail("portfolio_margin reads 11 fields: quantity, underlying, kind, settlement, option_type, forward, strike, t, vol, multiplier, index_price.")));
	}
}

/* rowtype's descriptor, checked to be portmargin.position's layout */
static TupleDesc
position_desc(MemoryContext mcxt, Oid rowtype, int32 typmod)
{
	TupleDesc	td = lookup_rowtype_tupdesc(rowtype, typmod);
	TupleDesc	copy;

	position_check_layout(td, td);
	{
		MemoryContext old = MemoryContextSwitchTo(mcxt);

		copy = CreateTupleDescCopy(td);
		MemoryContextSwitchTo(old);
	}
	ReleaseTupleDesc(td);
	return copy;
}

/*
 * A portmargin.position datum's fields, by heap_deform_tuple (missing
 * trailing fields are NULL; text values point into the datum).
 */
static inline void
position_deform(HeapTupleHeader th, TupleDesc desc, Datum *values, bool *nulls)
{
	HeapTupleData tmp;

	tmp.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&(tmp.t_self));
	tmp.t_tableOid = InvalidOid;
	tmp.t_data = th;
	heap_deform_tuple(&tmp, desc, values, nulls);
}

/* A portmargin.position datum of values (texts not toasted), by heap_form_tuple */
static Datum
position_form(TupleDesc td, const Datum *values, const bool *nulls)
{
	return HeapTupleGetDatum(heap_form_tuple(td, (Datum *) values, (bool *) nulls));
}

/*
 * One row of the position form: argument 1 a portmargin.position (NULL:
 * the row is skipped, as a NULL quantity is), argument 2 the scenario set
 * or rulebook.  The composite is unpacked into the 12-argument layout and
 * folded by margin_transition, so both forms check and fold rows the same
 * way, bit for bit.
 */
static Datum
position_transition(FunctionCallInfo fcinfo, bool rulebook)
{
	LOCAL_FCINFO(inner, 13);
	RevalCache *c;
	HeapTupleHeader th;
	Datum		values[POSITION_NATTS];
	bool		nulls[POSITION_NATTS];
	Datum		result;
	Oid			rowtype;
	int			i;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "portmargin_margin_position_sfunc called in non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}

	c = (RevalCache *) fcinfo->flinfo->fn_extra;
	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RevalCache));
		c->sets.mcxt = fcinfo->flinfo->fn_mcxt;
		c->cur_rule = -1;
		fcinfo->flinfo->fn_extra = c;
	}
	th = PG_GETARG_HEAPTUPLEHEADER(1);
	rowtype = HeapTupleHeaderGetTypeId(th);
	if (unlikely(c->position_desc == NULL || rowtype != c->position_type))
	{
		c->position_desc = position_desc(fcinfo->flinfo->fn_mcxt, rowtype, HeapTupleHeaderGetTypMod(th));
		c->position_type = rowtype;
	}
	position_deform(th, c->position_desc, values, nulls);

	InitFunctionCallInfoData(*inner, fcinfo->flinfo, 13, fcinfo->fncollation, fcinfo->context, NULL);
	inner->args[0] = fcinfo->args[0];
	for (i = 0; i < POSITION_NATTS; i++)
	{
		inner->args[position_arg[i]].value = values[i];
		inner->args[position_arg[i]].isnull = nulls[i];
	}
	inner->args[12] = fcinfo->args[2];
	result = margin_transition(inner, rulebook, 1);
	fcinfo->isnull = inner->isnull;
	return result;
}

PG_FUNCTION_INFO_V1(portmargin_margin_position_sfunc);
Datum
portmargin_margin_position_sfunc(PG_FUNCTION_ARGS)
{
	return position_transition(fcinfo, false);
}

PG_FUNCTION_INFO_V1(portmargin_margin_position_rules_sfunc);
Datum
portmargin_margin_position_rules_sfunc(PG_FUNCTION_ARGS)
{
	return position_transition(fcinfo, true);
}

/*
 * position(quantity, underlying, kind, settlement, option_type, forward,
 * strike, t, vol, multiplier, index_price): the row, checked as the
 * aggregate checks it (margin_row_args: the same SQLSTATEs and messages,
 * the plausibility of vol and t included), as a portmargin.position.  What
 * depends on the scenario set or rulebook (an underlying a joint set has no
 * column for, an order under the var method, one index price per unit) is
 * left to the aggregate.  A NULL quantity is not checked further: the
 * aggregate skips the row.
 */
PG_FUNCTION_INFO_V1(portmargin_position);
Datum
portmargin_position(PG_FUNCTION_ARGS)
{
	LOCAL_FCINFO(inner, 13);
	bool		first = fcinfo->flinfo->fn_extra == NULL;
	TupleDesc	td = pm_result_tupdesc(fcinfo);
	Datum		values[POSITION_NATTS];
	bool		nulls[POSITION_NATTS];
	MarginRow	r;
	int			i;

	if (unlikely(first))
		position_check_layout(td, NULL);
	InitFunctionCallInfoData(*inner, fcinfo->flinfo, 13, fcinfo->fncollation, NULL, NULL);
	inner->args[0].isnull = inner->args[12].isnull = true;
	for (i = 0; i < POSITION_NATTS; i++)
	{
		nulls[i] = PG_ARGISNULL(i);
		/* texts detoasted: a composite holds no toast pointers */
		values[i] = nulls[i] ? (Datum) 0
			: position_typid[i] == TEXTOID ? PointerGetDatum(PG_GETARG_TEXT_PP(i)) : PG_GETARG_DATUM(i);
		inner->args[position_arg[i]].value = values[i];
		inner->args[position_arg[i]].isnull = nulls[i];
	}
	(void) margin_row_args(inner, 0, false, &r);
	PG_RETURN_DATUM(position_form(td, values, nulls));
}

PG_FUNCTION_INFO_V1(portmargin_margin_combine);
Datum
portmargin_margin_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	MarginState *dst = PG_ARGISNULL(0) ? NULL : (MarginState *) PG_GETARG_POINTER(0);
	MarginState *src = PG_ARGISNULL(1) ? NULL : (MarginState *) PG_GETARG_POINTER(1);

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "portmargin_margin_combine called in non-aggregate context");
	dst = combine_into(pm_fn_set_cache(fcinfo), dst, src, aggctx);
	if (dst == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(dst);
}

/* ---- final: the margin composite ---- */

static int
unit_order(const void *a, const void *b, void *arg)
{
	const PmUnit *units = (const PmUnit *) arg;
	const PmUnit *ua = &units[*(const int *) a];
	const PmUnit *ub = &units[*(const int *) b];
	int			c = strcmp(ua->underlying, ub->underlying);

	return c != 0 ? c : ua->inverse - ub->inverse;
}

static char *
unit_name(const PmUnit *u)
{
	return psprintf("%s (%s)", u->underlying, u->inverse ? "inverse" : "linear");
}

/* ERROR 22003 naming the margin field whose value is not finite */
static void
finite_field(int field, double value)
{
	static const char *const names[23] = {
		"currency", "initial_margin", "maintenance_margin", "scan_loss", "short_option_minimum",
		"net_option_value", "per_contract_minimum", "option_contingency", "futures_contingency",
		"roll_shock", "basis_risk", "minimum_charge", "cross_margin_offset", "worst_scenario",
		"worst_label", "worst_unit", "risk_units", "unit_margins", "pnl", "var", "expected_shortfall",
		"floor_statistic", "apc_buffer"
	};

	if (unlikely(!isfinite(value)))
		pm_result_error(psprintf("portfolio_margin: %s", names[field]), value);
}

static void
interrupt_tick(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

/* memory for finalisation's scratch (a joint set's can exceed 1 GB) */
static void *
alloc_huge(size_t size)
{
	return palloc_extended(size, MCXT_ALLOC_HUGE);
}

/* a method's complaints about the summed P&L vector (the var method's tail), as errors */
static void
tail_check(const PmMarginResult *r)
{
	switch (r->tail_status)
	{
		case PM_TAIL_OK:
			break;
		case PM_TAIL_NOT_FINITE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("portfolio_margin: the account's P&L in joint scenario %d is out of range for type double precision",
							r->tail_scenario + 1),
					 errdetail("The positions' P&L, added up across risk units, overflowed.")));
			break;
		case PM_TAIL_OVERFLOW:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("portfolio_margin: the expected shortfall is out of range for type double precision")));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("portfolio_margin: the scenario weights of a group of the joint set sum to 0")));
	}
}

/*
 * Scenario labels, formatted once per set and call site: every account's
 * result names its worst scenario and each unit's, and printf-formatting
 * them was a visible share of the leader's serial Finalize in parallel
 * plans.  Sets are recognised by content (a finalize_margin call frees its
 * set, whose address may come back for another); sets over 64 kB (joint)
 * are not cached.
 */
#define LABEL_SETS 8

typedef struct LabelCache
{
	int			n;
	int			next;			/* the entry replaced when full */
	PmScenarioSet *sets[LABEL_SETS];	/* copies */
	char	  **labels[LABEL_SETS];	/* [nscenarios], filled on use */
} LabelCache;

/* what a final function keeps in its fn_extra: the result's and units' row types, the labels */
typedef struct FinalCache
{
	TupleDesc	tupdesc;
	TupleDesc	unit_tupdesc;	/* NULL until a result has a units field */
	Oid			unit_type;		/* and its element type's storage */
	int16		unit_typlen;
	bool		unit_typbyval;
	char		unit_typalign;
	LabelCache	labels;
} FinalCache;

static FinalCache *
final_cache(FunctionCallInfo fcinfo)
{
	FinalCache *fc = (FinalCache *) fcinfo->flinfo->fn_extra;

	if (fc == NULL)
	{
		fc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(FinalCache));
		fc->tupdesc = pm_new_result_tupdesc(fcinfo);
		fcinfo->flinfo->fn_extra = fc;
	}
	return fc;
}

static const char *
scenario_label(FunctionCallInfo fcinfo, const PmScenarioSet *set, int j)
{
	LabelCache *lc = &final_cache(fcinfo)->labels;
	Size		size = VARSIZE(set);
	int			k;

	if (size > 64 * 1024 || j < 0 || j >= set->nscenarios || pm_set_method(set)->joint)
		return pm_set_scenario_label(set, j);
	for (k = 0; k < lc->n; k++)
		if (VARSIZE(lc->sets[k]) == size && memcmp(lc->sets[k], set, size) == 0)
			break;
	if (k == lc->n)
	{
		if (lc->n < LABEL_SETS)
			k = lc->n++;
		else
		{
			k = lc->next;
			lc->next = (lc->next + 1) % LABEL_SETS;
			for (int i = 0; i < lc->sets[k]->nscenarios; i++)
				if (lc->labels[k][i])
					pfree(lc->labels[k][i]);
			pfree(lc->labels[k]);
			pfree(lc->sets[k]);
		}
		lc->sets[k] = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, size);
		memcpy(lc->sets[k], set, size);
		lc->labels[k] = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(char *) * Max(1, set->nscenarios));
	}
	if (lc->labels[k][j] == NULL)
		lc->labels[k][j] = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt, pm_set_scenario_label(set, j));
	return lc->labels[k][j];
}

/* the names of unit_margin's component columns, in PmComponent order */
#define UNIT_FIELDS_TEXT 6
#define UNIT_NATTS (UNIT_FIELDS_TEXT + PM_COMP_N + 3)

/*
 * The units field: one portmargin.unit_margin per risk unit (in output
 * order), every component NULL where the unit's method has none.
 */
static Datum
units_datum(FunctionCallInfo fcinfo, TupleDesc tupdesc, int attno, const MarginState *st, const PmUnit *units, int nunits,
			const int *order, const PmMarginResult *r, const PmSetView *const *views)
{
	FinalCache *fc = final_cache(fcinfo);
	TupleDesc	utd;
	Datum	   *elems = palloc(sizeof(Datum) * Max(nunits, 1));
	int			i,
				k;

	/* the element type and its row type, looked up once per call site */
	if (fc->unit_tupdesc == NULL)
	{
		Oid			elemtype = get_element_type(TupleDescAttr(tupdesc, attno)->atttypid);
		MemoryContext old;

		if (!OidIsValid(elemtype))
			elog(ERROR, "portmargin: the margin type's units field is not an array");
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		fc->unit_tupdesc = lookup_rowtype_tupdesc_copy(elemtype, -1);
		MemoryContextSwitchTo(old);
		fc->unit_type = elemtype;
		get_typlenbyvalalign(elemtype, &fc->unit_typlen, &fc->unit_typbyval, &fc->unit_typalign);
	}
	utd = fc->unit_tupdesc;
	if (utd->natts != UNIT_NATTS)
		elog(ERROR, "portmargin: unit_margin has %d fields, the library writes %d", utd->natts, UNIT_NATTS);
	for (i = 0; i < nunits; i++)
	{
		int			u = order[i];
		const PmUnit *unit = &units[u];
		const PmSetView *view = views[u];
		Datum		v[UNIT_NATTS];
		bool		n[UNIT_NATTS] = {false};
		const PmRule *rule = st->rules ? &st->rules->rb->rules[unit->rule] : NULL;
		double		comp;

		v[0] = CStringGetTextDatum(unit->underlying);
		v[1] = CStringGetTextDatum(unit->inverse ? "inverse" : "linear");
		if (rule)
		{
			v[2] = CStringGetTextDatum(pm_rule_key(st->rules->rb, rule));
			n[3] = pm_rule_name(st->rules->rb, rule)[0] == '\0';
			if (!n[3])
				v[3] = CStringGetTextDatum(pm_rule_name(st->rules->rb, rule));
		}
		else
			n[2] = n[3] = true;
		v[4] = CStringGetTextDatum(view->method->name);
		v[5] = CStringGetTextDatum(unit->inverse ? unit->underlying : "USD");
		for (k = 0; k < PM_COMP_N; k++)
		{
			comp = r->unit_comp[u * PM_COMP_N + k];
			n[UNIT_FIELDS_TEXT + k] = isnan(comp);
			if (!isnan(comp))
			{
				if (!isfinite(comp))
					pm_result_error("portfolio_margin: a unit's component", comp);
				v[UNIT_FIELDS_TEXT + k] = Float8GetDatum(comp);
			}
		}
		v[UNIT_FIELDS_TEXT + PM_COMP_N] = Float8GetDatum(r->unit_margin[u]);
		if (r->unit_worst && r->unit_worst[u] >= 0)
		{
			v[UNIT_FIELDS_TEXT + PM_COMP_N + 1] = Int32GetDatum(r->unit_worst[u] + 1);
			v[UNIT_FIELDS_TEXT + PM_COMP_N + 2] =
				CStringGetTextDatum(scenario_label(fcinfo, st->rules ? st->rules->sets[unit->rule] : st->set,
														  r->unit_worst[u]));
		}
		else
			n[UNIT_FIELDS_TEXT + PM_COMP_N + 1] = n[UNIT_FIELDS_TEXT + PM_COMP_N + 2] = true;
		elems[i] = HeapTupleGetDatum(heap_form_tuple(utd, v, n));
	}
	return PointerGetDatum(construct_array(elems, nunits, fc->unit_type, fc->unit_typlen, fc->unit_typbyval,
										   fc->unit_typalign));
}

/*
 * The units a state is margined as: its position units (side 0) with their
 * holdings added in, in a copy (a state may be finalised more than once),
 * each pointing to its resting buy and sell orders (order units, folded
 * the same way); a unit with orders and no positions gets an empty one.
 */
static PmUnit *
final_units(const MarginState *st, int *nunits_out)
{
	int			n = st->nunits,
				npos = 0,
				i,
				k;
	PmUnit	   *all = palloc(sizeof(PmUnit) * Max(n, 1));
	PmUnit	   *units = palloc(sizeof(PmUnit) * Max(n, 1));

	for (i = 0; i < n; i++)
	{
		all[i] = st->units[i];
		/* finalisation only reads the vectors: the state's own unless holdings must be added in */
		if (st->holdings == NULL || st->holdings[i].n == 0)
		{
			if (all[i].pnl == NULL)
				all[i].pnl = palloc_extended(sizeof(double) * Max(all[i].nscen, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		}
		else
		{
			all[i].pnl = palloc_extended(sizeof(double) * Max(all[i].nscen, 1), MCXT_ALLOC_HUGE);
			unit_pnl(st, i, all[i].pnl, &all[i].option_value);
		}
		all[i].buy_orders = all[i].sell_orders = NULL;
	}
	for (i = 0; i < n; i++)
	{
		if (all[i].side == PM_SIDE_POSITIONS)
			units[npos++] = all[i];
		/* an MMP size is in the underlying: a linear unit needs a price to value it */
		if (all[i].mmp_size > 0.0 && !all[i].inverse && !(all[i].max_forward > 0.0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for argument \"forward\": NULL for the mmp row of risk unit %s (linear)",
							all[i].underlying),
					 errdetail("The unit has no position or order whose forward could value its MMP size."),
					 errhint("Give the mmp row the underlying's price as its forward.")));
	}
	for (i = 0; i < n; i++)
	{
		PmUnit	   *pos = NULL;

		if (all[i].side == PM_SIDE_POSITIONS)
			continue;
		for (k = 0; k < npos && pos == NULL; k++)
			if (units[k].inverse == all[i].inverse && strcmp(units[k].underlying, all[i].underlying) == 0)
				pos = &units[k];
		if (pos == NULL)
		{
			pos = &units[npos++];
			memset(pos, 0, sizeof(PmUnit));
			pos->underlying = all[i].underlying;
			pos->name_len = all[i].name_len;
			pos->inverse = all[i].inverse;
			pos->index_price = all[i].index_price;
			pos->rule = all[i].rule;
			pos->nscen = all[i].nscen;
			pos->strikes.keyed_x = 1;
			pos->pnl = palloc0(sizeof(double) * Max(pos->nscen, 1));
		}
		if (pos->index_price == 0.0)
			pos->index_price = all[i].index_price;
		if (all[i].side == PM_SIDE_BUY)
			pos->buy_orders = &all[i];
		else
			pos->sell_orders = &all[i];
	}
	*nunits_out = npos;
	return units;
}

static Datum
margin_datum(FunctionCallInfo fcinfo, const MarginState *st)
{
	TupleDesc	tupdesc;
	Datum		values[24];
	bool		nulls[24] = {false};
	PmMarginResult r = {0};
	bool		used = pm_state_used(st);
	const PmScenarioSet *set = used ? st->set : NULL;
	PmUnit	   *units = NULL;
	const PmSetView **views = NULL;
	int			nunits = 0;
	int			nscen = 0;
	int		   *order;
	Datum	   *names;
	double	   *margins;
	int			i;

	tupdesc = final_cache(fcinfo)->tupdesc;
	if (used)
		units = final_units(st, &nunits);
	order = palloc(sizeof(int) * Max(nunits, 1));
	names = palloc(sizeof(Datum) * Max(nunits, 1));
	margins = palloc(sizeof(double) * Max(nunits, 1));
	views = palloc(sizeof(PmSetView *) * Max(nunits, 1));
	for (i = 0; i < nunits; i++)
	{
		const PmScenarioSet *s = st->rules ? st->rules->sets[units[i].rule] : st->set;
		int			k;

		/*
		 * Units of one set (interned: one address) share one view:
		 * pm_margin_finalize_units compares views by address, and margins
		 * the units of a single set as one, the account P&L included (with
		 * a view per unit, a rulebook whose rules name the same set left
		 * the P&L vector unwritten).
		 */
		views[i] = NULL;
		for (k = 0; k < i && views[i] == NULL; k++)
			if ((st->rules ? st->rules->sets[units[k].rule] : st->set) == s)
				views[i] = views[k];
		if (views[i] == NULL)
		{
			PmSetView  *v = palloc(sizeof(PmSetView));

			*v = pm_set_view(s);
			views[i] = v;
		}
	}
	/* the account's P&L per scenario: when every unit has one set */
	if (set == NULL && nunits > 0)
	{
		set = st->rules->sets[units[0].rule];
		for (i = 1; i < nunits && set; i++)
			if (st->rules->sets[units[i].rule] != set)
				set = NULL;
	}
	nscen = set && nunits > 0 ? set->nscenarios : 0;

	r.unit_margin = palloc(sizeof(double) * Max(nunits, 1));
	r.unit_comp = palloc(sizeof(double) * Max(nunits, 1) * PM_COMP_N);
	r.unit_worst = palloc(sizeof(int) * Max(nunits, 1));
	r.pnl = palloc(sizeof(double) * Max(set ? set->nscenarios : 0, 1));
	r.alloc = alloc_huge;
	r.tick = interrupt_tick;
	r.tick_arg = NULL;
	if (used && (set != NULL || nunits > 0))
	{
		if (st->rules == NULL)
		{
			PmSetView	view = pm_set_view(st->set);

			pm_margin_finalize(&view, units, nunits, &r);
		}
		else
			pm_margin_finalize_units(views, units, nunits, &r);
		tail_check(&r);
	}
	else
	{
		memset(&r, 0, offsetof(PmMarginResult, unit_margin));
		r.var = r.es = r.floor_statistic = r.apc_buffer = r.worst_quantile = NAN;
		r.worst_scenario = r.worst_unit = -1;
	}

	for (i = 0; i < nunits; i++)
		order[i] = i;
	if (nunits > 1)
		qsort_arg(order, nunits, sizeof(int), unit_order, units);
	for (i = 0; i < nunits; i++)
	{
		names[i] = CStringGetTextDatum(unit_name(&units[order[i]]));
		margins[i] = r.unit_margin[order[i]];
	}

	if (nunits == 0)
		nulls[0] = true;
	else if (r.fx_to_usd || !units[0].inverse)
		values[0] = CStringGetTextDatum("USD");
	else
		values[0] = CStringGetTextDatum(units[0].underlying);
	values[1] = Float8GetDatum(r.initial);
	values[2] = Float8GetDatum(r.maintenance);
	values[3] = Float8GetDatum(r.scan);
	values[4] = Float8GetDatum(r.short_option_minimum);
	values[5] = Float8GetDatum(r.net_option_value);
	values[6] = Float8GetDatum(r.per_contract_minimum);
	values[7] = Float8GetDatum(r.option_contingency);
	values[8] = Float8GetDatum(r.futures_contingency);
	values[9] = Float8GetDatum(r.roll_shock);
	values[10] = Float8GetDatum(r.basis_risk);
	values[11] = Float8GetDatum(r.minimum_charge);
	values[12] = Float8GetDatum(r.cross_offset);
	for (i = 1; i <= 12; i++)
		finite_field(i, DatumGetFloat8(values[i]));
	if (r.worst_unit >= 0)
	{
		const char *label = scenario_label(fcinfo, st->rules ? st->rules->sets[units[r.worst_unit].rule]
										   : st->set, r.worst_scenario);

		values[13] = Int32GetDatum(r.worst_scenario + 1);
		if (!isnan(r.worst_quantile))
			label = psprintf("%s (the %s quantile)", label, float8out_internal(r.worst_quantile));
		values[14] = CStringGetTextDatum(label);
		values[15] = CStringGetTextDatum(unit_name(&units[r.worst_unit]));
	}
	else
		nulls[13] = nulls[14] = nulls[15] = true;
	values[16] = PointerGetDatum(construct_array(names, nunits, TEXTOID, -1, false, TYPALIGN_INT));
	for (i = 0; i < nunits; i++)
		finite_field(17, margins[i]);
	values[17] = PointerGetDatum(pm_float8_array(margins, nunits));
	/* a rulebook whose units have different sets has no account P&L vector */
	if (nunits > 0 && set == NULL)
		nulls[18] = true;
	else
		values[18] = PointerGetDatum(pm_float8_array(r.pnl, nscen));
	/* var method only (NULL otherwise; absent from a 0.2.0 margin type, which has 19 fields) */
	values[19] = Float8GetDatum(r.var);
	values[20] = Float8GetDatum(r.es);
	values[21] = Float8GetDatum(r.floor_statistic);
	values[22] = Float8GetDatum(r.apc_buffer);
	for (i = 19; i < 23; i++)
	{
		nulls[i] = isnan(DatumGetFloat8(values[i]));
		if (!nulls[i])
			finite_field(i, DatumGetFloat8(values[i]));
	}
	/* the per-unit breakdown (0.4.0's margin type; absent before) */
	if (tupdesc->natts >= 24)
		values[23] = units_datum(fcinfo, tupdesc, 23, st, units, nunits, order, &r, views);
	Assert(tupdesc->natts <= 24);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

PG_FUNCTION_INFO_V1(portmargin_margin_ffunc);
Datum
portmargin_margin_ffunc(PG_FUNCTION_ARGS)
{
	Datum		result = margin_datum(fcinfo, PG_ARGISNULL(0) ? NULL : (MarginState *) PG_GETARG_POINTER(0));

	pm_progress_agg_group(fcinfo);
	PG_RETURN_DATUM(result);
}

/* ---- margin_state values: merged and finalised ---- */

PG_FUNCTION_INFO_V1(portmargin_margin_merge_sfunc);
Datum
portmargin_margin_merge_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	MarginState *dst = PG_ARGISNULL(0) ? NULL : (MarginState *) PG_GETARG_POINTER(0);
	bytea	   *b;
	MarginState *src;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "portmargin_margin_merge_sfunc called in non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (dst == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(dst);
	}
	b = PG_GETARG_BYTEA_PP(1);
	src = pm_deserialize_state(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), CurrentMemoryContext, NULL);
	if (dst == NULL)
		dst = pm_state_create(aggctx, NULL);
	dst = combine_into(pm_fn_set_cache(fcinfo), dst, src, aggctx);
	PG_RETURN_POINTER(dst);
}

PG_FUNCTION_INFO_V1(portmargin_finalize_margin);
Datum
portmargin_finalize_margin(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);

	PG_RETURN_DATUM(margin_datum(fcinfo, pm_deserialize_state(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b),
															  CurrentMemoryContext, NULL)));
}
