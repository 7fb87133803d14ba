/*
 * rulebook.c
 *	  The portmargin.rulebook type (rulebook.h): building one from rules,
 *	  matching a risk unit to its rule, text and binary I/O, and the SQL
 *	  functions rulebook(), rules() and rulebook_preset().
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "method.h"
#include "rulebook.h"
#include "sqlargs.h"

/* the scenario_set type's text I/O (scenario.c) */
extern Datum portmargin_scenario_set_in(PG_FUNCTION_ARGS);
extern Datum portmargin_scenario_set_out(PG_FUNCTION_ARGS);

/* one rule while a rulebook is built */
typedef struct RuleIn
{
	char	   *underlying;		/* NULL = any */
	int			settlement;		/* PM_RULE_* */
	char	   *name;			/* NULL = none */
	const PmScenarioSet *set;
} RuleIn;

static const char *const settlement_names[] = {"*", "linear", "inverse"};

static int
settlement_arg(const char *s, const char *argname)
{
	int			i;

	for (i = 0; i < 3; i++)
		if (strcmp(s, settlement_names[i]) == 0)
			return i;
	pm_arg_error(argname, psprintf("\"%s\" is not a settlement (linear, inverse or * for any)", s));
}

/* key order: named underlyings by name, then '*'; within one, linear, inverse, any */
static int
rule_in_cmp(const void *a, const void *b)
{
	const RuleIn *x = a,
			   *y = b;
	int			c;

	if ((x->underlying == NULL) != (y->underlying == NULL))
		return x->underlying == NULL ? 1 : -1;
	if (x->underlying && (c = strcmp(x->underlying, y->underlying)) != 0)
		return c;
	return (x->settlement == PM_RULE_ANY ? 3 : x->settlement) - (y->settlement == PM_RULE_ANY ? 3 : y->settlement);
}

static char *
key_text(const char *underlying, int settlement)
{
	return psprintf("%s/%s", underlying ? underlying : "*", settlement_names[settlement]);
}

/*
 * Pack rules into a value.  ERROR 22023 (naming argname) for two rules with
 * one key, and for a joint (var) set among several rules: VaR and expected
 * shortfall need every unit's P&L in the same scenarios, so a joint set
 * must margin the whole group.
 */
static PmRulebook *
build_rulebook(RuleIn *rules, int n, const char *argname)
{
	Size		size;
	int			i;
	PmRulebook *rb;
	char	   *p;

	if (n < 1)
		pm_arg_error(argname, "a rulebook needs at least one rule");
	if (n > PM_MAX_RULES)
		pm_arg_error(argname, psprintf("%d rules; at most %d", n, PM_MAX_RULES));
	qsort(rules, n, sizeof(RuleIn), rule_in_cmp);
	size = MAXALIGN(offsetof(PmRulebook, rules) + sizeof(PmRule) * n);
	for (i = 0; i < n; i++)
	{
		if (i > 0 && rule_in_cmp(&rules[i - 1], &rules[i]) == 0)
			pm_arg_error(argname, psprintf("two rules for %s", key_text(rules[i].underlying, rules[i].settlement)));
		if (pm_method(rules[i].set->method) && pm_method(rules[i].set->method)->joint && n > 1)
			pm_arg_error(argname, psprintf("the rule for %s is a joint (var) scenario set, which must be the only rule: "
										   "VaR and expected shortfall need every unit in the same scenarios",
										   key_text(rules[i].underlying, rules[i].settlement)));
		if (rules[i].underlying)
			size += strlen(rules[i].underlying) + 1;
		if (rules[i].name)
			size += strlen(rules[i].name) + 1;
	}
	size = MAXALIGN(size);
	for (i = 0; i < n; i++)
		size += MAXALIGN(VARSIZE(rules[i].set));
	if (!AllocSizeIsValid(size))
		pm_arg_error(argname, "the rulebook would exceed 1 GB");
	rb = palloc0(size);
	SET_VARSIZE(rb, size);
	rb->version = PM_RULEBOOK_VERSION;
	rb->nrules = n;
	p = (char *) rb + MAXALIGN(offsetof(PmRulebook, rules) + sizeof(PmRule) * n);
	for (i = 0; i < n; i++)
	{
		rb->rules[i].settlement = rules[i].settlement;
		if (rules[i].underlying)
		{
			rb->rules[i].underlying = p - (char *) rb;
			strcpy(p, rules[i].underlying);
			p += strlen(p) + 1;
		}
		if (rules[i].name)
		{
			rb->rules[i].name = p - (char *) rb;
			strcpy(p, rules[i].name);
			p += strlen(p) + 1;
		}
	}
	p = (char *) rb + MAXALIGN(p - (char *) rb);
	for (i = 0; i < n; i++)
	{
		rb->rules[i].set = p - (char *) rb;
		pm_copy_interruptible(p, rules[i].set, VARSIZE(rules[i].set));
		p += MAXALIGN(VARSIZE(rules[i].set));
	}
	return rb;
}

