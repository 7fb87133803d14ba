/*
 * span_file.c
 *	  portmargin.span_pa2_records(contents text): the CME SPAN risk parameter
 *	  file in the positional "expanded unpacked" format (PA2, file-format code
 *	  U2) split into one row per item (line, kind, fields jsonb), in file
 *	  order.  Pure positional parsing driven by the field tables below; no
 *	  catalog access.  Column numbers are 1-based and inclusive, as CME
 *	  publishes them (index of the layouts:
 *	  https://cmegroupclientsite.atlassian.net/wiki/spaces/pubspan/pages/46301203/Risk+Parameter+File+Layouts+for+the+Positional+Formats ).
 *
 *	  Numbers are copied digit for digit into the JSON text (implied decimal
 *	  point inserted, leading zeros dropped, the separate sign byte applied)
 *	  and read by jsonb_in, which builds them with numeric_in: exact decimals,
 *	  never a double.  Values are raw: no risk exponent or decimal locator is
 *	  applied (the loader does that).
 *
 *	  Short lines: records 0, B and 81-84 must reach the last column of their
 *	  last field.  Records 2, S, 3, 4, 6 and C end with optional repeating
 *	  blocks (products, tiers, delivery months, legs) and a few trailing
 *	  fields: such a line must reach the end of its fixed head; after that it
 *	  may end between two blocks or two trailing fields, and whatever lies
 *	  beyond its end counts as blank.  A line that ends inside a field or
 *	  inside a block is truncated (ERROR 22P02).  Trailing blanks do count as
 *	  characters: a line is never right-trimmed.
 *
 *	  Lines are split on \n with one trailing \r dropped; blank lines are
 *	  skipped and still counted; a tab or any byte outside printable ASCII is
 *	  an error (columns are bytes).  The first record must be "0 "; a later
 *	  "0 " (another exchange complex) gives another 'file' row.  A risk_array
 *	  row carries the line number of its 81 (83) and is emitted when the 82
 *	  (84) is read, so rows stay in file order.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

/* field kinds */
#define PA_TEXT		't'			/* trimmed; "" -> null */
#define PA_INT		'i'			/* digits, optional sign column; blank -> null */
#define PA_NUM		'n'			/* 9(n)V9(scale), optional sign column; blank -> null */
#define PA_MONTH	'm'			/* CCYYMM -> integer; blank or 000000 -> null */
#define PA_DATE		'd'			/* CCYYMMDD -> text 'YYYY-MM-DD' */
#define PA_CODE		'c'			/* one byte out of set; blank -> dflt */
#define PA_BOOL		'b'			/* one byte: in set -> true; in dflt -> false */
#define PA_SINT		's'			/* digits with an optional leading '-' inside the field ("-02"); blank -> null */

typedef struct PaField
{
	const char *name;			/* JSON key and the name in messages */
	int			first;			/* first column, 1-based */
	int			last;			/* last column, inclusive */
	char		kind;
	int			scale;			/* PA_NUM: digits after the implied point */
	int			sign;			/* column of the sign byte (+, -, blank), 0 none */
	bool		required;		/* blank is an error */
	const char *set;			/* PA_CODE: allowed bytes; PA_BOOL: true bytes (NULL: any not in dflt) */
	const char *dflt;			/* PA_CODE: JSON for blank (NULL: null); PA_BOOL: false bytes */
} PaField;

#define T(n, a, b)			{n, a, b, PA_TEXT, 0, 0, false, NULL, NULL}
#define I(n, a, b)			{n, a, b, PA_INT, 0, 0, false, NULL, NULL}
#define IS(n, a, b, s)		{n, a, b, PA_INT, 0, s, false, NULL, NULL}
#define N(n, a, b, sc)		{n, a, b, PA_NUM, sc, 0, false, NULL, NULL}
#define NS(n, a, b, sc, s)	{n, a, b, PA_NUM, sc, s, false, NULL, NULL}
#define NR(n, a, b, sc, s)	{n, a, b, PA_NUM, sc, s, true, NULL, NULL}
#define M(n, a, b)			{n, a, b, PA_MONTH, 0, 0, false, NULL, NULL}
#define D(n, a, b)			{n, a, b, PA_DATE, 0, 0, true, NULL, NULL}
#define C(n, a, set, dflt)	{n, a, a, PA_CODE, 0, 0, false, set, dflt}
#define CR(n, a, set)		{n, a, a, PA_CODE, 0, 0, true, set, NULL}
#define B(n, a, t, f)		{n, a, a, PA_BOOL, 0, 0, false, t, f}
#define LEN(a)				((int) lengthof(a))

/*
 * Record "0 ", exchange complex header.  Source: CME "Type 1 Standard" page
 * and the expanded layout in "Running procedures for PC-SPAN 4" (see
 * span_research digest); checked against a real record of cme.20190102.s.pa2.
 */
