/*
 * span_params.c
 *	  The span_parameters type: a JSON document of published SPAN
 *	  parameters (doc/span.md), checked when made and kept with a hash of
 *	  its bytes; its reading into span.c's PmSpanParams, and the cache that
 *	  reads it once per query (span_glue.h).
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "span.h"
#include "span_glue.h"

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
	int			i;

	*out = palloc0(sizeof(PmSpanTier) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		char	   *p = psprintf("%s.%s[%d]", path, key, i);
		JsonbContainer *t = jb_object_at(a, i, p);
		PmSpanTier *tier = &(*out)[i];

		tier->tier = jb_int(t, "tier", p, true, 0);
		tier->start = jb_int(t, "start", p, false, 0);
		tier->end = jb_int(t, "end", p, false, 0);
		if ((tier->start && !pm_span_valid_month(tier->start)) || (tier->end && !pm_span_valid_month(tier->end)))
			param_error(p, "start %d or end %d is not a month CCYYMM", tier->start, tier->end);
		if (tier->start && tier->end && tier->start > tier->end)
			param_error(p, "start %d is after end %d", tier->start, tier->end);
		if (pm_span_tier_index(*out, i, tier->tier) >= 0)
			param_error(p, "tier %d is defined twice", tier->tier);
	}
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
		c->limit_option_value = jb_bool(o, "limit_option_value", cpath, false);
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
				if (pm_span_tier_index(c->intra_tiers, c->nintra_tiers, x->tier[l]) < 0)
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
			if (!pm_span_valid_month(c->spot[k].month))
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


void
span_params_identity(Datum arg, Size *size, uint64 *hash)
{
	const SpanParamsValue *v = (const SpanParamsValue *) PG_DETOAST_DATUM(arg);

	span_params_doc(v);
	*size = VARSIZE(v);
	*hash = v->hash;
}

/*
 * pc's parameters made those of arg (a span_parameters datum as passed:
 * plain, compressed or a TOAST pointer).  A document whose bytes (or, when
 * the argument is large, whose size and hash) match the last one is not
 * read again.
 */
void
span_params_lookup(SpanParamsCache *pc, Datum arg)
{
	const char *raw = DatumGetPointer(arg);
	Size		rawlen = VARSIZE_ANY(raw);
	const SpanParamsValue *v;
	MemoryContext old;

	if (pc->params && pc->raw && pc->rawlen == rawlen && memcmp(pc->raw, raw, rawlen) == 0)
		return;
	v = (const SpanParamsValue *) PG_DETOAST_DATUM(arg);
	if (pc->params == NULL || pc->size != VARSIZE(v) || pc->hash != v->hash)
	{
		Jsonb	   *doc = span_params_doc(v);
		int			i;

		if (pc->cxt)
			MemoryContextDelete(pc->cxt);
		pc->params = NULL;
		pc->raw = NULL;
		pc->cxt = AllocSetContextCreate(pc->parent, "span parameters", ALLOCSET_DEFAULT_SIZES);
		old = MemoryContextSwitchTo(pc->cxt);
		pc->params = span_params_parse(doc);
		pc->cc_text = palloc(sizeof(Datum) * pc->params->ncc);
		pc->currency_text = palloc(sizeof(Datum) * pc->params->ncc);
		for (i = 0; i < pc->params->ncc; i++)
		{
			pc->cc_text[i] = CStringGetTextDatum(pc->params->cc[i].cc);
			pc->currency_text[i] = CStringGetTextDatum(pc->params->cc[i].currency);
		}
		MemoryContextSwitchTo(old);
		pc->size = VARSIZE(v);
		pc->hash = v->hash;
	}
	/* remember the argument's own bytes for the next call */
	if (rawlen <= SPAN_RAW_MAX)
	{
		pc->raw = pc->raw && pc->rawlen >= rawlen ? pc->raw : MemoryContextAlloc(pc->cxt, rawlen);
		memcpy(pc->raw, raw, rawlen);
		pc->rawlen = rawlen;
	}
	else
		pc->raw = NULL;
}
