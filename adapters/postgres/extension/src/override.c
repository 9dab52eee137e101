/*
 * override.c
 *		Replacing the row count of a relation and making its paths agree.
 *
 * PostgreSQL offers no hook between "the size of a relation is estimated"
 * and "its paths are built", so the rows are replaced after the paths exist
 * and the paths are then rebuilt: every cost function copies rows into the
 * path when the path is created (scans from rel->rows, joins from
 * joinrel->rows, partial paths divided by the parallel divisor), and the
 * parameterized-size caches (ppilist) are capped by the old rows.
 *
 * Plain tables are rebuilt with the same exported functions core uses for
 * them.  A join relation gets the paths of the current input pair rebuilt by
 * calling add_paths_to_joinrel() again; every later pair is costed with the
 * new rows anyway.  Where a rebuild is not possible (subqueries, functions,
 * appendrels, foreign tables, the top join under a pseudoconstant clause),
 * the rows of the existing paths are patched instead.
 */
#include "postgres.h"

#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"

#include "pilotscope.h"

static void
forget_paths(RelOptInfo *rel)
{
	rel->pathlist = NIL;
	rel->partial_pathlist = NIL;
	rel->ppilist = NIL;
	rel->cheapest_startup_path = NULL;
	rel->cheapest_total_path = NULL;
	rel->cheapest_unique_path = NULL;
	rel->cheapest_parameterized_paths = NIL;
}

/*
 * Gives a plain table (no inheritance, not foreign, no TABLESAMPLE) the given
 * rows and builds its scan paths again: sequential (and parallel sequential)
 * scans, index and bitmap scans, TID scans.
 */
void
rebuild_plain_rel_paths(PlannerInfo *root, RelOptInfo *rel, double rows)
{
	Relids		required_outer = rel->lateral_relids;

	rel->rows = rows;
	forget_paths(rel);

	add_path(rel, create_seqscan_path(root, rel, required_outer, 0));
	if (rel->consider_parallel && required_outer == NULL)
	{
		int			workers = compute_parallel_worker(rel, rel->pages, -1,
													  max_parallel_workers_per_gather);

		if (workers > 0)
			add_partial_path(rel, create_seqscan_path(root, rel, NULL, workers));
	}
	create_index_paths(root, rel);
	create_tidscan_paths(root, rel);
}

/* Makes one existing path agree with its relation's new rows (not its costs). */
static void
patch_path_rows(Path *path, double old_rows, double rows, bool partial)
{
	if (path->param_info != NULL)
	{
		/* rows per outer row: the planner caps them by the relation's rows */
		if (path->rows > rows)
			path->rows = rows;
	}
	else if (partial)
		path->rows = clamp_row_est(path->rows * (rows / old_rows));
	else
		path->rows = rows;
}

/* Sets rel->rows and patches the rows of the paths the relation already has. */
void
patch_rel_rows(RelOptInfo *rel, double rows)
{
	double		old_rows = rel->rows > 0 ? rel->rows : 1;
	ListCell   *lc;

	rel->rows = rows;
	foreach(lc, rel->pathlist)
		patch_path_rows((Path *) lfirst(lc), old_rows, rows, false);
	foreach(lc, rel->partial_pathlist)
		patch_path_rows((Path *) lfirst(lc), old_rows, rows, true);
	foreach(lc, rel->ppilist)
	{
		ParamPathInfo *ppi = (ParamPathInfo *) lfirst(lc);

		if (ppi->ppi_rows > rows)
			ppi->ppi_rows = rows;
	}
}

/* True if the path is a join of exactly this (outer, inner) pair. */
static bool
path_joins_pair(Path *path, RelOptInfo *outerrel, RelOptInfo *innerrel)
{
	JoinPath   *join;

	if (!IsA(path, NestPath) && !IsA(path, MergePath) && !IsA(path, HashPath))
		return false;
	join = (JoinPath *) path;
	return join->outerjoinpath->parent == outerrel &&
		join->innerjoinpath->parent == innerrel;
}

/* Splits a path list into the paths of the pair and the others (kept). */
static List *
paths_not_of_pair(List *paths, RelOptInfo *outerrel, RelOptInfo *innerrel)
{
	List	   *kept = NIL;
	ListCell   *lc;

	foreach(lc, paths)
	{
		Path	   *path = (Path *) lfirst(lc);

		if (!path_joins_pair(path, outerrel, innerrel))
			kept = lappend(kept, path);
	}
	return kept;
}

/*
 * Called from set_join_pathlist_hook, i.e. at the end of add_paths_to_joinrel
 * for (outerrel, innerrel): gives the join relation the given rows and builds
 * the paths of this pair again.  Paths of other origins (an FDW or custom
 * scan provider, or an earlier pair for which no hook ran because of a
 * pseudoconstant clause) cannot be rebuilt from here: they are kept with
 * patched rows.  Returns true if any join path of another pair was kept.
 */
bool
rebuild_join_rel_paths(PilotRun *run, PlannerInfo *root, RelOptInfo *joinrel,
					   RelOptInfo *outerrel, RelOptInfo *innerrel,
					   JoinType jointype, JoinPathExtraData *extra, double rows)
{
	double		old_rows = joinrel->rows > 0 ? joinrel->rows : 1;
	List	   *kept = paths_not_of_pair(joinrel->pathlist, outerrel, innerrel);
	List	   *kept_partial = paths_not_of_pair(joinrel->partial_pathlist, outerrel, innerrel);
	bool		other_pairs = false;
	ListCell   *lc;

	joinrel->rows = rows;
	forget_paths(joinrel);

	run->in_join_rebuild = true;
	add_paths_to_joinrel(root, joinrel, outerrel, innerrel, jointype,
						 extra->sjinfo, extra->restrictlist);
	run->in_join_rebuild = false;

	foreach(lc, kept)
	{
		Path	   *path = (Path *) lfirst(lc);

		other_pairs |= IsA(path, NestPath) || IsA(path, MergePath) || IsA(path, HashPath);
		patch_path_rows(path, old_rows, rows, false);
		add_path(joinrel, path);
	}
	foreach(lc, kept_partial)
	{
		Path	   *path = (Path *) lfirst(lc);

		other_pairs |= IsA(path, NestPath) || IsA(path, MergePath) || IsA(path, HashPath);
		patch_path_rows(path, old_rows, rows, true);
		add_partial_path(joinrel, path);
	}
	return other_pairs;
}
