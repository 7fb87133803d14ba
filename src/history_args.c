/*
 * history_args.c
 *	  Reading and aligning a history given as parallel arrays
 *	  (history_args.h), shared by historical_scenarios (var_sql.c) and
 *	  estimate_correlation (estimate_sql.c).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "history_args.h"
#include "sqlargs.h"

typedef struct HistRow
{
	DateADT		day;
	int			col;
	double		value;
} HistRow;

static int
hist_row_cmp(const void *a, const void *b, void *arg)
{
	const HistRow *x = a,
			   *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return x->col - y->col;
}

static int
name_cmp(const void *a, const void *b, void *arg)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int
name_key_cmp(const void *a, const void *b)
{
	return name_cmp(a, b, NULL);
}

void
pm_history_read(FunctionCallInfo fcinfo, int first, const char *vals_name, PmHistoryArgs *h)
{
	int			nd,
				nv;

	memset(h, 0, sizeof(*h));
	h->vals_name = vals_name;
	h->names = pm_text_array_arg(fcinfo, first, "underlyings", &h->n);
	pm_need_arg(fcinfo, first + 1, "days", "");
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(first + 1), DATEOID, 4, true, TYPALIGN_INT, &h->day_elems, &h->day_nulls, &nd);
	h->vals = pm_float8_array_arg(fcinfo, first + 2, vals_name, 1, &nv, NULL, NULL);
	if (h->n == 0)
		pm_arg_error("underlyings", "the history is empty");
	if (nd != h->n || nv != h->n)
		pm_arg_error(nd != h->n ? "days" : vals_name,
					 psprintf("%d elements for %d underlyings", nd != h->n ? nd : nv, h->n));
}

void
pm_history_align(PmHistoryArgs *h, double min_value, const char *rule)
{
	int			n = h->n,
				U,
				D,
				i,
				k;
	char	  **uniq;
	HistRow    *rows;

	/* columns: the distinct underlyings, sorted */
	uniq = palloc(sizeof(char *) * n);
	memcpy(uniq, h->names, sizeof(char *) * n);
	qsort_interruptible(uniq, n, sizeof(char *), name_cmp, NULL);
	for (U = 0, i = 0; i < n; i++)
		if (U == 0 || strcmp(uniq[U - 1], uniq[i]) != 0)
			uniq[U++] = uniq[i];
	rows = palloc(sizeof(HistRow) * n);
	for (i = 0; i < n; i++)
	{
		char	  **hit;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		hit = bsearch(&h->names[i], uniq, U, sizeof(char *), name_key_cmp);
		if (h->day_nulls[i])
			pm_arg_error("days", psprintf("element %d is NULL", i + 1));
		if (!(h->vals[i] > min_value))
			pm_arg_error(h->vals_name, psprintf("element %d is %s; %s", i + 1, float8out_internal(h->vals[i]), rule));
		rows[i].day = DatumGetDateADT(h->day_elems[i]);
		rows[i].col = hit - uniq;
		rows[i].value = h->vals[i];
	}
	qsort_interruptible(rows, n, sizeof(HistRow), hist_row_cmp, NULL);

	/* complete days, oldest first */
	h->values = palloc_extended(sizeof(double) * (Size) n, MCXT_ALLOC_HUGE);
	h->days = palloc_extended(sizeof(DateADT) * (Size) n, MCXT_ALLOC_HUGE);
	D = 0;
	for (i = 0; i < n; i = k)
	{
		int			count = 0;

		CHECK_FOR_INTERRUPTS();
		for (k = i; k < n && rows[k].day == rows[i].day; k++)
		{
			if (k > i && rows[k].col == rows[k - 1].col)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for argument \"days\": underlying \"%s\" has two observations on %s",
								uniq[rows[k].col], DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(rows[k].day))))));
			count++;
		}
		if (count == U)
		{
			int			j;

			for (j = i; j < k; j++)
				h->values[(Size) D * U + rows[j].col] = rows[j].value;
			h->days[D] = rows[i].day;
			D++;
		}
	}
	h->nund = U;
	h->uniq = uniq;
	h->ndays = D;
}
