/*
 * hooks.c
 *		The path hooks: where pushed rows are applied and relation sets are
 *		recorded.
 *
 * Every hook first checks active_run; with no run (no payload, collection
 * off, nested planning) it passes straight on to the previous hook.
 *
 *	set_rel_pathlist_hook	the first call of a query level sets every pushed
 *							base size (scaling appendrel members) and
 *							rebuilds that first relation's paths; every call
 *							records its relation and patches paths that
 *							could not be built with the pushed size
 *	set_join_pathlist_hook	join relations: record, apply on the first pair
 *							the hook sees for the join relation (override.c);
 *							child joins of partitionwise joins are scaled
 *	join_search_hook		runs the usual search (or GEQO), then records the
 *							join relations it kept and handles the ones no
 *							set_join_pathlist_hook call reached
 *
 * Under GEQO each tour builds its join relations afresh (and frees them), so
 * the join hook records relation sets from every tour and applies pushed rows
 * in every tour; a relation whose rows already equal the pushed value needs
 * nothing.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_class.h"
#include "optimizer/geqo.h"
#include "optimizer/optimizer.h"
#include "optimizer/paths.h"

#include "pilotscope.h"

static set_rel_pathlist_hook_type prev_set_rel_pathlist_hook = NULL;
static set_join_pathlist_hook_type prev_set_join_pathlist_hook = NULL;
static join_search_hook_type prev_join_search_hook = NULL;

static bool
is_plain_table(RangeTblEntry *rte)
{
	return rte->rtekind == RTE_RELATION && !rte->inh &&
		rte->relkind != RELKIND_FOREIGN_TABLE && rte->tablesample == NULL;
}

/* The base relation an appendrel member (a partition, a UNION ALL arm) belongs to. */
static Index
appendrel_top_parent(PlannerInfo *root, Index rti)
{
	while (root->append_rel_array != NULL && root->append_rel_array[rti] != NULL)
		rti = root->append_rel_array[rti]->parent_relid;
	return rti;
}

/*
 * Scales the members of an appendrel whose size was replaced, so that the
 * Append built from them carries (about) the pushed rows and their own
 * paths are costed consistently.  Members that already have paths (subquery
 * arms are planned while sizes are estimated) get their rows patched.
 */
static void
scale_appendrel_members(PlannerInfo *root, Index parent_rti, double factor)
{
	int			rti;

	for (rti = 1; rti < root->simple_rel_array_size; rti++)
	{
		RelOptInfo *member = root->simple_rel_array[rti];

		if (member == NULL || member->reloptkind != RELOPT_OTHER_MEMBER_REL ||
			IS_DUMMY_REL(member) || appendrel_top_parent(root, rti) != parent_rti)
			continue;
		member->rows = clamp_row_est(member->rows * factor);
		if (member->pathlist != NIL)
			patch_path_rows(member);
	}
}

/*
 * Replaces the sizes of every base relation of the query level that has a
 * pushed value, and records them all.  Returns true if a size changed.
 */
static bool
push_base_sizes(PilotRun *run, PlannerInfo *root)
{
	bool		changed = false;
	int			rti;

	for (rti = 1; rti < root->simple_rel_array_size; rti++)
	{
		RelOptInfo *rel = root->simple_rel_array[rti];
		RangeTblEntry *rte = root->simple_rte_array[rti];
		RelSetRecord *rec;
		double		target;

		if (rel == NULL || rel->reloptkind != RELOPT_BASEREL)
			continue;
		rec = run_relset(run, root, rel->relids, false);
		if (rec->planner_rows < 0)
			rec->planner_rows = rel->rows;
		if (rte->rtekind == RTE_RELATION)
			run->planned_table = true;
		if (run_target_rows(run, rec, &target))
		{
			if (IS_DUMMY_REL(rel))
				run_set_outcome(rec, PUSH_FAILED_EMPTY);
			else if (rel->rows != target)
			{
				if (rte->inh && rel->rows > 0)
					scale_appendrel_members(root, rti, target / rel->rows);
				rel->rows = target;
				changed = true;
			}
		}
		rec->rows = rel->rows;
	}
	return changed;
}

/* A base relation's paths are complete: check they carry the pushed rows. */
static void
finish_base_rel(PilotRun *run, PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte)
{
	RelSetRecord *rec = run_relset(run, root, rel->relids, false);
	double		target;

	if (run_target_rows(run, rec, &target) && !IS_DUMMY_REL(rel))
	{
		/*
		 * A plain table built its paths with the pushed size in place.  An
		 * appendrel's members were scaled, so its Append paths differ from
		 * the pushed rows only by rounding; set them exactly.  Other kinds
		 * (subqueries, functions, VALUES, CTEs, foreign tables, TABLESAMPLE)
		 * may have costed their paths with their own estimate.
		 */
		bool		patched = !is_plain_table(rte) && patch_path_rows(rel);

		run_set_outcome(rec, patched && !rte->inh ? PUSH_APPLIED_NOT_PLAIN : PUSH_APPLIED);
	}
	rec->rows = rel->rows;
}

