/*
 * span_glue.h
 *	  The boundary between span_params.c (the span_parameters type and its
 *	  reading) and span_sql.c (the span_portfolio and span_margin functions
 *	  and aggregates): a per-call-site cache of read parameters.
 */
#ifndef PORTMARGIN_SPAN_GLUE_H
#define PORTMARGIN_SPAN_GLUE_H

#include "postgres.h"

#include "span.h"

/* arguments up to this size are remembered byte for byte (no detoasting on a match) */
#define SPAN_RAW_MAX 65536

/*
 * The parameters of the last span_parameters datum seen at a call site:
 * read into cxt (a child of parent, replaced when the document changes),
 * with text datums of each commodity's code and currency for results.
 */
typedef struct SpanParamsCache
{
	MemoryContext parent;		/* set by the owner: lives as long as the call site */
	MemoryContext cxt;
	Size		size;			/* of the detoasted value */
	uint64		hash;			/* of its document */
	PmSpanParams *params;		/* NULL until the first lookup */
	char	   *raw;			/* the argument's own bytes when at most SPAN_RAW_MAX */
	Size		rawlen;
	Datum	   *cc_text;		/* [params->ncc] */
	Datum	   *currency_text;	/* [params->ncc] */
} SpanParamsCache;

/* what tells two span_parameters values apart: their size and their document's hash (22P03 on damage) */
extern void span_params_identity(Datum arg, Size *size, uint64 *hash);

/* pc->params made those of a span_parameters datum (ERROR 22023 / 22P03 on a bad one) */
extern void span_params_lookup(SpanParamsCache *pc, Datum arg);

#endif							/* PORTMARGIN_SPAN_GLUE_H */
