/*
 * deparse.c
 *		SELECT count(*) text of a relation set, so that a client can measure
 *		its true cardinality.
 *
 * The text joins the set's tables under their (unique) aliases and ANDs the
 * clauses the planner evaluates inside the set: each member's restriction
 * clauses, the join clauses whose relations all belong to the set, and the
 * equalities the set's equivalence classes imply (generated the way the
 * planner generates them when it joins the members one by one).  Only inner
 * joins of plain tables are described; anything whose meaning the text could
 * not carry (parameters, sub-plans, placeholders of outer joins) gives NULL.
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "lib/stringinfo.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "optimizer/paths.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"

#include "pilotscope.h"

typedef struct ClauseCheck
{
	Relids		relids;
	bool		ok;
} ClauseCheck;

/* True for the expression nodes the text can carry as they are. */
static bool
clause_walker(Node *node, ClauseCheck *check)
{
	if (node == NULL || !check->ok)
		return false;
	switch (nodeTag(node))
	{
		case T_Var:
			{
				Var		   *var = (Var *) node;

				if (var->varlevelsup != 0 || !bms_is_member((int) var->varno, check->relids))
					check->ok = false;
				return false;
			}
		case T_Const:
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
		case T_ScalarArrayOpExpr:
		case T_BoolExpr:
		case T_FuncExpr:
		case T_RelabelType:
		case T_CoerceViaIO:
		case T_CollateExpr:
		case T_CaseExpr:
		case T_CaseWhen:
		case T_CaseTestExpr:
		case T_ArrayExpr:
		case T_RowExpr:
		case T_CoalesceExpr:
		case T_MinMaxExpr:
		case T_SQLValueFunction:
		case T_NullTest:
		case T_BooleanTest:
		case T_List:
			break;
		default:
			check->ok = false;
			return false;
	}
	return expression_tree_walker(node, clause_walker, (void *) check);
}

static void
add_clause(List **clauses, RestrictInfo *rinfo)
{
	if (!list_member_ptr(*clauses, rinfo))
		*clauses = lappend(*clauses, rinfo);
}

/* The clauses evaluated inside the set, in a stable order. */
static List *
relset_clauses(PlannerInfo *root, Relids relids)
{
	List	   *clauses = NIL;
	Relids		joined = NULL;
	int			rti = -1;
	ListCell   *lc;

	while ((rti = bms_next_member(relids, rti)) >= 0)
	{
		RelOptInfo *rel = root->simple_rel_array[rti];

		foreach(lc, rel->baserestrictinfo)
			add_clause(&clauses, (RestrictInfo *) lfirst(lc));
	}
	rti = -1;
	while ((rti = bms_next_member(relids, rti)) >= 0)
	{
		RelOptInfo *rel = root->simple_rel_array[rti];

		foreach(lc, rel->joininfo)
		{
			RestrictInfo *rinfo = (RestrictInfo *) lfirst(lc);

			if (bms_is_subset(rinfo->required_relids, relids))
				add_clause(&clauses, rinfo);
		}
	}
	rti = -1;
	while ((rti = bms_next_member(relids, rti)) >= 0)
	{
		RelOptInfo *rel = root->simple_rel_array[rti];

		if (joined != NULL)
		{
			Relids		with_rel = bms_add_member(bms_copy(joined), rti);

			foreach(lc, generate_join_implied_equalities(root, with_rel, joined, rel))
				add_clause(&clauses, (RestrictInfo *) lfirst(lc));
		}
		joined = bms_add_member(joined, rti);
	}
	return clauses;
}

typedef struct ClauseText
{
	RestrictInfo *rinfo;		/* key */
	char	   *text;
} ClauseText;

/*
 * The text of a clause; the same RestrictInfo recurs in many relation sets
 * (equivalence-class clauses too: the planner caches them), so each is
 * deparsed once per query level.
 */
static const char *
clause_text(RootInfo *info, List *context, RestrictInfo *rinfo)
{
	ClauseText *entry;
	bool		found;

	if (info->clause_texts == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(RestrictInfo *);
		ctl.entrysize = sizeof(ClauseText);
		ctl.hcxt = CurrentMemoryContext;
		info->clause_texts = hash_create("pilotscope clause texts", 64, &ctl,
										 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(info->clause_texts, &rinfo, HASH_ENTER, &found);
	if (!found)
		entry->text = deparse_expression((Node *) rinfo->clause, context, true, false);
	return entry->text;
}

/* A deparse context naming every range-table entry of the level. */
static List *
deparse_context(RootInfo *info, PlannerInfo *root)
{
	PlannedStmt *stmt;
	List	   *names = NIL;
	ListCell   *lc;
	int			rti = 0;

	if (info->deparse_context != NIL)
		return info->deparse_context;
	foreach(lc, root->parse->rtable)
	{
		RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);

		rti++;
		if (rti < info->nslots && info->names[rti] != NULL)
			names = lappend(names, info->names[rti]);
		else
			names = lappend(names, rte->eref->aliasname);
	}
	stmt = makeNode(PlannedStmt);
	stmt->rtable = root->parse->rtable;
	info->deparse_context = deparse_context_for_plan_tree(stmt, names);
	return info->deparse_context;
}

char *
relset_count_sql(RelSetRecord *rec)
{
	PlannerInfo *root = rec->root;
	RootInfo   *info = rec->root_info;
	StringInfoData sql;
	ClauseCheck check;
	List	   *clauses;
	List	   *context;
	ListCell   *lc;
	int			rti = -1;
	bool		first = true;

	/* only plain tables can be named in FROM */
	while ((rti = bms_next_member(rec->relids, rti)) >= 0)
	{
		RangeTblEntry *rte = planner_rt_fetch(rti, root);

		if (rte->rtekind != RTE_RELATION || rte->tablesample != NULL ||
			rti >= info->nslots || info->names[rti] == NULL)
			return NULL;
	}

	clauses = relset_clauses(root, rec->relids);
	check.relids = rec->relids;
	check.ok = true;
	foreach(lc, clauses)
		clause_walker((Node *) ((RestrictInfo *) lfirst(lc))->clause, &check);
	if (!check.ok)
		return NULL;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT count(*) FROM ");
	rti = -1;
	while ((rti = bms_next_member(rec->relids, rti)) >= 0)
	{
		RangeTblEntry *rte = planner_rt_fetch(rti, root);
		char	   *relname = get_rel_name(rte->relid);
		char	   *nspname = get_namespace_name(get_rel_namespace(rte->relid));

		if (relname == NULL || nspname == NULL)
			return NULL;		/* dropped concurrently */
		appendStringInfo(&sql, "%s%s%s AS %s",
						 first ? "" : ", ",
						 (!rte->inh && get_rel_relkind(rte->relid) != RELKIND_PARTITIONED_TABLE &&
						  has_subclass(rte->relid)) ? "ONLY " : "",
						 quote_qualified_identifier(nspname, relname),
						 quote_identifier(info->names[rti]));
		first = false;
	}
	context = deparse_context(info, root);
	first = true;
	foreach(lc, clauses)
	{
		RestrictInfo *rinfo = (RestrictInfo *) lfirst(lc);

		appendStringInfoString(&sql, first ? " WHERE " : " AND ");
		appendStringInfoString(&sql, clause_text(info, context, rinfo));
		first = false;
	}
	return sql.data;
}