static void
pilotscope_set_rel_pathlist(PlannerInfo *root, RelOptInfo *rel, Index rti,
							RangeTblEntry *rte)
{
	PilotRun   *run = active_run;

	if (run != NULL)
	{
		RootInfo   *info = run_root(run, root);

		/*
		 * The first relation of the level to get here (possibly an appendrel
		 * child) built its paths before any size was replaced; the others
		 * will build theirs after.
		 */
		if (!info->sizes_pushed)
		{
			info->sizes_pushed = true;
			if (push_base_sizes(run, root) && is_plain_table(rte) && !IS_DUMMY_REL(rel))
				rebuild_plain_rel_paths(root, rel);
		}
		/* children of appendrels and partitions are not relation sets of the query */
		if (rel->reloptkind == RELOPT_BASEREL)
			finish_base_rel(run, root, rel, rte);
	}

	/* after us, so that other extensions see the final paths */
	if (prev_set_rel_pathlist_hook)
		prev_set_rel_pathlist_hook(root, rel, rti, rte);
}

/*
 * Records a join relation and applies its pushed rows the first time the
 * hook sees it.  Returns true if its paths were rebuilt (the rebuild's own
 * add_paths_to_joinrel call has then run the previous hook already).
 */
static bool
push_join_rel(PilotRun *run, PlannerInfo *root, RelOptInfo *joinrel,
			  RelOptInfo *outerrel, RelOptInfo *innerrel, JoinType jointype,
			  JoinPathExtraData *extra)
{
	RelSetRecord *rec = run_relset(run, root, joinrel->relids, true);
	double		target;
	JoinRowsMethod method = JOIN_ROWS_IN_PLACE;

	if (rec->planner_rows < 0)
		rec->planner_rows = joinrel->rows;
	if (run_target_rows(run, rec, &target))
	{
		if (joinrel->rows != target)
			method = set_join_rel_rows(run, root, joinrel, outerrel, innerrel,
									   jointype, extra, target);
		run_set_outcome(rec, method == JOIN_ROWS_REBUILT_KEEPING_OTHER_PAIRS
						? PUSH_APPLIED_MIXED_PAIRS : PUSH_APPLIED);
	}
	rec->rows = joinrel->rows;
	return method != JOIN_ROWS_IN_PLACE;
}

/*
 * A child join of a partitionwise join: scales it by the factor its parent
 * join was pushed by, so that the Append of the child joins carries (about)
 * the parent's pushed rows.  Returns true if its paths were rebuilt.
 */
static bool
push_child_join(PilotRun *run, PlannerInfo *root, RelOptInfo *joinrel,
				RelOptInfo *outerrel, RelOptInfo *innerrel, JoinType jointype,
				JoinPathExtraData *extra)
{
	RelSetRecord *parent = run_find_relset(run, root, joinrel->top_parent_relids);
	RelSetRecord *child;
	double		parent_target;
	double		target;

	if (parent == NULL || parent->planner_rows <= 0 ||
		!run_target_rows(run, parent, &parent_target))
		return false;
	child = run_child_join(run, root, joinrel->relids);
	if (child->planner_rows < 0)
		child->planner_rows = joinrel->rows;
	target = clamp_row_est(child->planner_rows * (parent_target / parent->planner_rows));
	if (joinrel->rows == target)
		return false;
	return set_join_rel_rows(run, root, joinrel, outerrel, innerrel, jointype, extra,
							 target) != JOIN_ROWS_IN_PLACE;
}

static void
pilotscope_set_join_pathlist(PlannerInfo *root, RelOptInfo *joinrel,
							 RelOptInfo *outerrel, RelOptInfo *innerrel,
							 JoinType jointype, JoinPathExtraData *extra)
{
	PilotRun   *run = active_run;

	/*
	 * Our own rebuild calls add_paths_to_joinrel, which calls this hook
	 * again: then only the previous hook runs.
	 */
	if (run != NULL && !run->in_join_rebuild)
	{
		bool		rebuilt = false;

		if (joinrel->reloptkind == RELOPT_JOINREL)
			rebuilt = push_join_rel(run, root, joinrel, outerrel, innerrel, jointype, extra);
		else if (joinrel->reloptkind == RELOPT_OTHER_JOINREL)
			rebuilt = push_child_join(run, root, joinrel, outerrel, innerrel, jointype, extra);
		if (rebuilt)
			return;
	}
	if (prev_set_join_pathlist_hook)
		prev_set_join_pathlist_hook(root, joinrel, outerrel, innerrel, jointype, extra);
}