static const PaField rec0[] = {
	T("exchange_complex", 3, 8),
	D("business_date", 9, 16),
	CR("settlement_code", 17, "SI"),
	T("file_identifier", 18, 19),
	T("business_time", 20, 23),
	T("file_format", 36, 37),
};

/*
 * Record "2 ", combined commodity: [CS]/pubspan/pages/46104629/Type+2+-+Expanded
 * (CME).  Head, then up to 6 product blocks of 16 bytes from column 23.
 */
static const PaField rec2[] = {
	T("exchange", 3, 5),
	T("cc", 7, 12),
	I("risk_exponent", 13, 13),
	T("currency", 14, 16),
	C("option_style", 18, "PF", "\"P\""),
	B("limit_option_value", 19, "Y", "N "),
	T("combination_method", 20, 20),
};
static const PaField rec2_product[] = {
	T("product", 23, 32),
	T("product_type", 33, 35),
	IS("decimal_locator", 36, 36, 37),
};

/*
 * Record "S ", scanning tiers: [CS]/pubspan/pages/47087663/Type+S+-+Expanded+Format+and+Paris+Expanded
 * (CME).  Up to 5 tier blocks of 14 bytes from column 13.
 */
static const PaField recS[] = {
	T("cc", 3, 8),
	T("method", 9, 10),
	I("wfpr_method", 83, 83),
};
static const PaField recS_tier[] = {
	I("tier", 13, 14),
	M("start_month", 15, 20),
	M("end_month", 21, 26),
};

/*
 * Record "3 ", intra-commodity spread tiers and initial/maintenance ratios:
 * [CS]/pubspan/pages/46235696/Type+3+-+Expanded (CME).  Up to 4 tier blocks
 * of 14 bytes from column 11.
 */
static const PaField rec3[] = {
	T("cc", 3, 8),
	T("method", 9, 10),
	N("initial_ratio_member", 69, 72, 3),
	N("initial_ratio_hedger", 73, 76, 3),
	N("initial_ratio_speculator", 77, 80, 3),
};
static const PaField rec3_tier[] = {
	I("tier", 11, 12),
	M("start_month", 13, 18),
	M("end_month", 19, 24),
};

/*
 * Record "C ", tier-to-tier intra-commodity spreads.  NOT CONFIRMED: CME's
 * "Type C - Expanded" page was not found (searched 2026-12-03: CME's
 * pubspan pages for types 3, 6, E and S were found, not C).  The layout is
 * inferred from two public parsers and one example record:
 *   - cc 3-8; priority 11-12 (the Spheres importer reads it there,
 *     https://github.com/LasagniAndrea/Data/blob/6474304ebf7c566e3d8b3191a08fe20382ec8892/SpheresIO/MarketDataImport/Span.cs
 *     lines 1001-1006; a public Python/Cython PA2 reader also reads
 *     priority 11-12, number of legs 13-14, charge rate 15-21 and legs from
 *     22 in 7-byte slices up to column 77);
 *   - each 7-byte leg split 2/2/2/1 as rpolton/span-for-margin does
 *     (FixedFormat/CME.ExpandedFormat.fs line 25, commit bc79088f), read as
 *     leg number, tier number, delta/spread ratio, side A/B;
 *   - the example "C 06    1001030000100011401A021502B031601A" then reads as
 *     priority 1, 3 legs, rate 100, legs tier 14/15/16 with ratios 1/2/1 and
 *     sides A/B/A: a butterfly, which supports the split.
 * Columns 9-10 ("10" in the example, probably the method code) are not
 * read.  The charge rate is kept raw (9(7), no implied decimals; the Python
 * reader scales it differently, so the unit is an open question).  The
 * number of legs (13-14) is checked against the non-blank legs, so a
 * different real layout fails loudly instead of loading wrong spreads.
 */
static const PaField recC[] = {
	T("cc", 3, 8),
	I("priority", 11, 12),
	I("legs", 13, 14),
	N("rate", 15, 21, 0),
};
static const PaField recC_leg[] = {
	I("leg", 22, 23),
	I("tier", 24, 25),
	N("ratio", 26, 27, 0),
	CR("side", 28, "AB"),
};

/*
 * Record "4 ", delivery (spot) charges and short option minimum:
 * [CS]/pubspan/pages/47022084/Type+4+-+Expanded (CME).  With method 10, up
 * to 2 delivery-month blocks of 22 bytes from column 13 (month number
 * 13-14, not returned).
 */
static const PaField rec4[] = {
	T("cc", 3, 8),
	T("method", 9, 10),
	N("som_rate", 63, 69, 0),
	N("maint_factor_member", 70, 72, 2),
	N("maint_factor_hedger", 73, 75, 2),
	N("maint_factor_speculator", 76, 78, 2),
	C("som_method", 79, "12", NULL),
};
static const PaField rec4_month[] = {
	M("month", 15, 20),
	N("rate_consumed", 21, 27, 0),
	N("rate_remaining", 28, 34, 0),
};

