/*
 * pilotscope.h
 *		Declarations shared by the modules of the pilotscope extension.
 *
 * Module map:
 *		pilotscope.c	GUCs, the planner and executor hooks (when a run starts)
 *		hooks.c			the path hooks: where pushed rows are applied and
 *						relation sets are recorded
 *		override.c		replacing a relation's rows and rebuilding its paths
 *		run.c			the state of one planner run and the published result
 *		planwalk.c		which pushed sets the chosen plan scans parameterized
 *		deparse.c		SELECT count(*) text of a relation set
 *		functions.c		the SQL-callable functions reading the published run
 *		payload.c		the standalone payload parser (no PostgreSQL headers)
 */
#ifndef PILOTSCOPE_H
#define PILOTSCOPE_H

#include "postgres.h"

#include "nodes/pathnodes.h"
#include "run.h"

/*
 * Longest alias the payload may name: an identifier (NAMEDATALEN - 1 bytes)
 * plus the "_<n>" suffix given to repeated aliases.
 */
#define PILOTSCOPE_MAX_ALIAS_BYTES (NAMEDATALEN - 1 + 11)

/* pilotscope.c: developer GUC pilotscope.always_rebuild */
extern bool pilotscope_always_rebuild;

/* hooks.c */
extern void pilotscope_install_path_hooks(void);

/* override.c */
extern void rebuild_plain_rel_paths(PlannerInfo *root, RelOptInfo *rel);
extern bool patch_path_rows(RelOptInfo *rel);
typedef enum JoinRowsMethod
{
	JOIN_ROWS_IN_PLACE,			/* path rows replaced; exactly a rebuild's result */
	JOIN_ROWS_REBUILT,			/* the pair's paths were built again */
	JOIN_ROWS_REBUILT_KEEPING_OTHER_PAIRS	/* ... and other pairs' paths were
											 * kept, not recosted */
} JoinRowsMethod;

extern JoinRowsMethod set_join_rel_rows(PilotRun *run, PlannerInfo *root,
							  RelOptInfo *joinrel, RelOptInfo *outerrel,
							  RelOptInfo *innerrel, JoinType jointype,
							  JoinPathExtraData *extra, double rows);

/* planwalk.c */
extern void run_mark_parameterized(PilotRun *run, int cursorOptions);

/* deparse.c */
extern char *relset_count_sql(RelSetRecord *rec);

#endif							/* PILOTSCOPE_H */