const PmRule *
pm_rulebook_match(const PmRulebook *rb, const char *underlying, int len, bool inverse)
{
	const PmRule *best = NULL;
	int			best_rank = 0,
				i;

	for (i = 0; i < rb->nrules; i++)
	{
		const PmRule *r = &rb->rules[i];
		const char *u = pm_rule_underlying(rb, r);
		int			rank;

		if (r->settlement != PM_RULE_ANY && r->settlement != (inverse ? PM_RULE_INVERSE : PM_RULE_LINEAR))
			continue;
		if (u && ((int) strlen(u) != len || memcmp(u, underlying, len) != 0))
			continue;
		rank = (u ? 2 : 0) + (r->settlement != PM_RULE_ANY ? 1 : 0) + 1;
		if (rank > best_rank)
		{
			best = r;
			best_rank = rank;
		}
	}
	return best;
}

const PmRule *
pm_rulebook_rule(const PmRulebook *rb, const char *underlying, int len, bool inverse)
{
	const PmRule *r = pm_rulebook_match(rb, underlying, len, inverse);

	if (r == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"rules\": the rulebook has no rule for risk unit %.*s/%s",
						len, underlying, inverse ? "inverse" : "linear"),
				 errdetail("A unit takes the rule of (underlying, settlement), (underlying, *), (*, settlement) or (*, *); this rulebook has none of them."),
				 errhint("Add a rule for the unit or a default rule */*.")));
	return r;
}

PmRulebook *
pm_rulebook_of_set(const PmScenarioSet *set, const char *name)
{
	RuleIn		r;

	r.underlying = NULL;
	r.settlement = PM_RULE_ANY;
	r.name = name ? pstrdup(name) : NULL;
	r.set = set;
	return build_rulebook(&r, 1, "scenarios");
}

char *
pm_rule_key(const PmRulebook *rb, const PmRule *r)
{
	return key_text(pm_rule_underlying(rb, r), r->settlement);
}

static void
corrupt(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid rulebook value: %s", what)));
}

/* a NUL-terminated string at off, within [lo, size) */
static void
check_string(const PmRulebook *rb, int32 off, Size lo, Size size)
{
	if (off < 0 || (Size) off < lo || (Size) off >= size ||
		memchr((const char *) rb + off, '\0', size - off) == NULL)
		corrupt("a name lies outside the value");
}

void
pm_check_rulebook(const PmRulebook *rb, Size size)
{
	Size		head;
	int			i;

	if (size < offsetof(PmRulebook, rules) || rb->version != PM_RULEBOOK_VERSION ||
		rb->nrules < 1 || rb->nrules > PM_MAX_RULES)
		corrupt("bad header");
	head = MAXALIGN(offsetof(PmRulebook, rules) + sizeof(PmRule) * rb->nrules);
	if (head > size)
		corrupt("the rules do not fit the value");
	for (i = 0; i < rb->nrules; i++)
	{
		const PmRule *r = &rb->rules[i];
		const PmScenarioSet *s;

		if (r->settlement < PM_RULE_ANY || r->settlement > PM_RULE_INVERSE)
			corrupt("bad settlement");
		if (r->underlying)
			check_string(rb, r->underlying, head, size);
		if (r->name)
			check_string(rb, r->name, head, size);
		if (r->set < 0 || (Size) r->set < head || r->set % MAXIMUM_ALIGNOF != 0 ||
			(Size) r->set + VARHDRSZ > size)
			corrupt("a scenario set lies outside the value");
		s = pm_rule_set(rb, r);
		if (VARATT_IS_EXTENDED(s) || VARSIZE(s) > size - r->set)
			corrupt("a scenario set lies outside the value");
		pm_check_scenario_set(s, VARSIZE(s));
	}
}

