/*
 * override.c
 *		Replacing the row count of a relation and making its paths agree.
 *
 * PostgreSQL offers no hook between "the size of a relation is estimated"
 * and "its paths are built".  What the path costs take from a relation's
 * rows (costsize.c):
 *	- every path copies them into path->rows when it is created (partial
 *	  paths divided by the parallel divisor, parameterized paths taking their
 *	  ParamPathInfo's rows, which are capped by the relation's rows and cached
 *	  in rel->ppilist);
 *	- every path adds pathtarget->cost.per_tuple * path->rows to its cost
 *	  (zero when the target list holds plain columns only);
 *	- parameterized index paths of a base relation estimate their loop count
 *	  from the rows of the OTHER base relations (indxpath.c, get_loop_count).
 *
 * Base relations: all sizes of a query level are replaced when the first of
 * its relations reaches set_rel_pathlist_hook (every size is known by then,
 * no later relation has paths yet), and that first relation's paths are
 * rebuilt with the exported functions core uses for a plain table.  Every
 * later relation builds its paths with the pushed sizes in place.
 *
 * Join relations: at the end of the first add_paths_to_joinrel() call for a
 * join relation the paths of that one input pair exist.  When the target list
 * costs nothing per row and no cached parameterized size is capped by the old
 * rows, replacing path->rows in place gives exactly the paths a rebuild would
 * give (the costs do not move, so add_path kept the same paths).  Otherwise
 * the pair's paths are rebuilt by calling add_paths_to_joinrel() again.  Every
 * later input pair is costed with the new rows anyway.
 *
 * Relations whose paths cannot be rebuilt from here (subqueries, functions,
 * appendrels, foreign tables; the top join under a pseudoconstant clause)
 * get the rows of their existing paths patched, and the report says so.
 */
#include "postgres.h"

#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"

#include "pilotscope.h"

/* The rows of a partial path are per participant; costsize.c divides so. */
static double
parallel_divisor(const Path *path)
{
	double		divisor = path->parallel_workers;

	if (parallel_leader_participation)
	{
		double		leader_share = 1.0 - 0.3 * path->parallel_workers;

		if (leader_share > 0)
			divisor += leader_share;
	}
	return divisor;
}

/* The rows a path of rel should have, given the rel's rows. */
static double
expected_path_rows(const Path *path, double rel_rows)
{
	if (path->param_info != NULL)
		return Min(path->rows, rel_rows);	/* per outer row, capped */
	if (path->parallel_workers > 0)
		return clamp_row_est(rel_rows / parallel_divisor(path));
	return rel_rows;
}

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
 * Builds the scan paths of a plain table (no inheritance, not foreign, no
 * TABLESAMPLE) again, for its current rows: sequential and parallel
 * sequential scans, index and bitmap scans, TID scans.
 */
void
rebuild_plain_rel_paths(PlannerInfo *root, RelOptInfo *rel)
{
	Relids		required_outer = rel->lateral_relids;

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

static bool
patch_path_list(List *paths, double rel_rows)
{
	bool		changed = false;
	ListCell   *lc;

	foreach(lc, paths)
	{
		Path	   *path = (Path *) lfirst(lc);
		double		rows = expected_path_rows(path, rel_rows);

		if (path->rows != rows)
		{
			path->rows = rows;
			changed = true;
		}
	}
	return changed;
}

/*
 * Makes the rows of rel's existing paths (and cached parameterized sizes)
 * agree with rel->rows, without recosting them.  Returns true if any path
 * had other rows.
 */
bool
patch_path_rows(RelOptInfo *rel)
{
	bool		changed = false;
	ListCell   *lc;

	changed |= patch_path_list(rel->pathlist, rel->rows);
	changed |= patch_path_list(rel->partial_pathlist, rel->rows);
	foreach(lc, rel->ppilist)
	{
		ParamPathInfo *ppi = (ParamPathInfo *) lfirst(lc);

		if (ppi->ppi_rows > rel->rows)
			ppi->ppi_rows = rel->rows;
	}
	return changed;
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

/* The paths of a list that are not joins of this pair. */
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

static bool
has_join_paths(List *paths)
{
	ListCell   *lc;

	foreach(lc, paths)
	{
		Path	   *path = (Path *) lfirst(lc);

		if (IsA(path, NestPath) || IsA(path, MergePath) || IsA(path, HashPath))
			return true;
	}
	return false;
}

/*
 * True if replacing path->rows in place is exactly what rebuilding the join
 * relation's paths for the new rows would produce (see the file header).
 */
static bool
rows_replaceable_in_place(RelOptInfo *joinrel, double rows)
{
	ListCell   *lc;

	if (pilotscope_always_rebuild || joinrel->reltarget->cost.per_tuple != 0)
		return false;
	foreach(lc, joinrel->ppilist)
	{
		ParamPathInfo *ppi = (ParamPathInfo *) lfirst(lc);

		/* the cap may have cut it, or would cut it now */
		if (ppi->ppi_rows >= joinrel->rows || ppi->ppi_rows > rows)
			return false;
	}
	return true;
}

/*
 * Called from set_join_pathlist_hook, i.e. at the end of add_paths_to_joinrel
 * for (outerrel, innerrel), the first time the hook sees this join relation:
 * gives it the given rows and makes its paths agree, in place or by
 * rebuilding the pair's paths.  A rebuild keeps paths it cannot rebuild (an
 * FDW's or custom provider's, or those of an earlier pair for which no hook
 * ran because of a pseudoconstant clause) with patched rows.
 */
JoinRowsMethod
set_join_rel_rows(PilotRun *run, PlannerInfo *root, RelOptInfo *joinrel,
				  RelOptInfo *outerrel, RelOptInfo *innerrel,
				  JoinType jointype, JoinPathExtraData *extra, double rows)
{
	List	   *kept;
	List	   *kept_partial;
	ListCell   *lc;

	if (rows_replaceable_in_place(joinrel, rows))
	{
		joinrel->rows = rows;
		patch_path_rows(joinrel);
		return JOIN_ROWS_IN_PLACE;
	}

	kept = paths_not_of_pair(joinrel->pathlist, outerrel, innerrel);
	kept_partial = paths_not_of_pair(joinrel->partial_pathlist, outerrel, innerrel);
	joinrel->rows = rows;
	forget_paths(joinrel);

	run->in_join_rebuild = true;
	add_paths_to_joinrel(root, joinrel, outerrel, innerrel, jointype,
						 extra->sjinfo, extra->restrictlist);
	run->in_join_rebuild = false;

	foreach(lc, kept)
	{
		Path	   *path = (Path *) lfirst(lc);

		path->rows = expected_path_rows(path, rows);
		add_path(joinrel, path);
	}
	foreach(lc, kept_partial)
	{
		Path	   *path = (Path *) lfirst(lc);

		path->rows = expected_path_rows(path, rows);
		add_partial_path(joinrel, path);
	}
	if (has_join_paths(kept) || has_join_paths(kept_partial))
		return JOIN_ROWS_REBUILT_KEEPING_OTHER_PAIRS;
	return JOIN_ROWS_REBUILT;
}
