/*
 * planwalk.c
 *		Which pushed relation sets the chosen plan scans with a
 *		parameterized path.
 *
 * A parameterized path (the inner side of a nested loop whose join clause
 * went into an index scan) estimates rows per outer row.  Its estimate is the
 * planner's own (capped by the pushed value), so EXPLAIN shows it instead of
 * the pushed rows.  The push report says so for the sets where this happens.
 *
 * The walk starts at the path the planner chose for the top query level and
 * follows subquery scans into their levels.  Sub-plans of SubLinks and CTEs
 * are chosen outside any path we can see, so they are not walked.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "optimizer/planner.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "nodes/parsenodes.h"

#include "pilotscope.h"

static void walk_path(PilotRun *run, PlannerInfo *root, Path *path);

static void
walk_paths(PilotRun *run, PlannerInfo *root, List *paths)
{
	ListCell   *lc;

	foreach(lc, paths)
		walk_path(run, root, (Path *) lfirst(lc));
}

static void
note_path(PilotRun *run, PlannerInfo *root, Path *path)
{
	RelOptInfo *rel = path->parent;
	RelSetRecord *rec;

	if (path->param_info == NULL || rel == NULL ||
		(rel->reloptkind != RELOPT_BASEREL && rel->reloptkind != RELOPT_JOINREL))
		return;
	rec = run_find_relset(run, root, rel->relids);
	if (rec != NULL && rec->entry >= 0 && outcome_applied(rec->outcome))
		run_set_outcome(rec, PUSH_APPLIED_PARAMETERIZED);
}

static void
walk_path(PilotRun *run, PlannerInfo *root, Path *path)
{
	if (path == NULL)
		return;
	check_stack_depth();
	note_path(run, root, path);

	switch (nodeTag(path))
	{
		case T_NestPath:
		case T_MergePath:
		case T_HashPath:
			walk_path(run, root, ((JoinPath *) path)->outerjoinpath);
			walk_path(run, root, ((JoinPath *) path)->innerjoinpath);
			break;
		case T_AppendPath:
			walk_paths(run, root, ((AppendPath *) path)->subpaths);
			break;
		case T_MergeAppendPath:
			walk_paths(run, root, ((MergeAppendPath *) path)->subpaths);
			break;
		case T_SubqueryScanPath:
			if (path->parent->subroot != NULL)
				walk_path(run, path->parent->subroot, ((SubqueryScanPath *) path)->subpath);
			break;
		case T_MaterialPath:
			walk_path(run, root, ((MaterialPath *) path)->subpath);
			break;
		case T_MemoizePath:
			walk_path(run, root, ((MemoizePath *) path)->subpath);
			break;
		case T_UniquePath:
			walk_path(run, root, ((UniquePath *) path)->subpath);
			break;
		case T_GatherPath:
			walk_path(run, root, ((GatherPath *) path)->subpath);
			break;
		case T_GatherMergePath:
			walk_path(run, root, ((GatherMergePath *) path)->subpath);
			break;
		case T_ProjectionPath:
			walk_path(run, root, ((ProjectionPath *) path)->subpath);
			break;
		case T_ProjectSetPath:
			walk_path(run, root, ((ProjectSetPath *) path)->subpath);
			break;
		case T_SortPath:
			walk_path(run, root, ((SortPath *) path)->subpath);
			break;
		case T_IncrementalSortPath:
			walk_path(run, root, ((IncrementalSortPath *) path)->spath.subpath);
			break;
		case T_GroupPath:
			walk_path(run, root, ((GroupPath *) path)->subpath);
			break;
		case T_UpperUniquePath:
			walk_path(run, root, ((UpperUniquePath *) path)->subpath);
			break;
		case T_AggPath:
			walk_path(run, root, ((AggPath *) path)->subpath);
			break;
		case T_GroupingSetsPath:
			walk_path(run, root, ((GroupingSetsPath *) path)->subpath);
			break;
		case T_WindowAggPath:
			walk_path(run, root, ((WindowAggPath *) path)->subpath);
			break;
		case T_SetOpPath:
			walk_path(run, root, ((SetOpPath *) path)->subpath);
			break;
		case T_RecursiveUnionPath:
			walk_path(run, root, ((RecursiveUnionPath *) path)->leftpath);
			walk_path(run, root, ((RecursiveUnionPath *) path)->rightpath);
			break;
		case T_LockRowsPath:
			walk_path(run, root, ((LockRowsPath *) path)->subpath);
			break;
		case T_ModifyTablePath:
			walk_path(run, root, ((ModifyTablePath *) path)->subpath);
			break;
		case T_LimitPath:
			walk_path(run, root, ((LimitPath *) path)->subpath);
			break;
		case T_CustomPath:
			walk_paths(run, root, ((CustomPath *) path)->custom_paths);
			break;
		case T_ForeignPath:
			walk_path(run, root, ((ForeignPath *) path)->fdw_outerpath);
			break;
		default:
			/* scans and the other leaves */
			break;
	}
}

/* The top query level's planner state, if the run saw it. */
static PlannerInfo *
top_level_root(PilotRun *run)
{
	int			i;

	for (i = 0; i < run->nrecords; i++)
	{
		PlannerInfo *root = run->records[i]->root;

		if (root->query_level == 1 && root->parent_root == NULL)
			return root;
	}
	return NULL;
}

/*
 * Walks the path standard_planner() chose: the cheapest path of the final
 * upper relation for the tuple fraction it used (a cursor's fraction, or 0).
 */
void
run_mark_parameterized(PilotRun *run, int cursorOptions)
{
	PlannerInfo *root = top_level_root(run);
	RelOptInfo *final_rel;
	double		tuple_fraction = 0.0;

	if (root == NULL || run->payload == NULL)
		return;
	if (cursorOptions & CURSOR_OPT_FAST_PLAN)
	{
		tuple_fraction = cursor_tuple_fraction;
		if (tuple_fraction >= 1.0)
			tuple_fraction = 0.0;
		else if (tuple_fraction <= 0.0)
			tuple_fraction = 1e-10;
	}
	final_rel = fetch_upper_rel(root, UPPERREL_FINAL, NULL);
	if (final_rel == NULL || final_rel->pathlist == NIL)
		return;
	walk_path(run, root, get_cheapest_fractional_path(final_rel, tuple_fraction));
}