/* ---- text form ---- */

/*
 * rulebook(KEY ["NAME"]: SET; ...), KEY = UNDERLYING/SETTLEMENT with '*' for
 * any; UNDERLYING bare ([A-Za-z0-9_.-]) or double-quoted; SET the text form of
 * a scenario set.  Output always quotes names and leaves bare underlyings bare.
 */
static bool
is_bare(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char) *s) || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static void
append_quoted(StringInfo buf, const char *s)
{
	appendStringInfoChar(buf, '"');
	for (; *s; s++)
	{
		if (*s == '"')
			appendStringInfoChar(buf, '"');
		appendStringInfoChar(buf, *s);
	}
	appendStringInfoChar(buf, '"');
}

static char *
rulebook_to_text(const PmRulebook *rb)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "rulebook(");
	for (i = 0; i < rb->nrules; i++)
	{
		const PmRule *r = &rb->rules[i];
		const char *u = pm_rule_underlying(rb, r);

		if (i > 0)
			appendStringInfoString(&buf, "; ");
		if (u == NULL)
			appendStringInfoChar(&buf, '*');
		else if (is_bare(u) && strcmp(u, "*") != 0)
			appendStringInfoString(&buf, u);
		else
			append_quoted(&buf, u);
		appendStringInfo(&buf, "/%s", settlement_names[r->settlement]);
		if (r->name)
		{
			appendStringInfoChar(&buf, ' ');
			append_quoted(&buf, pm_rule_name(rb, r));
		}
		appendStringInfoString(&buf, ": ");
		appendStringInfoString(&buf, DatumGetCString(DirectFunctionCall1(portmargin_scenario_set_out,
																		 PointerGetDatum(pm_rule_set(rb, r)))));
	}
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

static void
syntax_error(const char *input, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type rulebook: %s", what),
			 errdetail("Input: \"%s\".", input),
			 errhint("The form is rulebook(BTC/inverse \"name\": deribit(...); */*: span(...)).")));
}

static const char *
skip_space(const char *p)
{
	while (isspace((unsigned char) *p))
		p++;
	return p;
}

/* a bare word or a double-quoted string */
static const char *
read_name(const char *input, const char *p, char **out)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (*p == '"')
	{
		for (p++;; p++)
		{
			if (*p == '\0')
				syntax_error(input, "unterminated quoted name");
			if (*p == '"')
			{
				if (p[1] != '"')
					break;
				p++;
			}
			appendStringInfoChar(&buf, *p);
		}
		p++;
	}
	else
		for (; isalnum((unsigned char) *p) || *p == '_' || *p == '.' || *p == '-' || *p == '*'; p++)
			appendStringInfoChar(&buf, *p);
	*out = buf.data;
	return p;
}

/* the text of a scenario set: a word and a parenthesised list, quotes and brackets balanced */
static const char *
read_set_text(const char *input, const char *p, char **out)
{
	const char *start = p;
	int			depth = 0;
	char		quote = 0;

	for (; *p; p++)
	{
		if (quote)
		{
			if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '"' || *p == '\'')
			quote = *p;
		else if (*p == '(' || *p == '{' || *p == '[')
			depth++;
		else if (*p == ')' || *p == '}' || *p == ']')
		{
			if (depth == 0)
				break;
			if (--depth == 0 && *p == ')')
			{
				p++;
				break;
			}
		}
		else if (*p == ';' && depth == 0)
			break;
	}
	if (quote || depth != 0 || p == start)
		syntax_error(input, "a scenario set is not closed");
	*out = pnstrdup(start, p - start);
	return p;
}