/*
 * A partitionwise join's Append sums its child joins, which were scaled one
 * by one by the factor of the parent's push.  On the top join (whose Append
 * the planner builds again from the children when it applies the final
 * target) the children are scaled to sum to the pushed rows exactly; below
 * the top they have been used already, so a sum off the pushed value is
 * reported.
 */
static void
finish_partitionwise_join(RelSetRecord *rec, RelOptInfo *joinrel, double target, bool is_top)
{
	double		sum = 0;
	int			i;

	for (i = 0; i < joinrel->nparts; i++)
	{
		RelOptInfo *child = joinrel->part_rels[i];

		if (child != NULL && !IS_DUMMY_REL(child))
			sum += child->rows;
	}
	if (sum <= 0 || fabs(sum - target) <= joinrel->nparts)
		return;					/* rounding only */
	if (!is_top)
	{
		run_set_outcome(rec, PUSH_APPLIED_PARTITIONWISE);
		return;
	}
	for (i = 0; i < joinrel->nparts; i++)
	{
		RelOptInfo *child = joinrel->part_rels[i];

		if (child != NULL && !IS_DUMMY_REL(child))
		{
			child->rows = clamp_row_est(child->rows * (target / sum));
			patch_path_rows(child);
		}
	}
	patch_path_rows(joinrel);
}

/*
 * After the search: record the join relations it kept, and deal with pushed
 * values that no set_join_pathlist_hook call could apply.  PostgreSQL skips
 * that hook when the join's restriction list holds a pseudoconstant clause
 * (e.g. "now() > '2000-01-01'"), which it places at the top join.  The top
 * join's rows only matter above the join search, so they are patched; a join
 * below (possible under outer joins) has already been used, so it is
 * reported as not applied.
 */
static void
finish_join_search(PilotRun *run, PlannerInfo *root, int first_new, RelOptInfo *final_rel)
{
	int			i;

	for (i = first_new; i < list_length(root->join_rel_list); i++)
	{
		RelOptInfo *joinrel = (RelOptInfo *) list_nth(root->join_rel_list, i);
		RelSetRecord *rec;
		double		target;

		if (joinrel->reloptkind != RELOPT_JOINREL)
			continue;
		rec = run_relset(run, root, joinrel->relids, true);
		if (rec->planner_rows < 0)
			rec->planner_rows = joinrel->rows;
		if (run_target_rows(run, rec, &target) && joinrel->rows != target)
		{
			if (joinrel == final_rel)
			{
				joinrel->rows = target;
				patch_path_rows(joinrel);
				run_set_outcome(rec, PUSH_APPLIED_PSEUDO_TOP);
			}
			else
				run_set_outcome(rec, PUSH_FAILED_PSEUDOCONSTANT);
		}
		else if (rec->entry >= 0 && joinrel->nparts > 0 && joinrel->part_rels != NULL)
			finish_partitionwise_join(rec, joinrel, target, joinrel == final_rel);
		rec->rows = joinrel->rows;
	}
}

/* The join search make_rel_from_joinlist() would have run without us. */
static RelOptInfo *
run_join_search(PlannerInfo *root, int levels_needed, List *initial_rels, bool *used_geqo)
{
	*used_geqo = false;
	if (prev_join_search_hook)
		return prev_join_search_hook(root, levels_needed, initial_rels);
	if (enable_geqo && levels_needed >= geqo_threshold)
	{
		*used_geqo = true;
		return geqo(root, levels_needed, initial_rels);
	}
	return standard_join_search(root, levels_needed, initial_rels);
}

static RelOptInfo *
pilotscope_join_search(PlannerInfo *root, int levels_needed, List *initial_rels)
{
	PilotRun   *run = active_run;
	int			first_new;
	bool		used_geqo;
	RelOptInfo *final_rel;

	if (run == NULL)
		return run_join_search(root, levels_needed, initial_rels, &used_geqo);

	first_new = list_length(root->join_rel_list);
	final_rel = run_join_search(root, levels_needed, initial_rels, &used_geqo);
	if (used_geqo)
		run_note_geqo(run, root);
	finish_join_search(run, root, first_new, final_rel);
	return final_rel;
}

void
pilotscope_install_path_hooks(void)
{
	prev_set_rel_pathlist_hook = set_rel_pathlist_hook;
	set_rel_pathlist_hook = pilotscope_set_rel_pathlist;
	prev_set_join_pathlist_hook = set_join_pathlist_hook;
	set_join_pathlist_hook = pilotscope_set_join_pathlist;
	prev_join_search_hook = join_search_hook;
	join_search_hook = pilotscope_join_search;
}