/*
 * Record "6 ", inter-commodity spreads: [CS]/pubspan/pages/46071819/Type+6+-+Expanded
 * (CME).  Up to 4 legs of 18 bytes from column 17.  Column 110 = 'S': super
 * spread; 101 = W (or blank) weighted futures price risk, F flat.
 */
static const PaField rec6[] = {
	T("commodity_group", 3, 5),
	I("priority", 6, 9),
	N("credit_rate", 10, 16, 4),
	T("method", 89, 90),
	C("credit_basis", 101, "WF", "\"W\""),
	B("super_spread", 110, "S", " N"),
	B("per_leg_rates", 122, "Y", " N"),
};
static const PaField rec6_leg[] = {
	T("exchange", 17, 19),
	B("required", 20, NULL, "N"),
	T("cc", 21, 26),
	N("ratio", 27, 33, 4),
	CR("side", 34, "AB"),
};

/*
 * Records "81"/"82" (array values 9(5)) and "83"/"84" (9(8)): risk arrays,
 * [CS]/pubspan/pages/46235915/Type+8+-+Expanded (CME) for the key (1-54)
 * and values 1-9 of 81.  The 82 columns past the array (composite delta
 * 97-102, implied volatility 103-110, settlement price 111-118, strike sign
 * 119) and all of 83/84 come from a secondary transcription of CME's tables
 * (a public Python file, index id 20451029465); 81/82 checked against real
 * records of cme.20190102.s.pa2.  Value k of 81 at 55+6(k-1) (sign 5
 * bytes on), of 82 at 55+6(k-10); of 83 at 55+9(k-1) (sign 8 bytes on), of
 * 84 at 55+9(k-10).
 */
static const PaField rec8_key[] = {
	T("exchange", 3, 5),
	T("product", 6, 15),
	T("underlying", 16, 25),
	T("product_type", 26, 28),
	C("put_call", 29, "CP", NULL),
	M("futures_month", 30, 35),
	M("option_month", 39, 44),
};
static const PaField rec82_tail[] = {
	NS("strike", 48, 54, 0, 119),
	NS("composite_delta", 97, 101, 4, 102),
	N("implied_vol", 103, 110, 6),
	NS("settlement_price", 111, 117, 0, 118),
};
static const PaField rec84_tail[] = {
	NS("strike", 48, 54, 0, 140),
	NS("composite_delta", 118, 122, 4, 123),
	N("implied_vol", 124, 131, 6),
	NS("settlement_price", 132, 138, 0, 139),
};

/*
 * Record "B ", array calculation parameters: secondary transcription (index
 * id 20451029465); every field below checked against the real ES record of
 * cme.20190102.s.pa2 except delta_scaling_factor (86-91, reads 0.2000 there).
 * The research digest reads that record's volatility scan range as 0.35,
 * but its columns 45-52 hold "35000000", which is 35.000000 as the
 * transcribed 9(2)V9(6) (exponent 149-151 "00 "): the raw field is returned
 * and its unit is left to the loader.
 */
static const PaField recB[] = {
	T("exchange", 3, 5),
	T("product", 6, 15),
	T("product_type", 16, 18),
	M("futures_month", 19, 24),
	M("option_month", 28, 33),
	N("base_vol", 37, 44, 6),
	N("vol_scan_range", 45, 52, 6),
	N("price_scan_range", 53, 57, 0),
	N("extreme_multiplier", 58, 62, 3),
	N("cover_fraction", 63, 67, 4),
	N("delta_scaling_factor", 86, 91, 4),
	N("contract_value_factor", 129, 142, 7),
};

/*
 * Record "P ", price conversion parameters: CME, "Type P Record - Standard
 * and Expanded" (https://cmegroupclientsite.atlassian.net/wiki/spaces/pubspan/pages/46137428/Type+P+Record+-+Standard+and+Expanded):
 * decimal locators of 3 bytes with a leading '-' when negative, contract
 * value factor 9(7)V9(7) times ten to its exponent (sign 73, digits 74-75).
 */
#define SI(n, a, b)			{n, a, b, PA_SINT, 0, 0, false, NULL, NULL}
static const PaField recP[] = {
	T("exchange", 3, 5),
	T("product", 6, 15),
	T("product_type", 16, 18),
	SI("settlement_locator", 34, 36),
	SI("strike_locator", 37, 39),
	N("contract_value_factor", 42, 55, 7),
	T("currency", 66, 68),
	IS("cvf_exponent", 74, 75, 73),
};

/* parsing state of one call */
typedef struct PaCtx
{
	const char *line;			/* the current line (not NUL-terminated) */
	int			len;			/* its length in bytes (after \r is stripped) */
	int			lineno;
	char		rec[3];			/* record id, NUL-terminated */
	bool		lenient;		/* fields past the end are blank (see top) */
	ReturnSetInfo *rsinfo;
	MemoryContext keep;			/* lives for the whole call */
	/* a pending 81 or 83 */
	char	   *pend;			/* its text, or NULL */
	int			pend_len;
	int			pend_lineno;
	char		pend_rec[3];
} PaCtx;

