/*
 * tailstat.c
 *	  Value at risk and expected shortfall of scenario P&L (tailstat.h has
 *	  the definitions and their sources).
 */
#include "tailstat.h"

#include <gsl/gsl_sort.h>
#include <math.h>
#include <string.h>

void
pm_tail(const double *pnl, const double *prob, int n, double alpha, PmTail *t,
		double *tail_weight, double *work, size_t *order)
{
	double		beta = 1.0 - alpha;
	double	   *loss = work;
	double		sum = 0.0;
	int			i;

	for (i = 0; i < n; i++)
		loss[i] = -pnl[i];
	if (tail_weight)
		memset(tail_weight, 0, sizeof(double) * n);

	if (prob == NULL)
	{
		/* N equally likely scenarios: the floor(N beta) + 1 largest losses */
		double		nb = n * beta;
		double		r = nearbyint(nb);
		int			k;

		if (r >= 1.0 && fabs(nb - r) <= 1e-9 * nb)
			nb = r;
		k = (int) floor(nb) + 1;
		if (k > n)
			k = n;
		gsl_sort_largest_index(order, k, loss, 1, n);	/* descending */
		for (i = 0; i < k - 1; i++)
		{
			sum += loss[order[i]];
			if (tail_weight)
				tail_weight[order[i]] = 1.0 / nb;
		}
		t->var_index = (int) order[k - 1];
		t->var = loss[order[k - 1]];
		sum += (nb - (k - 1)) * t->var;
		if (tail_weight)
			tail_weight[order[k - 1]] = (nb - (k - 1)) / nb;
		t->es = sum / nb;
		return;
	}

	{
		/* weighted: sort all losses, walk down from the largest */
		double		total = 0.0,
					counted = 0.0;
		int			j;

		for (i = 0; i < n; i++)
			total += prob[i];
		gsl_sort_index(order, loss, 1, n);	/* ascending */
		for (j = n - 1; j >= 0; j--)
		{
			double		p;

			i = (int) order[j];
			p = prob[i] / total;
			if (counted + p > beta * (1.0 + 1e-12) || j == 0)
			{
				double		w = fmax(0.0, beta - counted);

				t->var_index = i;
				t->var = loss[i];
				sum += w * loss[i];
				if (tail_weight)
					tail_weight[i] = w / beta;
				break;
			}
			sum += p * loss[i];
			counted += p;
			if (tail_weight)
				tail_weight[i] = p / beta;
		}
		t->es = sum / beta;
	}
}
