/*
 * sqlargs.h
 *	  Argument checks shared by portmargin's SQL-callable functions.  Each
 *	  raises ERROR (SQLSTATE 22023, invalid_parameter_value) naming the
 *	  argument and its value; none returns on bad input.
 */
#ifndef PORTMARGIN_SQLARGS_H
#define PORTMARGIN_SQLARGS_H

#include "postgres.h"

/* 'call' / 'c' -> +1, 'put' / 'p' -> -1, any case */
extern int	pm_option_type_arg(const text *option_type);

extern double pm_positive_arg(const char *name, double value);
extern double pm_nonnegative_arg(const char *name, double value);
extern double pm_finite_arg(const char *name, double value);

/* ERROR 22003 if a computed result is not finite (never return NaN or Inf) */
extern double pm_finite_result(const char *what, double value);

#endif							/* PORTMARGIN_SQLARGS_H */