/* a JSON object being built */
typedef struct PaJson
{
	StringInfoData s;
	bool		any;
} PaJson;

static int
field_end(const PaField *f, int shift)
{
	return Max(f->last, f->sign) + shift;
}

static const char *
field_name(const PaField *f, int idx)
{
	return idx > 0 ? psprintf("%s[%d]", f->name, idx) : f->name;
}

static const char *
cols(int a, int b)
{
	return a == b ? psprintf("column %d", a) : psprintf("columns %d-%d", a, b);
}

static void
pa_truncated(PaCtx *c, const PaField *f, int shift, int idx)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("line %d: record \"%s\" is truncated: %d characters, field %s needs %s",
					c->lineno, c->rec, c->len, field_name(f, idx),
					cols(f->first + shift, field_end(f, shift)))));
}

static void
pa_bad(PaCtx *c, const PaField *f, int shift, int idx, const char *text, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("line %d, field %s (%s) of record \"%s\": \"%s\" is not %s",
					c->lineno, field_name(f, idx), cols(f->first + shift, f->last + shift),
					c->rec, text, what)));
}

/*
 * The text of columns a..b (1-based), NUL-terminated; columns past the end
 * of the line read as blanks (callers check truncation first).
 */
static char *
pa_cols(PaCtx *c, int a, int b)
{
	char	   *s = palloc(b - a + 2);
	int			i;

	for (i = a; i <= b; i++)
		s[i - a] = i <= c->len ? c->line[i - 1] : ' ';
	s[b - a + 1] = '\0';
	return s;
}

static bool
is_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ')
			return false;
	return true;
}

/* a lenient line may stop before a field, not inside it */
static void
pa_reach(PaCtx *c, const PaField *f, int shift, int idx)
{
	int			a = f->first + shift;
	int			e = field_end(f, shift);

	if (c->len >= e)
		return;
	if (!c->lenient || c->len >= a)
		pa_truncated(c, f, shift, idx);
}

/* the whole line must reach field f */
static void
pa_need(PaCtx *c, const PaField *f, int shift, int idx)
{
	if (c->len < field_end(f, shift))
		pa_truncated(c, f, shift, idx);
}

/* digits of s into out as a JSON number: scale implied decimals, sign '-' or not */
static void
append_number(StringInfo out, const char *s, int scale, bool neg)
{
	int			n = strlen(s);
	int			ip = n - scale;
	int			i = 0;
	bool		zero = true;

	for (i = 0; i < n; i++)
		if (s[i] != '0')
			zero = false;
	if (neg && !zero)
		appendStringInfoChar(out, '-');
	for (i = 0; i < ip - 1 && s[i] == '0'; i++)
		;
	if (ip > 0)
		appendBinaryStringInfo(out, s + i, ip - i);
	else
		appendStringInfoChar(out, '0');
	if (scale > 0)
	{
		appendStringInfoChar(out, '.');
		appendBinaryStringInfo(out, s + ip, scale);
	}
}

/*
 * Append field f (shifted by shift columns; idx > 0 names the block) as a
 * JSON value to out.  Returns false when the value is JSON null.
 */
