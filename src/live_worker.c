/*-------------------------------------------------------------------------
 *
 * live_worker.c
 *	  The live-margin worker (issue 12): a background worker that runs a
 *	  reference schema's process_margin_queue() every poll interval, so
 *	  that accounts are re-margined after market data changes without the
 *	  price feed's transactions waiting for it.
 *
 * One worker per reference schema, started by
 * portmargin.start_live_margin_worker(schema, poll) (the SQL wrapper checks
 * ownership and that none runs yet) and stopped by
 * portmargin.stop_live_margin_worker(schema) or pg_terminate_backend.  It
 * connects to the caller's database as the caller, runs each pass in its own
 * transaction, reports an error of a pass to the server log and goes on with
 * the next one (a dropped schema is an error every pass, not a crash loop),
 * and is not restarted when it exits.  Its backend_type is "portmargin live
 * margin" and its application_name "portmargin live margin: <schema>".
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"


/* what the worker is told: bgw_extra (BGW_EXTRALEN bytes) */
typedef struct LiveWorkerArgs
{
	Oid			dboid;
	Oid			roleoid;
	int32		poll_ms;
	char		schema[NAMEDATALEN];
} LiveWorkerArgs;

StaticAssertDecl(sizeof(LiveWorkerArgs) <= BGW_EXTRALEN, "LiveWorkerArgs must fit in bgw_extra");

PGDLLEXPORT void pm_live_worker_main(Datum main_arg);

/* one pass: process_margin_queue() in a transaction of its own */
static void
live_worker_pass(const char *query)
{
	int			ret;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "portmargin live margin: SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, query);
	ret = SPI_execute(query, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "portmargin live margin: %s returned SPI code %d", query, ret);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

void
pm_live_worker_main(Datum main_arg)
{
	LiveWorkerArgs args;
	char	   *query;
	char	   *appname;
	MemoryContext loop_cxt;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(args.dboid, args.roleoid, 0);

	appname = psprintf("portmargin live margin: %s", args.schema);
	pgstat_report_appname(appname);
	query = psprintf("SELECT %s.process_margin_queue()", quote_identifier(args.schema));
	loop_cxt = AllocSetContextCreate(TopMemoryContext, "portmargin live margin", ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		MemoryContext oldcxt;

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, args.poll_ms,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();

		oldcxt = MemoryContextSwitchTo(loop_cxt);
		PG_TRY();
		{
			live_worker_pass(query);
		}
		PG_CATCH();
		{
			/* log it, roll the pass back, and go on with the next one, a second later */
			MemoryContextSwitchTo(loop_cxt);
			EmitErrorReport();
			FlushErrorState();
			AbortCurrentTransaction();
			pgstat_report_activity(STATE_IDLE, NULL);
			(void) WaitLatch(MyLatch, WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000L, PG_WAIT_EXTENSION);
		}
		PG_END_TRY();
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(loop_cxt);
	}
}

/*
 * portmargin.live_margin_worker_launch(schema text, poll_ms integer) -> integer
 * registers the worker for the current database and user, who must own the
 * schema, and returns its pid once it runs (the SQL wrapper
 * start_live_margin_worker also checks that the schema is a reference schema
 * and that no worker of it runs yet)
 */
PG_FUNCTION_INFO_V1(portmargin_live_margin_worker_launch);
Datum
portmargin_live_margin_worker_launch(PG_FUNCTION_ARGS)
{
	text	   *schema = PG_GETARG_TEXT_PP(0);
	int32		poll_ms = PG_GETARG_INT32(1);
	char	   *name = text_to_cstring(schema);
	LiveWorkerArgs args;
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	BgwHandleStatus status;
	pid_t		pid;

	if (strlen(name) == 0 || strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"schema\": \"%s\"", name),
				 errdetail("A schema name is 1 to %d bytes long.", NAMEDATALEN - 1)));
	if (poll_ms < 1 || poll_ms > 3600 * 1000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"poll_ms\": %d", poll_ms),
				 errdetail("The poll interval is 1 ms to 1 hour.")));
	/* the worker runs as the caller; only the schema's owner may start one (a slot is a shared resource) */
	if (!pg_namespace_ownercheck(get_namespace_oid(name, false), GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_SCHEMA, name);

	memset(&args, 0, sizeof(args));
	args.dboid = MyDatabaseId;
	args.roleoid = GetUserId();
	args.poll_ms = poll_ms;
	strlcpy(args.schema, name, NAMEDATALEN);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "portmargin");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "pm_live_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "portmargin live margin %s", name);
	snprintf(worker.bgw_type, BGW_MAXLEN, "portmargin live margin");
	worker.bgw_main_arg = (Datum) 0;
	memcpy(worker.bgw_extra, &args, sizeof(args));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start the live-margin worker of schema %s: no background worker slot free",
						quote_identifier(name)),
				 errhint("Raise max_worker_processes (parallel query and pg_cron use the same slots).")));
	status = WaitForBackgroundWorkerStartup(handle, &pid);
	if (status != BGWH_STARTED)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not start the live-margin worker of schema %s", quote_identifier(name)),
				 errhint("See the server log.")));
	PG_RETURN_INT32((int32) pid);
}
