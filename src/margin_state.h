/*
 * margin_state.h
 *	  The portfolio_margin aggregate's state (MarginState): kept and folded
 *	  by margin_agg.c, written and read by margin_state.c (its wire format,
 *	  the margin_state type and parallel workers' partial states), with the
 *	  per-call-site cache of scenario sets both use.
 */
#ifndef PORTMARGIN_MARGIN_STATE_H
#define PORTMARGIN_MARGIN_STATE_H

#include "postgres.h"
#include "fmgr.h"

#include "margin.h"
#include "rulebook.h"
#include "scenario.h"

/*
 * A rulebook as states use it: interned per call site (SetCache), with each
 * rule's scenario set interned there too, so that units of one rule in two
 * states share a set pointer.
 */
typedef struct PmRules
{
	const PmRulebook *rb;
	int			nrules;
	const PmScenarioSet **sets; /* [nrules], rule k's set */
} PmRules;

typedef struct MarginState
{
	/*
	 * NULL until the first row.  Shared, not copied: it points into a
	 * query-lifetime SetCache (or, for a state deserialised on its own, into
	 * the state's memory), so a state costs no copy of its scenario set.
	 */
	const PmScenarioSet *set;
	/*
	 * A state of a rulebook with more than a default rule: set is NULL and
	 * each unit is margined under rules->sets[unit.rule] (unit.nscen
	 * scenarios).  NULL otherwise: every unit under set.
	 */
	const PmRules *rules;
	int			nunits;
	int			max_units;
	int			last_unit;
	PmUnit	   *units;
	/* units[i]'s positions netted per instrument (NULL until the first); see margin_agg.c */
	struct UnitHoldings *holdings;
	MemoryContext mcxt;			/* where the state lives */
} MarginState;

/*
 * Scenario sets interned per call site: one copy of each distinct set, in
 * fn_mcxt (alive for the whole query, longer than any aggregate state that
 * points to it).  Two sets from one cache are equal iff their pointers are.
 * last_image is the serialised form of the set deserialisation last read,
 * so a stream of partial states with the same set parses it once.
 */
typedef struct SetCache
{
	MemoryContext mcxt;
	int			n;
	int			max;
	PmScenarioSet **sets;
	int			nrules;
	int			maxrules;
	PmRules   **rules;
	const PmRules *last_rules;	/* the rulebook deserialisation last read, checked */
	char	   *last_image;
	int			last_len;
	const PmScenarioSet *last_set;
} SetCache;

/*
 * Joint sets by their content hash (pm_var_same_set), the others byte for
 * byte; b is checked (a may come from a row).  Inline: the transition
 * function asks for every row.
 */
static inline bool
pm_sets_equal(const PmScenarioSet *a, const PmScenarioSet *b)
{
	if (a == b)
		return true;
	if (a->method == b->method && pm_set_method(b)->joint)
		return pm_var_same_set(a, b);
	return VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

/* margin_state.c: the set cache */
extern const PmScenarioSet *pm_intern_set(SetCache *sc, const PmScenarioSet *s);
extern SetCache *pm_fn_set_cache(FunctionCallInfo fcinfo);
extern const PmRules *pm_intern_rules(SetCache *sc, const PmRulebook *rb);

/* a state has rows (a set or a rulebook) */
static inline bool
pm_state_used(const MarginState *st)
{
	return st != NULL && (st->set != NULL || st->rules != NULL);
}

/*
 * margin_state.c: a serialised state read into mcxt; with a cache its set
 * is interned there (and outlives the state), else allocated in mcxt.
 * Corrupt input is ERROR 22P03.
 */
extern MarginState *pm_deserialize_state(const char *data, int len, MemoryContext mcxt, SetCache *cache);

/* margin_agg.c: what a state is built and read with */
extern MarginState *pm_state_create(MemoryContext mcxt, const PmScenarioSet *set);
extern PmUnit *pm_state_unit(MarginState *st, const char *name, int len, int inverse, int side);
extern void pm_unit_index_price(PmUnit *u, double index);
extern void pm_bucket_add(MemoryContext mcxt, PmBucketSet *bs, double t, double x, double value);
extern void pm_materialise_state(MarginState *st);

#endif							/* PORTMARGIN_MARGIN_STATE_H */