static bool
pa_value(PaCtx *c, const PaField *f, int shift, int idx, StringInfo out)
{
	int			a = f->first + shift;
	int			b = f->last + shift;
	char	   *s;
	const char *p;
	bool		neg = false;

	pa_reach(c, f, shift, idx);
	s = pa_cols(c, a, b);
	if (is_blank(s))
	{
		if (f->required)
			pa_bad(c, f, shift, idx, s,
				   f->kind == PA_CODE ? psprintf("one of \"%s\"", f->set) :
				   f->kind == PA_DATE ? "a date CCYYMMDD" : "a number");
		switch (f->kind)
		{
			case PA_CODE:
				appendStringInfoString(out, f->dflt ? f->dflt : "null");
				return f->dflt != NULL;
			case PA_BOOL:
				if (f->set == NULL)
				{
					/* any byte not in dflt is true, blank included */
					appendStringInfoString(out, strchr(f->dflt, ' ') ? "false" : "true");
					return true;
				}
				appendStringInfoString(out, "false");
				if (!strchr(f->dflt, ' '))
					pa_bad(c, f, shift, idx, s, psprintf("one of \"%s%s\"", f->set, f->dflt));
				return true;
			default:
				appendStringInfoString(out, "null");
				return false;
		}
	}
	switch (f->kind)
	{
		case PA_TEXT:
			{
				char	   *e = s + strlen(s);

				while (e > s && e[-1] == ' ')
					*--e = '\0';
				for (p = s; *p == ' '; p++)
					;
				escape_json(out, p);
				return true;
			}
		case PA_CODE:
			if (!strchr(f->set, s[0]))
				pa_bad(c, f, shift, idx, s, psprintf("one of \"%s\"%s", f->set, f->dflt ? " or blank" : ""));
			escape_json(out, s);
			return true;
		case PA_BOOL:
			if (f->set == NULL)
				appendStringInfoString(out, strchr(f->dflt, s[0]) ? "false" : "true");
			else if (strchr(f->set, s[0]))
				appendStringInfoString(out, "true");
			else if (strchr(f->dflt, s[0]))
				appendStringInfoString(out, "false");
			else
				pa_bad(c, f, shift, idx, s, psprintf("one of \"%s%s\"", f->set, f->dflt));
			return true;
		default:
			break;
	}
	/* numeric kinds: digits only (PA_SINT: after an optional '-', leading blanks allowed) */
	if (f->kind == PA_SINT)
	{
		while (*s == ' ')
			s++;
		if (*s == '-')
		{
			neg = true;
			s++;
		}
		if (*s == '\0')
			pa_bad(c, f, shift, idx, s, "a number");
	}
	for (p = s; *p; p++)
		if (*p < '0' || *p > '9')
			pa_bad(c, f, shift, idx, s,
				   f->kind == PA_MONTH ? "a month CCYYMM" :
				   f->kind == PA_DATE ? "a date CCYYMMDD" : "a number");
	if (f->sign)
	{
		char		sg = f->sign + shift <= c->len ? c->line[f->sign + shift - 1] : ' ';

		if (sg == '-')
			neg = true;
		else if (sg != '+' && sg != ' ')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("line %d, sign of field %s (column %d) of record \"%s\": \"%c\" is not +, - or blank",
							c->lineno, field_name(f, idx), f->sign + shift, c->rec, sg)));
	}
	switch (f->kind)
	{
		case PA_INT:
		case PA_SINT:
			append_number(out, s, 0, neg);
			return true;
		case PA_NUM:
			append_number(out, s, f->scale, neg);
			return true;
		case PA_MONTH:
			{
				int			m = (s[4] - '0') * 10 + (s[5] - '0');

				if (strcmp(s, "000000") == 0)
				{
					appendStringInfoString(out, "null");
					return false;
				}
				if (m < 1 || m > 12 || strncmp(s, "0000", 4) == 0)
					pa_bad(c, f, shift, idx, s, "a month CCYYMM");
				append_number(out, s, 0, false);
				return true;
			}
		case PA_DATE:
			{
				int			y = atoi(pnstrdup(s, 4));
				int			m = (s[4] - '0') * 10 + (s[5] - '0');
				int			d = (s[6] - '0') * 10 + (s[7] - '0');
				static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

				if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] ||
					(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
					pa_bad(c, f, shift, idx, s, "a date CCYYMMDD");
				appendStringInfo(out, "\"%.4s-%.2s-%.2s\"", s, s + 4, s + 6);
				return true;
			}
	}
	pg_unreachable();
}

static void
json_start(PaJson *j)
{
	initStringInfo(&j->s);
	appendStringInfoChar(&j->s, '{');
	j->any = false;
}

static void
json_key(PaJson *j, const char *key)
{
	if (j->any)
		appendStringInfoString(&j->s, ", ");
	escape_json(&j->s, key);
	appendStringInfoString(&j->s, ": ");
	j->any = true;
}

static void
json_field(PaCtx *c, PaJson *j, const PaField *f, int shift, int idx)
{
	json_key(j, f->name);
	pa_value(c, f, shift, idx, &j->s);
}

static void
json_fields(PaCtx *c, PaJson *j, const PaField *fs, int n, int shift, int idx)
{
	int			i;

	for (i = 0; i < n; i++)
		json_field(c, j, &fs[i], shift, idx);
}

static void
json_raw(PaJson *j, const char *key, const char *value)
{
	json_key(j, key);
	appendStringInfoString(&j->s, value);
}

/* a JSON array being built: append elements with json_elem */
static void
json_elem(StringInfo arr)
{
	appendStringInfoString(arr, arr->len == 0 ? "[" : ", ");
}

static const char *
json_array_end(StringInfo arr)
{
	if (arr->len == 0)
		return "[]";
	appendStringInfoChar(arr, ']');
	return arr->data;
}

static void
emit(PaCtx *c, int lineno, const char *kind, PaJson *j)
{
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	appendStringInfoChar(&j->s, '}');
	values[0] = Int32GetDatum(lineno);
	values[1] = CStringGetTextDatum(kind);
	values[2] = DirectFunctionCall1(jsonb_in, CStringGetDatum(j->s.data));
	tuplestore_putvalues(c->rsinfo->setResult, c->rsinfo->setDesc, values, nulls);
}

/*
 * Block k (0-based) of a lenient record, first..last columns at shift:
 * false when absent or blank; a line ending inside the block is truncated.
 */
