/*
 * pilotscope.c
 *		Module entry: the GUCs, and the planner and executor hooks that decide
 *		when a run (push and/or pull) starts.
 *
 * A run starts when the planner is called at top level while
 * pilotscope.cards holds entries or pilotscope.collect(_sql) is on.  Planning
 * that happens inside it (SPI during constant folding) or inside the
 * executor (functions running queries) is someone else's statement and is
 * left alone.  Without a run every hook returns to the previous hook at once.
 */
#include "postgres.h"

#include "executor/executor.h"
#include "fmgr.h"
#include "optimizer/planner.h"
#include "utils/guc.h"

#include "payload.h"
#include "pilotscope.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* GUC storage */
static char *cards_text = NULL;
static bool collect_enabled = false;
static bool collect_sql_enabled = false;
bool		pilotscope_always_rebuild = false;

/* The parsed pilotscope.cards (its GUC "extra"), or NULL when empty. */
static const PsPayload *current_payload = NULL;

/* Depth of ExecutorStart/Run/Finish calls in progress. */
static int	executor_depth = 0;

static planner_hook_type prev_planner_hook = NULL;
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;

/* ---------- GUCs ---------- */

/*
 * Parses the payload when it is set, so that a malformed value fails the
 * set_config()/SET that gives it, and planning never parses anything.
 */
static bool
check_cards(char **newval, void **extra, GucSource source)
{
	const char *text = *newval != NULL ? *newval : "";
	PsPayload  *payload;
	PsError		err;

	switch (ps_payload_parse(text, strlen(text), PILOTSCOPE_MAX_ALIAS_BYTES, &payload, &err))
	{
		case PS_OK:
			*extra = payload;	/* malloc'd, as GUC extra data must be */
			return true;
		case PS_NO_MEMORY:
			GUC_check_errcode(ERRCODE_OUT_OF_MEMORY);
			GUC_check_errdetail("pilotscope.cards: out of memory while parsing the payload.");
			return false;
		case PS_INVALID:
			break;
	}
	GUC_check_errdetail("pilotscope.cards: %s.", err.message);
	GUC_check_errhint("Set pilotscope.cards to a JSON array such as "
					  "[{\"rels\":[\"a\",\"b\"],\"rows\":100,\"level\":1}] "
					  "(\"level\" is optional), or to '' to push nothing.");
	return false;
}

static void
assign_cards(const char *newval, void *extra)
{
	current_payload = (const PsPayload *) extra;
}

static void
define_gucs(void)
{
	DefineCustomStringVariable("pilotscope.cards",
							   "Cardinalities to push into the planner, as a JSON array.",
							   "Each entry is {\"rels\":[alias,...],\"rows\":N,\"level\":L}; "
							   "\"level\" (the query level, 1 = top) is optional. "
							   "Set it transaction-locally: set_config('pilotscope.cards', $1, true).",
							   &cards_text,
							   "",
							   PGC_USERSET,
							   0,
							   check_cards,
							   assign_cards,
							   NULL);
	DefineCustomBoolVariable("pilotscope.collect",
							 "Records every relation set the planner builds.",
							 "Read them with pilotscope_relsets().",
							 &collect_enabled,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("pilotscope.collect_sql",
							 "Records relation sets with a SELECT count(*) text for each.",
							 "Implies pilotscope.collect. The text is given for inner joins of plain tables.",
							 &collect_sql_enabled,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("pilotscope.always_rebuild",
							 "Developer option: rebuild join paths instead of replacing their rows in place.",
							 "Both give the same plans; tests use this to check that they do.",
							 &pilotscope_always_rebuild,
							 false,
							 PGC_USERSET,
							 GUC_NOT_IN_SAMPLE,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("pilotscope");
}

/* ---------- planner ---------- */

static PlannedStmt *
call_planner(Query *parse, const char *query_string, int cursorOptions,
			 ParamListInfo boundParams)
{
	if (prev_planner_hook)
		return prev_planner_hook(parse, query_string, cursorOptions, boundParams);
	return standard_planner(parse, query_string, cursorOptions, boundParams);
}

/* Plans a statement that is not ours (nested in our run) with no run active. */
static PlannedStmt *
plan_without_run(Query *parse, const char *query_string, int cursorOptions,
				 ParamListInfo boundParams)
{
	PilotRun   *suspended = active_run;
	PlannedStmt *result;

	active_run = NULL;
	PG_TRY();
	{
		result = call_planner(parse, query_string, cursorOptions, boundParams);
	}
	PG_FINALLY();
	{
		active_run = suspended;
	}
	PG_END_TRY();
	return result;
}

static PlannedStmt *
pilotscope_planner(Query *parse, const char *query_string, int cursorOptions,
				   ParamListInfo boundParams)
{
	PilotRun   *run;
	PlannedStmt *result;

	if (active_run != NULL)
		return plan_without_run(parse, query_string, cursorOptions, boundParams);
	if (executor_depth > 0 ||
		(ps_payload_count(current_payload) == 0 && !collect_enabled && !collect_sql_enabled))
		return call_planner(parse, query_string, cursorOptions, boundParams);

	run = run_begin(current_payload, collect_sql_enabled);
	active_run = run;
	PG_TRY();
	{
		result = call_planner(parse, query_string, cursorOptions, boundParams);
		run_finish_and_publish(run, cursorOptions);
		active_run = NULL;
	}
	PG_CATCH();
	{
		active_run = NULL;
		run_discard(run);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return result;
}

/* ---------- executor nesting ---------- */

static void
pilotscope_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	executor_depth++;
	PG_TRY();
	{
		if (prev_ExecutorStart)
			prev_ExecutorStart(queryDesc, eflags);
		else
			standard_ExecutorStart(queryDesc, eflags);
	}
	PG_FINALLY();
	{
		executor_depth--;
	}
	PG_END_TRY();
}

static void
pilotscope_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction,
					   uint64 count, bool execute_once)
{
	executor_depth++;
	PG_TRY();
	{
		if (prev_ExecutorRun)
			prev_ExecutorRun(queryDesc, direction, count, execute_once);
		else
			standard_ExecutorRun(queryDesc, direction, count, execute_once);
	}
	PG_FINALLY();
	{
		executor_depth--;
	}
	PG_END_TRY();
}

static void
pilotscope_ExecutorFinish(QueryDesc *queryDesc)
{
	executor_depth++;
	PG_TRY();
	{
		if (prev_ExecutorFinish)
			prev_ExecutorFinish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_FINALLY();
	{
		executor_depth--;
	}
	PG_END_TRY();
}

void
_PG_init(void)
{
	define_gucs();

	prev_planner_hook = planner_hook;
	planner_hook = pilotscope_planner;
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = pilotscope_ExecutorStart;
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = pilotscope_ExecutorRun;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = pilotscope_ExecutorFinish;
	pilotscope_install_path_hooks();
}
