/*
 * run.c
 *		Recording relation sets during one planner run; finishing and
 *		publishing the run.
 *
 * Relation sets are keyed by (PlannerInfo pointer, relids).  PlannerInfo
 * structs live until the planner returns, so the pointer identifies one
 * query level of one statement; the relids are copied into the run's own
 * context because GEQO builds join relations in memory it frees after each
 * tour.  Lookups go through simplehash tables; nothing scans a list.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "nodes/bitmapset.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "pilotscope.h"
#include "run.h"

PilotRun   *active_run = NULL;

static PilotRun *last_published = NULL;

/* ---------- hash tables ---------- */

typedef struct RelSetKey
{
	PlannerInfo *root;
	Bitmapset  *relids;
} RelSetKey;

typedef struct RelSetSlot
{
	RelSetKey	key;
	uint32		hash;
	char		status;
	int			index;			/* into PilotRun.records */
} RelSetSlot;

static inline uint32
relset_key_hash(RelSetKey key)
{
	uint32		h = murmurhash32((uint32) (uintptr_t) key.root);

	return hash_combine(h, bms_hash_value(key.relids));
}

#define SH_PREFIX relset_map
#define SH_ELEMENT_TYPE RelSetSlot
#define SH_KEY_TYPE RelSetKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) relset_key_hash(k)
#define SH_EQUAL(tb, a, b) ((a).root == (b).root && bms_equal((a).relids, (b).relids))
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct RootSlot
{
	PlannerInfo *root;
	char		status;
	RootInfo   *info;
} RootSlot;

#define SH_PREFIX root_map
#define SH_ELEMENT_TYPE RootSlot
#define SH_KEY_TYPE PlannerInfo *
#define SH_KEY root
#define SH_HASH_KEY(tb, k) murmurhash32((uint32) (uintptr_t) (k))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* ---------- run lifetime ---------- */