static bool
block_present(PaCtx *c, int first, const PaField *lastf, int shift, int idx)
{
	int			a = first + shift;
	int			e = field_end(lastf, shift);

	if (c->len < a)
		return false;
	if (c->len < e)
		pa_truncated(c, lastf, shift, idx);
	return !is_blank(pa_cols(c, a, e));
}

/* the fixed head of a lenient record must be there */
static void
need_head(PaCtx *c, const PaField *f)
{
	if (c->len < field_end(f, 0))
		pa_truncated(c, f, 0, 0);
}

static void
parse_0(PaCtx *c)
{
	PaJson		j;
	char	   *fmt;

	pa_need(c, &rec0[LEN(rec0) - 1], 0, 0);
	json_start(&j);
	json_fields(c, &j, rec0, LEN(rec0), 0, 0);
	fmt = pa_cols(c, 36, 37);
	if (strcmp(fmt, "U2") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("line %d, field file_format (columns 36-37) of record \"0 \": \"%s\" is not supported",
						c->lineno, fmt),
				 errdetail("Only the expanded unpacked format (U2, files named *.pa2) is read.")));
	emit(c, c->lineno, "file", &j);
}

static void
parse_2(PaCtx *c)
{
	PaJson		j;
	int			k;

	need_head(c, &rec2[LEN(rec2) - 1]);
	json_start(&j);
	json_fields(c, &j, rec2, LEN(rec2), 0, 0);
	emit(c, c->lineno, "cc", &j);
	for (k = 0; k < 6; k++)
	{
		int			shift = 16 * k;

		if (!block_present(c, 23, &rec2_product[LEN(rec2_product) - 1], shift, k + 1))
			continue;
		json_start(&j);
		json_fields(c, &j, rec2, 2, 0, 0);	/* exchange, cc */
		json_fields(c, &j, rec2_product, LEN(rec2_product), shift, k + 1);
		emit(c, c->lineno, "product", &j);
	}
}

/* the tier rows of S (5 blocks) and 3 (4 blocks), 14 bytes each */
static void
parse_tiers(PaCtx *c, const PaField *tier, int nblocks, const char *kind)
{
	int			k;
	PaJson		j;

	for (k = 0; k < nblocks; k++)
	{
		int			shift = 14 * k;

		if (!block_present(c, tier[0].first, &tier[2], shift, k + 1))
			continue;
		json_start(&j);
		json_field(c, &j, &recS[0], 0, 0);	/* cc, 3-8 in both */
		json_fields(c, &j, tier, 3, shift, k + 1);
		emit(c, c->lineno, kind, &j);
	}
}

static void
parse_S(PaCtx *c)
{
	PaJson		j;

	need_head(c, &recS[1]);
	json_start(&j);
	json_fields(c, &j, recS, LEN(recS), 0, 0);
	emit(c, c->lineno, "scan_method", &j);
	parse_tiers(c, recS_tier, 5, "scan_tier");
}

static void
parse_3(PaCtx *c)
{
	PaJson		j;

	need_head(c, &rec3[1]);
	json_start(&j);
	json_fields(c, &j, rec3, LEN(rec3), 0, 0);
	emit(c, c->lineno, "intra_method", &j);
	parse_tiers(c, rec3_tier, 4, "intra_tier");
}

static void
parse_C(PaCtx *c)
{
	PaJson		j;
	StringInfoData tiers,
				ratios,
				sides,
				nlegs;
	int			k,
				n = 0;

	need_head(c, &recC[LEN(recC) - 1]);
	initStringInfo(&tiers);
	initStringInfo(&ratios);
	initStringInfo(&sides);
	initStringInfo(&nlegs);
	json_start(&j);
	json_field(c, &j, &recC[0], 0, 0);
	json_field(c, &j, &recC[1], 0, 0);
	json_field(c, &j, &recC[3], 0, 0);
	for (k = 0; k < 8; k++)
	{
		int			shift = 7 * k;

		if (!block_present(c, 22, &recC_leg[3], shift, k + 1))
			continue;
		json_elem(&tiers);
		pa_value(c, &recC_leg[1], shift, k + 1, &tiers);
		json_elem(&ratios);
		pa_value(c, &recC_leg[2], shift, k + 1, &ratios);
		json_elem(&sides);
		pa_value(c, &recC_leg[3], shift, k + 1, &sides);
		n++;
	}
	if (pa_value(c, &recC[2], 0, 0, &nlegs) && atoi(nlegs.data) != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("line %d, field legs (columns 13-14) of record \"C \": \"%s\" legs announced, %d non-blank legs in columns 22-77",
						c->lineno, nlegs.data, n)));
	json_raw(&j, "tiers", json_array_end(&tiers));
	json_raw(&j, "ratios", json_array_end(&ratios));
	json_raw(&j, "sides", json_array_end(&sides));
	emit(c, c->lineno, "intra_spread", &j);
}