static PmRulebook *
rulebook_from_text(const char *input)
{
	const char *p = skip_space(input);
	RuleIn	   *rules = palloc(sizeof(RuleIn) * 8);
	int			n = 0,
				max = 8;

	if (strncmp(p, "rulebook", 8) != 0)
		syntax_error(input, "expected \"rulebook(\"");
	p = skip_space(p + 8);
	if (*p != '(')
		syntax_error(input, "expected \"(\"");
	p = skip_space(p + 1);
	while (*p != ')')
	{
		char	   *u,
				   *s,
				   *name = NULL,
				   *set_text;
		RuleIn	   *r;

		CHECK_FOR_INTERRUPTS();
		if (n == max)
		{
			max *= 2;
			rules = repalloc(rules, sizeof(RuleIn) * max);
		}
		r = &rules[n++];
		p = read_name(input, p, &u);
		if (*u == '\0' || *p != '/')
			syntax_error(input, "expected UNDERLYING/SETTLEMENT");
		p = read_name(input, p + 1, &s);
		r->underlying = strcmp(u, "*") == 0 ? NULL : u;
		r->settlement = settlement_arg(s, "rulebook");
		p = skip_space(p);
		if (*p == '"')
		{
			p = skip_space(read_name(input, p, &name));
		}
		r->name = name;
		if (*p != ':')
			syntax_error(input, "expected \":\" after a rule's key");
		p = skip_space(read_set_text(input, skip_space(p + 1), &set_text));
		r->set = DatumGetScenarioSet(DirectFunctionCall1(portmargin_scenario_set_in, CStringGetDatum(set_text)));
		if (*p == ';')
			p = skip_space(p + 1);
		else if (*p != ')')
			syntax_error(input, "expected \";\" or \")\" after a scenario set");
	}
	p = skip_space(p + 1);
	if (*p != '\0')
		syntax_error(input, "text after the closing parenthesis");
	return build_rulebook(rules, n, "rulebook");
}

PG_FUNCTION_INFO_V1(portmargin_rulebook_in);
Datum
portmargin_rulebook_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(rulebook_from_text(PG_GETARG_CSTRING(0)));
}

PG_FUNCTION_INFO_V1(portmargin_rulebook_out);
Datum
portmargin_rulebook_out(PG_FUNCTION_ARGS)
{
	PmRulebook *rb = PG_GETARG_RULEBOOK(0);

	pm_check_rulebook(rb, VARSIZE(rb));
	PG_RETURN_CSTRING(rulebook_to_text(rb));
}

/* binary form: a version byte and the text form, rebuilt and validated on receipt */
PG_FUNCTION_INFO_V1(portmargin_rulebook_recv);
Datum
portmargin_rulebook_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	const char *txt;
	int			len;

	if (buf->cursor >= buf->len || pq_getmsgbyte(buf) != PM_RULEBOOK_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported rulebook binary version")));
	txt = buf->data + buf->cursor;
	len = strnlen(txt, buf->len - buf->cursor);
	if (len != buf->len - buf->cursor - 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary rulebook: the text form must end with the one NUL byte of the value")));
	buf->cursor = buf->len;
	PG_RETURN_POINTER(rulebook_from_text(pg_client_to_server(txt, len)));
}

PG_FUNCTION_INFO_V1(portmargin_rulebook_send);
Datum
portmargin_rulebook_send(PG_FUNCTION_ARGS)
{
	PmRulebook *rb = PG_GETARG_RULEBOOK(0);
	StringInfoData buf;

	pm_check_rulebook(rb, VARSIZE(rb));
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, PM_RULEBOOK_VERSION);
	pq_sendstring(&buf, rulebook_to_text(rb));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(portmargin_rulebook_eq);
Datum
portmargin_rulebook_eq(PG_FUNCTION_ARGS)
{
	PmRulebook *a = PG_GETARG_RULEBOOK(0);
	PmRulebook *b = PG_GETARG_RULEBOOK(1);

	PG_RETURN_BOOL(VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0);
}

/* ---- SQL: building and reading rulebooks ---- */

static char **
text_elems(ArrayType *arr, const char *argname, int *n, bool nulls_ok)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **v;
	int			i;

	if (ARR_NDIM(arr) > 1)
		pm_arg_error(argname, "the array must have one dimension");
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	v = palloc(sizeof(char *) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		if (nulls[i] && !nulls_ok)
			pm_arg_error(argname, psprintf("element %d is NULL", i + 1));
		v[i] = nulls[i] ? NULL : TextDatumGetCString(elems[i]);
	}
	return v;
}