PilotRun *
run_begin(const PsPayload *payload, bool collect_sql)
{
	MemoryContext cxt;
	MemoryContext old;
	PilotRun   *run;

	cxt = AllocSetContextCreate(TopMemoryContext, "pilotscope run",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	run = palloc0(sizeof(PilotRun));
	run->cxt = cxt;
	run->collect_sql = collect_sql;
	if (payload != NULL)
	{
		/* a private copy: a set_config() during planning must not free ours */
		size_t		size = ps_payload_size(payload);

		run->payload = palloc(size);
		memcpy(run->payload, payload, size);
	}
	run->relset_map = relset_map_create(cxt, 64, NULL);
	run->root_map = root_map_create(cxt, 8, NULL);
	run->records_cap = 64;
	run->records = palloc(sizeof(RelSetRecord *) * run->records_cap);
	MemoryContextSwitchTo(old);
	return run;
}

void
run_discard(PilotRun *run)
{
	if (run != NULL && run != last_published)
		MemoryContextDelete(run->cxt);
}

PilotRun *
published_run(void)
{
	return last_published;
}

/* ---------- naming the relations of a query level ---------- */

/* True if two of the n names are equal. */
static bool
has_duplicate_names(char **names, int n)
{
	char	  **sorted;
	int			count = 0;
	int			i;
	bool		dup = false;

	sorted = palloc(sizeof(char *) * (n > 0 ? n : 1));
	for (i = 0; i < n; i++)
		if (names[i] != NULL)
			sorted[count++] = names[i];
	qsort(sorted, count, sizeof(char *), pg_qsort_strcmp);
	for (i = 1; i < count && !dup; i++)
		dup = strcmp(sorted[i - 1], sorted[i]) == 0;
	pfree(sorted);
	return dup;
}

static HTAB *
name_set_create(const char *what, long size)
{
	HASHCTL		ctl;

	ctl.keysize = NAMEDATALEN + 16;
	ctl.entrysize = ctl.keysize;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(what, size, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
}

static bool
name_set_has(HTAB *set, const char *name)
{
	bool		found;

	hash_search(set, name, HASH_FIND, &found);
	return found;
}

static void
name_set_add(HTAB *set, const char *name)
{
	hash_search(set, name, HASH_ENTER, NULL);
}

/*
 * Gives every base relation of the query level a unique name.  A relation
 * keeps its range-table alias; when an alias repeats (a pulled-up subquery or
 * view reusing "p"), the later ones in range-table order become "p_1",
 * "p_2", ..., skipping names any relation of the level already has.  This is
 * the scheme EXPLAIN uses for the same situation.
 */
static void
name_relations(RootInfo *info, PlannerInfo *root)
{
	int			n = root->simple_rel_array_size;
	int			rti;
	char	  **original = palloc0(sizeof(char *) * n);

	info->nslots = n;
	info->names = palloc0(sizeof(char *) * n);
	info->relnames = palloc0(sizeof(char *) * n);
	for (rti = 1; rti < n; rti++)
	{
		RelOptInfo *rel = root->simple_rel_array[rti];
		RangeTblEntry *rte = root->simple_rte_array[rti];

		if (rel == NULL || rel->reloptkind != RELOPT_BASEREL || rte == NULL)
			continue;
		original[rti] = rte->eref->aliasname;
		if (rte->rtekind == RTE_RELATION)
			info->relnames[rti] = get_rel_name(rte->relid);
	}

	if (!has_duplicate_names(original, n))
	{
		for (rti = 1; rti < n; rti++)
			if (original[rti] != NULL)
				info->names[rti] = pstrdup(original[rti]);
	}
	else
	{
		HTAB	   *taken = name_set_create("pilotscope original names", n);
		HTAB	   *given = name_set_create("pilotscope given names", n);

		for (rti = 1; rti < n; rti++)
			if (original[rti] != NULL)
				name_set_add(taken, original[rti]);
		for (rti = 1; rti < n; rti++)
		{
			char	   *name = original[rti];
			int			suffix = 0;

			if (name == NULL)
				continue;
			while (name_set_has(given, name))
			{
				name = psprintf("%s_%d", original[rti], ++suffix);
				if (name_set_has(taken, name))
					name = original[rti];	/* keep looking */
			}
			info->names[rti] = pstrdup(name);
			name_set_add(given, name);
		}
		hash_destroy(taken);
		hash_destroy(given);
	}
	pfree(original);
}

RootInfo *
run_root(PilotRun *run, PlannerInfo *root)
{
	bool		found;
	RootSlot   *slot = root_map_insert(run->root_map, root, &found);

	if (!found || slot->info->nslots < root->simple_rel_array_size)
	{
		MemoryContext old = MemoryContextSwitchTo(run->cxt);
		RootInfo   *info = palloc0(sizeof(RootInfo));

		info->root = root;
		info->level = (int) root->query_level;
		name_relations(info, root);
		slot->info = info;
		MemoryContextSwitchTo(old);
	}
	return slot->info;
}

/* ---------- relation sets ---------- */

typedef struct NamedRel
{
	char	   *name;
	int			rti;
} NamedRel;

static int
compare_named_rels(const void *a, const void *b)
{
	return strcmp(((const NamedRel *) a)->name, ((const NamedRel *) b)->name);
}

/* Fills the record's aliases (sorted), their rtindexes and the lookup key. */
static void
describe_relset(RelSetRecord *rec, RootInfo *info)
{
	NamedRel   *members;
	int			n = bms_num_members(rec->relids);
	int			rti = -1;
	int			i = 0;
	Size		key_len = 0;
	char	   *pos;

	members = palloc(sizeof(NamedRel) * n);
	while ((rti = bms_next_member(rec->relids, rti)) >= 0)
	{
		char	   *name = rti < info->nslots ? info->names[rti] : NULL;

		/* cannot happen for relations the planner joins; stay printable */
		if (name == NULL)
			name = psprintf("#%d", rti);
		members[i].name = name;
		members[i].rti = rti;
		key_len += strlen(name) + 1;
		i++;
	}
	qsort(members, n, sizeof(NamedRel), compare_named_rels);

	rec->nrels = n;
	rec->aliases = palloc(sizeof(char *) * n);
	rec->alias_relids = palloc(sizeof(int) * n);
	rec->key = palloc(key_len);
	rec->key_len = (uint32) key_len;
	pos = rec->key;
	for (i = 0; i < n; i++)
	{
		Size		len = strlen(members[i].name) + 1;

		rec->aliases[i] = members[i].name;
		rec->alias_relids[i] = members[i].rti;
		memcpy(pos, members[i].name, len);
		pos += len;
	}
	pfree(members);
}

static void
match_payload(PilotRun *run, RelSetRecord *rec)
{
	uint32		hash;

	rec->entry = -1;
	if (run->payload == NULL)
		return;
	hash = ps_key_hash(rec->key, rec->key_len);
	rec->entry = ps_payload_find(run->payload, rec->level, rec->key, rec->key_len, hash);
	if (rec->entry < 0)
		rec->entry = ps_payload_find(run->payload, PS_LEVEL_ANY, rec->key, rec->key_len, hash);
}

/* Creates the record for a new slot (in the run's context). */
static RelSetRecord *
new_record(PilotRun *run, RelSetSlot *slot, PlannerInfo *root, Relids relids)
{
	RelSetRecord *rec;

	/* the slot must not point into planner memory, which GEQO frees */
	slot->key.relids = bms_copy(relids);

	rec = palloc0(sizeof(RelSetRecord));
	rec->root = root;
	rec->relids = slot->key.relids;
	rec->level = (int) root->query_level;
	rec->planner_rows = -1;
	rec->rows = -1;
	rec->entry = -1;
	rec->seq = run->nrecords;

	if (run->nrecords == run->records_cap)
	{
		run->records_cap *= 2;
		run->records = repalloc(run->records, sizeof(RelSetRecord *) * run->records_cap);
	}
	run->records[run->nrecords] = rec;
	slot->index = run->nrecords++;
	return rec;
}

RelSetRecord *
run_relset(PilotRun *run, PlannerInfo *root, Relids relids, bool is_join)
{
	RelSetKey	key;
	RelSetSlot *slot;
	bool		found;
	MemoryContext old;
	RelSetRecord *rec;

	key.root = root;
	key.relids = relids;
	slot = relset_map_insert(run->relset_map, key, &found);
	if (found)
		return run->records[slot->index];

	old = MemoryContextSwitchTo(run->cxt);
	rec = new_record(run, slot, root, relids);
	rec->is_join = is_join;
	rec->root_info = run_root(run, root);
	describe_relset(rec, rec->root_info);
	match_payload(run, rec);
	MemoryContextSwitchTo(old);
	return rec;
}

RelSetRecord *
run_child_join(PilotRun *run, PlannerInfo *root, Relids relids)
{
	RelSetKey	key;
	RelSetSlot *slot;
	bool		found;
	MemoryContext old;
	RelSetRecord *rec;

	key.root = root;
	key.relids = relids;
	slot = relset_map_insert(run->relset_map, key, &found);
	if (found)
		return run->records[slot->index];

	old = MemoryContextSwitchTo(run->cxt);
	rec = new_record(run, slot, root, relids);
	rec->is_join = true;
	rec->is_child = true;
	MemoryContextSwitchTo(old);
	return rec;
}

RelSetRecord *
run_find_relset(PilotRun *run, PlannerInfo *root, Relids relids)
{
	RelSetKey	key;
	RelSetSlot *slot;

	key.root = root;
	key.relids = relids;
	slot = relset_map_lookup(run->relset_map, key);
	return slot == NULL ? NULL : run->records[slot->index];
}

void
run_note_geqo(PilotRun *run, PlannerInfo *root)
{
	run_root(run, root)->geqo_used = true;
}

bool
run_target_rows(PilotRun *run, RelSetRecord *rec, double *rows)
{
	if (rec->entry < 0)
		return false;
	*rows = clamp_row_est(ps_payload_entry(run->payload, (uint32) rec->entry)->rows);
	return true;
}

/* ---------- outcomes ---------- */

bool
outcome_applied(PushOutcome outcome)
{
	return outcome >= PUSH_APPLIED && outcome <= PUSH_APPLIED_PARAMETERIZED;
}

const char *
outcome_reason(PushOutcome outcome)
{
	switch (outcome)
	{
		case PUSH_NONE:
		case PUSH_APPLIED:
			return NULL;
		case PUSH_APPLIED_NOT_PLAIN:
			return "not a plain table scan: rows set on its existing paths, which were not recosted";
		case PUSH_APPLIED_PSEUDO_TOP:
			return "pseudoconstant join clause: rows set on the finished paths of the top join, which were not recosted";
		case PUSH_APPLIED_MIXED_PAIRS:
			return "pseudoconstant join clause on some input pairs: their paths were not recosted";
		case PUSH_APPLIED_PARTITIONWISE:
			return "partitionwise join: the Append over its child joins carries their summed rows, not exactly the pushed value";
		case PUSH_APPLIED_PARAMETERIZED:
			return "parameterized path size not overridden: the plan scans this set with a parameterized path, whose rows are per outer row";
		case PUSH_FAILED_PSEUDOCONSTANT:
			return "pseudoconstant join clause: PostgreSQL calls no extension hook for this join";
		case PUSH_FAILED_EMPTY:
			return "the planner proved the relation empty";
	}
	return NULL;
}

void
run_set_outcome(RelSetRecord *rec, PushOutcome outcome)
{
	bool		current_failed = rec->outcome != PUSH_NONE && !outcome_applied(rec->outcome);

	/* failures win over caveats, caveats over a clean application */
	if (!outcome_applied(outcome))
		rec->outcome = outcome;
	else if (outcome != PUSH_APPLIED)
	{
		if (!current_failed)
			rec->outcome = outcome;
	}
	else if (rec->outcome == PUSH_NONE)
		rec->outcome = outcome;
}

/* ---------- finishing ---------- */

/*
 * The join types evaluated inside a relation set: a special (outer, semi or
 * anti) join is inside when both its minimal sides are.
 */
static const char *
relset_join_type(PlannerInfo *root, Relids relids)
{
	bool		left = false;
	bool		full = false;
	bool		semi = false;
	bool		anti = false;
	ListCell   *lc;
	StringInfoData buf;

	foreach(lc, root->join_info_list)
	{
		SpecialJoinInfo *sj = (SpecialJoinInfo *) lfirst(lc);

		if (!bms_is_subset(sj->min_lefthand, relids) ||
			!bms_is_subset(sj->min_righthand, relids))
			continue;
		switch (sj->jointype)
		{
			case JOIN_LEFT:
				left = true;
				break;
			case JOIN_FULL:
				full = true;
				break;
			case JOIN_SEMI:
				semi = true;
				break;
			case JOIN_ANTI:
				anti = true;
				break;
			default:
				break;
		}
	}
	if (!left && !full && !semi && !anti)
		return "inner";
	initStringInfo(&buf);
	if (left)
		appendStringInfoString(&buf, ",left");
	if (full)
		appendStringInfoString(&buf, ",full");
	if (semi)
		appendStringInfoString(&buf, ",semi");
	if (anti)
		appendStringInfoString(&buf, ",anti");
	return buf.data + 1;
}

static int
compare_records(const void *a, const void *b)
{
	const RelSetRecord *x = *(const RelSetRecord *const *) a;
	const RelSetRecord *y = *(const RelSetRecord *const *) b;
	int			c;

	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	if (x->nrels != y->nrels)
		return x->nrels < y->nrels ? -1 : 1;
	c = memcmp(x->key, y->key, Min(x->key_len, y->key_len));
	if (c != 0)
		return c;
	if (x->key_len != y->key_len)
		return x->key_len < y->key_len ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq ? 1 : 0);
}

/* Splits a payload key ("b\0p\0") into palloc'd alias strings. */
static char **
split_key(const char *key, uint32 key_len, int nrels)
{
	char	  **aliases = palloc(sizeof(char *) * nrels);
	const char *pos = key;
	int			i;

	for (i = 0; i < nrels && pos < key + key_len; i++)
	{
		aliases[i] = pstrdup(pos);
		pos += strlen(pos) + 1;
	}
	return aliases;
}

static bool
geqo_used_at(PilotRun *run, int level)
{
	root_map_iterator it;
	RootSlot   *slot;
	bool		used = false;

	root_map_start_iterate(run->root_map, &it);
	while ((slot = root_map_iterate(run->root_map, &it)) != NULL)
		if (slot->info->geqo_used && (level == PS_LEVEL_ANY || slot->info->level == level))
			used = true;
	return used;
}

static void
build_report(PilotRun *run)
{
	uint32		n = ps_payload_count(run->payload);
	uint32		e;
	int			i;
	int		   *failed;

	run->nreport = (int) n;
	if (n == 0)
		return;
	run->report = palloc0(sizeof(EntryReport) * n);
	failed = palloc0(sizeof(int) * n);
	for (e = 0; e < n; e++)
	{
		const PsEntry *entry = ps_payload_entry(run->payload, e);
		EntryReport *r = &run->report[e];

		r->level = entry->level;
		r->nrels = (int) entry->nrels;
		r->aliases = split_key(ps_entry_key(run->payload, entry), entry->key_len, r->nrels);
		r->rows = entry->rows;
	}
	for (i = 0; i < run->nrecords; i++)
	{
		RelSetRecord *rec = run->records[i];
		EntryReport *r;

		if (rec->entry < 0)
			continue;
		r = &run->report[rec->entry];
		r->matched++;
		if (!outcome_applied(rec->outcome))
		{
			failed[rec->entry]++;
			r->reason = outcome_reason(rec->outcome);
		}
		else if (failed[rec->entry] == 0 && r->reason == NULL)
			r->reason = outcome_reason(rec->outcome);
	}
	for (e = 0; e < n; e++)
	{
		EntryReport *r = &run->report[e];

		r->applied = r->matched > 0 && failed[e] == 0;
		if (r->matched == 0)
			r->reason = geqo_used_at(run, r->level)
				? "no matching relation set: GEQO built no such join in any tour"
				: "no matching relation set";
	}
	pfree(failed);
}

void
run_finish_and_publish(PilotRun *run, int cursorOptions)
{
	MemoryContext old;
	int			i;

	if (!run->planned_table)
	{
		/* e.g. SELECT set_config(...) or reading our own functions */
		run_discard(run);
		return;
	}
	/* planner-side work (deparsing) allocates in the planner's memory; only results are kept */
	run_mark_parameterized(run, cursorOptions);
	for (i = 0; i < run->nrecords; i++)
	{
		RelSetRecord *rec = run->records[i];
		char	   *sql;

		if (rec->is_child)
			continue;
		if (rec->is_join)
			rec->join_type = MemoryContextStrdup(run->cxt, relset_join_type(rec->root, rec->relids));
		if (run->collect_sql && (!rec->is_join || strcmp(rec->join_type, "inner") == 0))
		{
			sql = relset_count_sql(rec);
			if (sql != NULL)
				rec->sql = MemoryContextStrdup(run->cxt, sql);
		}
	}
	old = MemoryContextSwitchTo(run->cxt);
	build_report(run);
	run->sorted = palloc(sizeof(RelSetRecord *) * Max(run->nrecords, 1));
	run->nsorted = 0;
	for (i = 0; i < run->nrecords; i++)
		if (!run->records[i]->is_child)
			run->sorted[run->nsorted++] = run->records[i];
	qsort(run->sorted, run->nsorted, sizeof(RelSetRecord *), compare_records);

	/* planner memory goes away with the statement: forget every pointer to it */
	for (i = 0; i < run->nrecords; i++)
		run->records[i]->root = NULL;
	MemoryContextSwitchTo(old);
	{
		root_map_iterator it;
		RootSlot   *slot;

		root_map_start_iterate(run->root_map, &it);
		while ((slot = root_map_iterate(run->root_map, &it)) != NULL)
		{
			slot->info->root = NULL;
			slot->info->deparse_context = NIL;
			slot->info->clause_texts = NULL;
		}
	}

	/* nothing below can fail: swap in the new result */
	if (last_published != NULL)
		MemoryContextDelete(last_published->cxt);
	last_published = run;
}