static void
parse_4(PaCtx *c)
{
	PaJson		j;
	char	   *method;
	int			k;

	need_head(c, &rec4[1]);
	json_start(&j);
	json_fields(c, &j, rec4, LEN(rec4), 0, 0);
	emit(c, c->lineno, "spot", &j);
	method = pa_cols(c, 9, 10);
	if (strcmp(method, "10") != 0)
		return;					/* e.g. 11 (basis risk): no delivery months */
	for (k = 0; k < 2; k++)
	{
		int			shift = 22 * k;

		if (!block_present(c, 13, &rec4_month[2], shift, k + 1))
			continue;
		json_start(&j);
		json_field(c, &j, &rec4[0], 0, 0);
		json_fields(c, &j, rec4_month, LEN(rec4_month), shift, k + 1);
		emit(c, c->lineno, "spot_month", &j);
	}
}

static void
parse_6(PaCtx *c)
{
	PaJson		j;
	StringInfoData arr[5];
	static const char *const keys[5] = {"exchanges", "required", "ccs", "ratios", "sides"};
	int			k,
				i;

	need_head(c, &rec6[2]);
	for (i = 0; i < 5; i++)
		initStringInfo(&arr[i]);
	json_start(&j);
	json_fields(c, &j, rec6, 3, 0, 0);
	for (k = 0; k < 4; k++)
	{
		int			shift = 18 * k;

		if (!block_present(c, 17, &rec6_leg[4], shift, k + 1))
			continue;
		for (i = 0; i < 5; i++)
		{
			json_elem(&arr[i]);
			pa_value(c, &rec6_leg[i], shift, k + 1, &arr[i]);
		}
	}
	for (i = 0; i < 5; i++)
		json_raw(&j, keys[i], json_array_end(&arr[i]));
	json_fields(c, &j, rec6 + 3, LEN(rec6) - 3, 0, 0);
	emit(c, c->lineno, "inter_spread", &j);
}

static void
parse_B(PaCtx *c)
{
	PaJson		j;

	pa_need(c, &recB[LEN(recB) - 1], 0, 0);
	json_start(&j);
	json_fields(c, &j, recB, LEN(recB), 0, 0);
	emit(c, c->lineno, "array_params", &j);
}

static void
parse_P(PaCtx *c)
{
	PaJson		j;

	pa_need(c, &recP[3], 0, 0);
	json_start(&j);
	json_fields(c, &j, recP, LEN(recP), 0, 0);
	emit(c, c->lineno, "price", &j);
}

/* 81 or 83: check and keep it until its 82 or 84 */
static void
parse_81(PaCtx *c, bool high)
{
	int			width = high ? 9 : 6;
	PaField		v = {"values", 55 + 8 * width, 55 + 8 * width + width - 2, PA_NUM, 0,
	55 + 8 * width + width - 1, true, NULL, NULL};

	pa_need(c, &v, 0, 9);
	if (c->pend)
		pfree(c->pend);
	c->pend = MemoryContextAlloc(c->keep, c->len + 1);
	memcpy(c->pend, c->line, c->len);
	c->pend[c->len] = '\0';
	c->pend_len = c->len;
	c->pend_lineno = c->lineno;
	strcpy(c->pend_rec, c->rec);
}

static void
append_values(PaCtx *c, StringInfo arr, int width, int from, int to)
{
	int			k;

	for (k = from; k <= to; k++)
	{
		int			a = 55 + width * (k - from);
		PaField		v = {"values", a, a + width - 2, PA_NUM, 0, a + width - 1, true, NULL, NULL};

		json_elem(arr);
		pa_value(c, &v, 0, k, arr);
	}
}

/* 82 or 84: the contract's risk_array row, from the pending 81/83 and this line */
static void
parse_82(PaCtx *c, bool high)
{
	const PaField *tail = high ? rec84_tail : rec82_tail;
	const char *first = high ? "83" : "81";
	int			width = high ? 9 : 6;
	PaJson		j;
	StringInfoData values;
	PaCtx		c1;

	if (c->pend == NULL || strcmp(c->pend_rec, first) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("line %d: record \"%s\" does not follow a record \"%s\"", c->lineno, c->rec, first)));
	pa_need(c, &tail[0], 0, 0);	/* the strike sign is the last column read */
	if (memcmp(c->line + 2, c->pend + 2, 52) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("line %d: the key of record \"%s\" (columns 3-54) differs from that of the \"%s\" at line %d",
						c->lineno, c->rec, first, c->pend_lineno),
				 errdetail("\"%s\" against \"%s\".", pnstrdup(c->line + 2, 52), pnstrdup(c->pend + 2, 52))));
	c1 = *c;
	c1.line = c->pend;
	c1.len = c->pend_len;
	c1.lineno = c->pend_lineno;
	strcpy(c1.rec, first);

	json_start(&j);
	json_fields(&c1, &j, rec8_key, LEN(rec8_key), 0, 0);
	json_field(c, &j, &tail[0], 0, 0);
	initStringInfo(&values);
	append_values(&c1, &values, width, 1, 9);
	append_values(c, &values, width, 10, 16);
	json_raw(&j, "values", json_array_end(&values));
	json_fields(c, &j, tail + 1, 3, 0, 0);
	emit(c, c->pend_lineno, "risk_array", &j);
	pfree(c->pend);
	c->pend = NULL;
}