/*
 * rulebook(underlyings text[], settlements text[], scenarios scenario_set[],
 *          names text[] DEFAULT NULL) -> rulebook
 * Rule k applies scenarios[k] to (underlyings[k], settlements[k]); '*' for
 * any; names[k] names the rule in reports (NULL: none).
 */
PG_FUNCTION_INFO_V1(portmargin_rulebook_build);
Datum
portmargin_rulebook_build(PG_FUNCTION_ARGS)
{
	static const char *const argnames[] = {"underlyings", "settlements", "scenarios", "names"};
	char	  **u,
			  **s,
			  **names = NULL;
	Datum	   *sets;
	bool	   *setnulls;
	int			nu,
				ns,
				nsets,
				nn = 0,
				i;
	ArrayType  *setarr;
	Oid			settype;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	RuleIn	   *rules;

	for (i = 0; i < 3; i++)
		if (PG_ARGISNULL(i))
			pm_null_arg_error(argnames[i], "");
	u = text_elems(PG_GETARG_ARRAYTYPE_P(0), "underlyings", &nu, false);
	s = text_elems(PG_GETARG_ARRAYTYPE_P(1), "settlements", &ns, false);
	setarr = PG_GETARG_ARRAYTYPE_P(2);
	if (ARR_NDIM(setarr) > 1)
		pm_arg_error("scenarios", "the array must have one dimension");
	settype = ARR_ELEMTYPE(setarr);
	get_typlenbyvalalign(settype, &typlen, &typbyval, &typalign);
	deconstruct_array(setarr, settype, typlen, typbyval, typalign, &sets, &setnulls, &nsets);
	if (!PG_ARGISNULL(3))
		names = text_elems(PG_GETARG_ARRAYTYPE_P(3), "names", &nn, true);
	if (ns != nu)
		pm_arg_error("settlements", psprintf("%d settlements for %d underlyings", ns, nu));
	if (nsets != nu)
		pm_arg_error("scenarios", psprintf("%d scenario sets for %d underlyings", nsets, nu));
	if (names && nn != nu)
		pm_arg_error("names", psprintf("%d names for %d underlyings", nn, nu));
	rules = palloc(sizeof(RuleIn) * Max(nu, 1));
	for (i = 0; i < nu; i++)
	{
		if (setnulls[i])
			pm_arg_error("scenarios", psprintf("element %d is NULL", i + 1));
		if (u[i][0] == '\0')
			pm_arg_error("underlyings", psprintf("element %d is empty (use * for any underlying)", i + 1));
		rules[i].underlying = strcmp(u[i], "*") == 0 ? NULL : u[i];
		rules[i].settlement = settlement_arg(s[i], "settlements");
		rules[i].name = names ? names[i] : NULL;
		rules[i].set = DatumGetScenarioSet(sets[i]);
		pm_check_scenario_set(rules[i].set, VARSIZE(rules[i].set));
	}
	PG_RETURN_POINTER(build_rulebook(rules, nu, "underlyings"));
}

/* rulebook(scenario_set): the rulebook whose only rule is (*, *) -- the cast */
PG_FUNCTION_INFO_V1(portmargin_rulebook_of_set);
Datum
portmargin_rulebook_of_set(PG_FUNCTION_ARGS)
{
	PmScenarioSet *s = PG_GETARG_SCENARIO_SET(0);

	pm_check_scenario_set(s, VARSIZE(s));
	PG_RETURN_POINTER(pm_rulebook_of_set(s, NULL));
}

