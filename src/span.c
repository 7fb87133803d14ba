/*
 * span.c
 *	  The CME SPAN algorithm over published risk arrays (pure numeric
 *	  code), per combined commodity in CME's order: scan risk per scan tier
 *	  (the published arrays already hold the extreme moves at their cover
 *	  fraction), intra-commodity spread charge (tier spreads by priority,
 *	  consuming tier deltas), delivery (spot) month charge, short option
 *	  minimum; then the inter-commodity spread credits across the account
 *	  (by priority, consuming the deltas left after intra spreading, each
 *	  leg credited rate x weighted futures price risk x delta consumed);
 *	  risk = max(scan + intra + spot - inter, som), scaled by the account
 *	  type's maintenance factor and initial ratio, less the net option
 *	  value.  doc/span.md gives the sources and what is not implemented.
 */
#include "span.h"

#include <math.h>
#include <string.h>

/* deltas smaller than this are spent (what spreads leave is rounding) */
#define DELTA_EPS 1e-9

int
pm_span_find_cc(const PmSpanParams *p, const char *cc, int len)
{
	int			lo = 0,
				hi = p->ncc - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strncmp(p->cc[mid].cc, cc, len);

		if (c == 0 && p->cc[mid].cc[len] != '\0')
			c = 1;
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* the index of the tier month lies in, or n (the months no tier holds) */
int
pm_span_tier_of(const PmSpanTier *t, int n, int month)
{
	int			i;

	for (i = 0; i < n; i++)
		if ((t[i].start == 0 || month >= t[i].start) && (t[i].end == 0 || month <= t[i].end))
			return i;
	return n;
}

/* the index of tier number tn, or -1 */
int
pm_span_tier_index(const PmSpanTier *t, int n, int tn)
{
	int			i;

	for (i = 0; i < n; i++)
		if (t[i].tier == tn)
			return i;
	return -1;
}

size_t
pm_span_work_size(const PmSpanParams *p, const PmSpanHolding *h, int nh)
{
	int			i,
				maxscan = 0,
				maxintra = 0;

	for (i = 0; i < nh; i++)
	{
		int			c = pm_span_find_cc(p, h[i].cc, h[i].cc_len);

		if (c >= 0)
		{
			if (p->cc[c].nscan_tiers > maxscan)
				maxscan = p->cc[c].nscan_tiers;
			if (p->cc[c].nintra_tiers > maxintra)
				maxintra = p->cc[c].nintra_tiers;
		}
	}
	return sizeof(double) * ((size_t) 2 * p->ncc + (size_t) PM_SPAN_NSCEN * (maxscan + 1) +
							 (size_t) 2 * (maxintra + 1));
}

/*
 * Scan risk of one tier's summed array a: the largest loss, floored at 0;
 * its price part: (active + paired scenario)/2 less the time risk (the mean
 * of the two unchanged-price scenarios), floored at 0.  Scenarios pair as
 * 1-2, 3-4, ..., 13-14 (same price move, volatility up and down); the
 * extreme moves 15 and 16 pair with themselves.
 */
static double
scan_tier(const double *a, double *price_risk, int *worst)
{
	int			j,
				k = 0,
				pair;
	double		time_risk;

	for (j = 1; j < PM_SPAN_NSCEN; j++)
		if (a[j] > a[k])
			k = j;
	*worst = k;
	if (a[k] <= 0)
	{
		*price_risk = 0;
		return 0;
	}
	pair = k < 14 ? (k ^ 1) : k;
	time_risk = (a[0] + a[1]) / 2;
	*price_risk = fmax(0.0, (a[k] + a[pair]) / 2 - time_risk);
	return a[k];
}

/*
 * Form spreads over legs whose remaining deltas are d[idx[l]]: n = the
 * fewest spreads any leg allows (side A legs long and side B short, then
 * the other way round), its deltas consumed; returns the spreads formed.
 * A leg that is not required does not limit n and gives what it has.
 */
static double
form_spreads(double *d, const int *idx, const double *ratio, const char *side, const bool *required,
			 int nlegs, double *consumed_out, double *taken)
{
	double		total = 0;
	int			dir,
				l;

	for (l = 0; l < nlegs; l++)
		taken[l] = 0;
	for (dir = 0; dir < 2; dir++)
	{
		double		s = dir == 0 ? 1.0 : -1.0;
		double		n = INFINITY;
		bool		any = false;

		for (l = 0; l < nlegs; l++)
		{
			double		want = side[l] == 'A' ? s : -s;
			double		have = idx[l] >= 0 ? d[idx[l]] * want : 0;

			if (required && !required[l])
				continue;
			any = true;
			if (have <= DELTA_EPS)
				n = 0;
			else
				n = fmin(n, have / ratio[l]);
		}
		if (!any || !(n > DELTA_EPS) || !isfinite(n))
			continue;
		for (l = 0; l < nlegs; l++)
		{
			double		want = side[l] == 'A' ? s : -s;
			double		take = n * ratio[l];

			if (idx[l] < 0)
				continue;
			if (required && !required[l])
				take = fmin(take, fmax(0.0, d[idx[l]] * want));
			d[idx[l]] -= want * take;
			if (fabs(d[idx[l]]) <= DELTA_EPS)
				d[idx[l]] = 0;
			if (consumed_out)
				consumed_out[idx[l]] += take;
			taken[l] += take;
		}
		total += n;
	}
	return total;
}

/* one combined commodity: everything but the inter-commodity credit */
static void
span_cc(const PmSpanCc *c, const PmSpanHolding *h, double *work, PmSpanCcResult *r, double *remaining)
{
	int			nst = c->nscan_tiers,
				nit = c->nintra_tiers;
	double	   *scan = work;	/* [nst + 1][16] */
	double	   *tdelta = scan + PM_SPAN_NSCEN * (nst + 1);	/* [nit + 1] */
	double	   *consumed = tdelta + nit + 1;	/* [nit + 1] */
	double		taken[PM_SPAN_MAX_INTRA_LEGS];
	int			i,
				j,
				t;

	memset(work, 0, sizeof(double) * (PM_SPAN_NSCEN * (nst + 1) + 2 * (nit + 1)));
	r->net_delta = 0;
	for (i = 0; i < h->nmonths; i++)
	{
		const PmSpanMonth *m = &h->months[i];

		if (h->scan_arrays == NULL)
		{
			double	   *a = scan + PM_SPAN_NSCEN * (nst ? pm_span_tier_of(c->scan_tiers, nst, m->month) : 0);

			for (j = 0; j < PM_SPAN_NSCEN; j++)
				a[j] += m->array[j];
		}
		tdelta[nit ? pm_span_tier_of(c->intra_tiers, nit, m->month) : 0] += m->delta;
		r->net_delta += m->delta;
	}
	if (h->scan_arrays)
		memcpy(scan, h->scan_arrays, sizeof(double) * PM_SPAN_NSCEN * (nst + 1));

	/* scan risk and its price part, per scan tier */
	r->scan = r->price_risk = 0;
	r->worst_scenario = -1;
	for (t = 0; t <= nst; t++)
	{
		double		pr;
		int			worst;

		r->scan += scan_tier(scan + PM_SPAN_NSCEN * t, &pr, &worst);
		r->price_risk += pr;
		if (nst == 0)
			r->worst_scenario = worst;
	}

	/* intra-commodity spreads by priority, consuming tier deltas */
	r->intra = 0;
	for (i = 0; i < c->nintra; i++)
	{
		const PmSpanIntraSpread *s = &c->intra[i];
		int			idx[PM_SPAN_MAX_INTRA_LEGS];
		int			l;

		for (l = 0; l < s->nlegs; l++)
			idx[l] = pm_span_tier_index(c->intra_tiers, nit, s->tier[l]);
		r->intra += s->rate * form_spreads(tdelta, idx, s->ratio, s->side, NULL, s->nlegs, consumed, taken);
	}

	/* delivery months: their delta consumed by spreads and left in outrights */
	r->spot = 0;
	for (i = 0; i < c->nspot; i++)
	{
		double		d = 0,
					used = 0;

		for (j = 0; j < h->nmonths; j++)
			if (h->months[j].month == c->spot[i].month)
				d += h->months[j].delta;
		d = fabs(d);
		if (nit)
			used = fmin(d, consumed[pm_span_tier_of(c->intra_tiers, nit, c->spot[i].month)]);
		r->spot += used * c->spot[i].rate_consumed + (d - used) * c->spot[i].rate_remaining;
	}

	/* short option minimum */
	r->som = c->som_rate * (c->som_method == 1 ? fmax(h->short_calls, h->short_puts)
							: h->short_calls + h->short_puts);
	r->option_value = c->premium_options ? h->option_value : 0;

	/* what is left for inter-commodity spreading, and its price per delta */
	*remaining = 0;
	for (t = 0; t <= nit; t++)
		*remaining += tdelta[t];
	if (c->wfpr_method == PM_SPAN_WFPR_SCANRANGE)
		r->wfpr = c->price_scan_range;
	else
	{
		r->wfpr = fabs(r->net_delta) > DELTA_EPS ? r->price_risk / fabs(r->net_delta) : 0;
		if (c->wfpr_method == PM_SPAN_WFPR_CAPPED)
			r->wfpr = fmin(r->wfpr, c->price_scan_range);
	}
	r->inter = 0;
}

int
pm_span_margin(const PmSpanParams *p, const PmSpanHolding *h, int nh, int account_type,
			   void *work, PmSpanCcResult *out, double *maintenance, double *initial,
			   double *inter, int *bad)
{
	double	   *remaining = work;	/* [ncc]: delta left per combined commodity */
	double	   *wfpr = remaining + p->ncc;	/* [ncc] */
	double	   *scratch = wfpr + p->ncc;
	double		maint = 0,
				init = 0,
				nov = 0,
				credit = 0;
	int			i,
				k;

	for (i = 0; i < p->ncc; i++)
		remaining[i] = wfpr[i] = 0;
	for (i = 0; i < nh; i++)
	{
		int			c = pm_span_find_cc(p, h[i].cc, h[i].cc_len);

		if (c < 0)
		{
			*bad = i;
			return PM_SPAN_UNKNOWN_CC;
		}
		if (i > 0 && strcmp(p->cc[c].currency, p->cc[out[0].cc].currency) != 0)
		{
			*bad = i;
			return PM_SPAN_CURRENCIES;
		}
		out[i].cc = c;
		span_cc(&p->cc[c], &h[i], scratch, &out[i], &remaining[c]);
		wfpr[c] = out[i].wfpr;
	}

	/* inter-commodity spreads by priority, across the account */
	for (k = 0; k < p->ninter; k++)
	{
		const PmSpanInterSpread *s = &p->inter[k];
		double		taken[PM_SPAN_MAX_INTER_LEGS];
		int			l;

		if (form_spreads(remaining, s->cc, s->ratio, s->side, s->required, s->nlegs, NULL, taken) <= 0)
			continue;
		for (l = 0; l < s->nlegs; l++)
			for (i = 0; i < nh; i++)
				if (out[i].cc == s->cc[l])
					out[i].inter += s->rate * wfpr[s->cc[l]] * taken[l];
	}

	for (i = 0; i < nh; i++)
	{
		const PmSpanCc *c = &p->cc[out[i].cc];
		PmSpanCcResult *r = &out[i];

		r->risk = fmax(r->scan + r->intra + r->spot - r->inter, r->som);
		r->maintenance = r->risk * c->maintenance_factor[account_type];
		r->initial = r->risk * c->initial_ratio[account_type];
		if (c->limit_option_value)
		{
			/* its option value offsets (or adds to) its own requirement only */
			maint += fmax(0.0, r->maintenance - r->option_value);
			init += fmax(0.0, r->initial - r->option_value);
		}
		else
		{
			maint += r->maintenance;
			init += r->initial;
			nov += r->option_value;
		}
		credit += r->inter;
	}
	*maintenance = fmax(0.0, maint - nov);
	*initial = fmax(0.0, init - nov);
	*inter = credit;
	return PM_SPAN_OK;
}