static void
pending_error(PaCtx *c)
{
	const char *second = strcmp(c->pend_rec, "81") == 0 ? "82" : "84";

	if (c->line)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("line %d: record \"%s\" is not followed by its \"%s\": line %d holds a record \"%s\"",
						c->pend_lineno, c->pend_rec, second, c->lineno, c->rec)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("line %d: record \"%s\" is not followed by its \"%s\": the file ends",
					c->pend_lineno, c->pend_rec, second)));
}

static void
parse_line(PaCtx *c, bool first_record)
{
	const char *r = c->rec;

	if (first_record && strcmp(r, "0 ") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("line %d: a SPAN file starts with record 0", c->lineno),
				 errdetail("The first record is \"%s\".", r)));
	if (c->pend && !(strcmp(r, "82") == 0 || strcmp(r, "84") == 0))
		pending_error(c);
	c->lenient = false;
	if (r[1] == ' ')
	{
		switch (r[0])
		{
			case '0':
				parse_0(c);
				return;
			case '2':
				c->lenient = true;
				parse_2(c);
				return;
			case 'S':
				c->lenient = true;
				parse_S(c);
				return;
			case '3':
				c->lenient = true;
				parse_3(c);
				return;
			case 'C':
				c->lenient = true;
				parse_C(c);
				return;
			case '4':
				c->lenient = true;
				parse_4(c);
				return;
			case '6':
				c->lenient = true;
				parse_6(c);
				return;
			case 'B':
				parse_B(c);
				return;
			case 'P':
				c->lenient = true;
				parse_P(c);
				return;
			case '1':
			case 'T':
			case '5':
			case 'R':
			case 'V':
			case 'X':
			case 'Y':
			case 'Z':
				return;			/* recognised, not returned */
			case 'E':
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("line %d: series-to-series intra-commodity spreads (record E) are not supported",
								c->lineno)));
		}
	}
	else if (r[0] == '8' && (r[1] == '1' || r[1] == '3'))
	{
		parse_81(c, r[1] == '3');
		return;
	}
	else if (r[0] == '8' && (r[1] == '2' || r[1] == '4'))
	{
		parse_82(c, r[1] == '4');
		return;
	}
	else if (r[0] == '9')
		return;					/* 9x: debt securities, not returned */
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("line %d: unknown record type \"%s\"", c->lineno, r)));
}

PG_FUNCTION_INFO_V1(portmargin_span_pa2_records);
Datum
portmargin_span_pa2_records(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	const char *s = VARDATA_ANY(t);
	int			n = VARSIZE_ANY_EXHDR(t);
	int			pos = 0;
	PaCtx		c;
	bool		first = true;
	MemoryContext linecxt,
				old;

	InitMaterializedSRF(fcinfo, 0);
	memset(&c, 0, sizeof(c));
	c.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	c.keep = CurrentMemoryContext;
	linecxt = AllocSetContextCreate(CurrentMemoryContext, "span_pa2_records line",
									ALLOCSET_DEFAULT_SIZES);
	while (pos < n)
	{
		const char *nl = memchr(s + pos, '\n', n - pos);
		int			end = nl ? nl - s : n;
		int			len = end - pos;
		int			i;
		bool		blank = true;

		CHECK_FOR_INTERRUPTS();
		c.lineno++;
		c.line = s + pos;
		pos = end + 1;
		if (len > 0 && c.line[len - 1] == '\r')
			len--;
		c.len = len;
		for (i = 0; i < len; i++)
		{
			unsigned char ch = (unsigned char) c.line[i];

			if (ch == '\t')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("line %d: a tab at column %d: SPAN files are fixed-column text without tabs",
								c.lineno, i + 1)));
			if (ch < 0x20 || ch >= 0x7f)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("line %d: byte 0x%02x at column %d is not printable ASCII",
								c.lineno, ch, i + 1),
						 errdetail("Columns are counted in bytes; SPAN files are printable ASCII text.")));
			if (ch != ' ')
				blank = false;
		}
		if (blank)
			continue;
		c.rec[0] = c.line[0];
		c.rec[1] = len > 1 ? c.line[1] : ' ';
		c.rec[2] = '\0';
		old = MemoryContextSwitchTo(linecxt);
		parse_line(&c, first);
		MemoryContextSwitchTo(old);
		MemoryContextReset(linecxt);
		first = false;
	}
	if (c.pend)
	{
		c.line = NULL;
		pending_error(&c);
	}
	MemoryContextDelete(linecxt);
	PG_RETURN_NULL();
}