/* rules(rulebook) -> TABLE (underlying text, settlement text, name text, scenarios scenario_set) */
PG_FUNCTION_INFO_V1(portmargin_rules);
Datum
portmargin_rules(PG_FUNCTION_ARGS)
{
	PmRulebook *rb = PG_GETARG_RULEBOOK(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < rb->nrules; i++)
	{
		const PmRule *r = &rb->rules[i];
		const char *u = pm_rule_underlying(rb, r);
		Datum		values[4];
		bool		nulls[4] = {false, false, r->name == 0, false};

		values[0] = CStringGetTextDatum(u ? u : "*");
		values[1] = CStringGetTextDatum(settlement_names[r->settlement]);
		values[2] = r->name ? CStringGetTextDatum(pm_rule_name(rb, r)) : (Datum) 0;
		values[3] = PointerGetDatum(pm_rule_set(rb, r));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * rule_for(rulebook, underlying text, settlement text) -> the scenario set a
 * unit takes; ERROR when no rule matches.
 */
PG_FUNCTION_INFO_V1(portmargin_rule_for);
Datum
portmargin_rule_for(PG_FUNCTION_ARGS)
{
	PmRulebook *rb = PG_GETARG_RULEBOOK(0);
	text	   *u = PG_GETARG_TEXT_PP(1);
	char	   *s = text_to_cstring(PG_GETARG_TEXT_PP(2));
	int			settlement = settlement_arg(s, "settlement");
	const PmRule *r;

	if (settlement == PM_RULE_ANY)
		pm_arg_error("settlement", "a unit is linear or inverse");
	r = pm_rulebook_rule(rb, VARDATA_ANY(u), VARSIZE_ANY_EXHDR(u), settlement == PM_RULE_INVERSE);
	PG_RETURN_POINTER(pm_rule_set(rb, r));
}

/*
 * rulebook_preset(name) -> the rulebook of the rows of rulebook_rules named
 * name, each rule the scenario_presets row it names.  STABLE; looked up once
 * per call site and statement, as preset() is.
 */
typedef struct RulebookCache
{
	char	   *name;
	PmRulebook *value;
} RulebookCache;

/* the query of rulebook_preset, prepared once per backend */
static PmKeptPlan rulebook_rules_plan;

PG_FUNCTION_INFO_V1(portmargin_rulebook_preset);
Datum
portmargin_rulebook_preset(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	RulebookCache *cache = (RulebookCache *) fcinfo->flinfo->fn_extra;
	const char *schema;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	RuleIn	   *rules;
	int			n,
				i;
	PmRulebook *rb;
	MemoryContext old;

	if (cache != NULL && strcmp(cache->name, name) == 0)
		PG_RETURN_POINTER(cache->value);

	schema = quote_identifier(get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid)));
	args[0] = PG_GETARG_DATUM(0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_plan(pm_kept_plan(&rulebook_rules_plan, fcinfo->flinfo->fn_oid,
									  "SELECT r.underlying, r.settlement, r.preset, p.scenarios "
									  "FROM %s.rulebook_rules r JOIN %s.scenario_presets p "
									  "ON p.name OPERATOR(pg_catalog.=) r.preset "
									  "WHERE r.rulebook OPERATOR(pg_catalog.=) $1",
									  2, 1, argtypes),
						 args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read %s.rulebook_rules", schema);
	n = (int) SPI_processed;
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown rulebook \"%s\"", name),
				 errhint("See SELECT DISTINCT rulebook FROM %s.rulebook_rules.", schema)));
	rules = palloc(sizeof(RuleIn) * n);
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *u = SPI_getvalue(tup, desc, 1);
		bool		isnull;

		rules[i].underlying = strcmp(u, "*") == 0 ? NULL : u;
		rules[i].settlement = settlement_arg(SPI_getvalue(tup, desc, 2), "settlement");
		rules[i].name = SPI_getvalue(tup, desc, 3);
		rules[i].set = DatumGetScenarioSet(SPI_getbinval(tup, desc, 4, &isnull));
	}
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	rb = build_rulebook(rules, n, "name");
	if (cache == NULL)
		cache = palloc0(sizeof(RulebookCache));
	else
	{
		pfree(cache->name);
		pfree(cache->value);
	}
	cache->name = pstrdup(name);
	cache->value = rb;
	fcinfo->flinfo->fn_extra = cache;
	MemoryContextSwitchTo(old);
	SPI_finish();
	PG_RETURN_POINTER(cache->value);
}
