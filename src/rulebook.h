/*
 * rulebook.h
 *	  The portmargin.rulebook type: which scenario set (margin method and
 *	  parameters) applies to each risk unit (underlying, settlement).
 *
 * A rule's key is an underlying name or '*' (any) and a settlement, linear,
 * inverse or '*'.  A unit takes the most specific rule that matches it:
 * (underlying, settlement), then (underlying, *), then (*, settlement), then
 * (*, *), the default; no two rules have the same key.  A plain scenario set
 * is the rulebook whose only rule is (*, *).
 *
 * Layout (version 1): header, nrules PmRule, then the names (NUL-terminated)
 * and the scenario sets (whole varlena values, 8-byte aligned), at offsets
 * from the start of the value.  Rules are sorted by key, so equal rulebooks
 * are equal byte for byte.
 */
#ifndef PORTMARGIN_RULEBOOK_H
#define PORTMARGIN_RULEBOOK_H

#include "postgres.h"
#include "fmgr.h"

#include "scenario.h"

#define PM_RULEBOOK_VERSION 1
#define PM_MAX_RULES 1000

/* a rule's settlement */
#define PM_RULE_ANY 0
#define PM_RULE_LINEAR 1
#define PM_RULE_INVERSE 2

typedef struct PmRule
{
	int32		underlying;		/* offset of the name; 0 = any */
	int32		name;			/* offset of the rule's name; 0 = none */
	int32		set;			/* offset of the scenario set */
	int16		settlement;		/* PM_RULE_* */
	int16		pad;
} PmRule;

typedef struct PmRulebook
{
	int32		vl_len_;		/* varlena header */
	int16		version;
	int16		nrules;
	int32		pad;
	PmRule		rules[FLEXIBLE_ARRAY_MEMBER];
} PmRulebook;

#define DatumGetRulebook(d) ((PmRulebook *) PG_DETOAST_DATUM(d))
#define PG_GETARG_RULEBOOK(n) DatumGetRulebook(PG_GETARG_DATUM(n))

static inline const PmScenarioSet *
pm_rule_set(const PmRulebook *rb, const PmRule *r)
{
	return (const PmScenarioSet *) ((const char *) rb + r->set);
}

/* NULL for '*' */
static inline const char *
pm_rule_underlying(const PmRulebook *rb, const PmRule *r)
{
	return r->underlying ? (const char *) rb + r->underlying : NULL;
}

/* "" when the rule has no name */
static inline const char *
pm_rule_name(const PmRulebook *rb, const PmRule *r)
{
	return r->name ? (const char *) rb + r->name : "";
}

/* the rule of a unit (underlying name of len bytes), or NULL when none matches */
extern const PmRule *pm_rulebook_match(const PmRulebook *rb, const char *underlying, int len, bool inverse);

/* the same, or ERROR 22023 naming the unit */
extern const PmRule *pm_rulebook_rule(const PmRulebook *rb, const char *underlying, int len, bool inverse);

/* a rulebook whose only rule, (*, *), is set (named name, may be NULL) */
extern PmRulebook *pm_rulebook_of_set(const PmScenarioSet *set, const char *name);

/* validates a value read from disk or the wire (ERROR 22P03 / XX001 on damage) */
extern void pm_check_rulebook(const PmRulebook *rb, Size size);

/* the key of a rule as text: BTC/inverse, * / linear, ... */
extern char *pm_rule_key(const PmRulebook *rb, const PmRule *r);

#endif							/* PORTMARGIN_RULEBOOK_H */
