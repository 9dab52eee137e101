/*
 * functions.c
 *		SQL functions reading the last published run.
 *
 *	pilotscope_relsets()		every relation set the planner built
 *	pilotscope_push_report()	what became of every pushed entry
 *
 * Both return nothing before the first published run.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "pilotscope.h"

PG_FUNCTION_INFO_V1(pilotscope_relsets);
PG_FUNCTION_INFO_V1(pilotscope_push_report);

static Datum
text_array(char **values, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1];
	int			lbs[1];
	int			i;

	for (i = 0; i < n; i++)
	{
		nulls[i] = values[i] == NULL;
		elems[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(values[i]);
	}
	dims[0] = n;
	lbs[0] = 1;
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
											  TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
int_array(int *values, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		elems[i] = Int32GetDatum(values[i]);
	return PointerGetDatum(construct_array(elems, n, INT4OID, sizeof(int32),
										   true, TYPALIGN_INT));
}

Datum
pilotscope_relsets(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PilotRun   *run = published_run();
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (run == NULL)
		PG_RETURN_VOID();

	for (i = 0; i < run->nsorted; i++)
	{
		RelSetRecord *rec = run->sorted[i];
		Datum		values[10];
		bool		nulls[10];
		char	  **relnames = palloc(sizeof(char *) * rec->nrels);
		int			a;

		memset(nulls, 0, sizeof(nulls));
		for (a = 0; a < rec->nrels; a++)
		{
			int			rti = rec->alias_relids[a];

			relnames[a] = rti < rec->root_info->nslots ? rec->root_info->relnames[rti] : NULL;
		}
		values[0] = Int32GetDatum(rec->level);
		values[1] = CStringGetTextDatum(rec->is_join ? "join" : "base");
		values[2] = int_array(rec->alias_relids, rec->nrels);
		values[3] = text_array(rec->aliases, rec->nrels);
		values[4] = text_array(relnames, rec->nrels);
		if (rec->join_type != NULL)
			values[5] = CStringGetTextDatum(rec->join_type);
		else
			nulls[5] = true;
		values[6] = Float8GetDatum(rec->rows);
		values[7] = Float8GetDatum(rec->planner_rows);
		values[8] = BoolGetDatum(outcome_applied(rec->outcome));
		if (rec->sql != NULL)
			values[9] = CStringGetTextDatum(rec->sql);
		else
			nulls[9] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_VOID();
}

Datum
pilotscope_push_report(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PilotRun   *run = published_run();
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (run == NULL)
		PG_RETURN_VOID();

	for (i = 0; i < run->nreport; i++)
	{
		EntryReport *r = &run->report[i];
		Datum		values[6];
		bool		nulls[6];

		memset(nulls, 0, sizeof(nulls));
		if (r->level == PS_LEVEL_ANY)
			nulls[0] = true;
		else
			values[0] = Int32GetDatum(r->level);
		values[1] = text_array(r->aliases, r->nrels);
		values[2] = Float8GetDatum(r->rows);
		values[3] = BoolGetDatum(r->applied);
		if (r->reason != NULL)
			values[4] = CStringGetTextDatum(r->reason);
		else
			nulls[4] = true;
		values[5] = Int32GetDatum(r->matched);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_VOID();
}
