/*
 * apc.h
 *	  EMIR RTS 153/2013 art. 28(1) minima for the anti-procyclicality tools
 *	  (a buffer of at least 25%, a stressed weight of at least 25%).
 */
#ifndef PM_APC_H
#define PM_APC_H

#include "fmgr.h"

/* the minimum of art. 28(1)(a) and (b): 25% */
#define PM_APC_EMIR_MINIMUM 0.25

/* true when value is the tool switched off (0) or at least the minimum */
extern bool pm_apc_meets_minimum(double value);

/*
 * ERROR 22023 when value is strictly between 0 and 0.25: argname names the
 * argument, point the paragraph of art. 28(1) ("a" or "b"), override the
 * explicit way out the hint names (NULL: none).
 */
extern void pm_apc_check_minimum(const char *argname, double value, const char *point, const char *override);

/* the trailing emir_minimum boolean at argument i (true when absent) */
extern bool pm_apc_emir_minimum_arg(FunctionCallInfo fcinfo, int i);

#endif
