/*
 * run.h
 *		State of one planner run that pushes or pulls cardinalities, and the
 *		published result of the last such run.
 *
 * A "run" is one top-level call of the planner while a payload is set or
 * collection is on.  It owns a memory context of its own (never the
 * planner's, which GEQO recycles between tours): every relation set the
 * planner builds is recorded there, keyed by (PlannerInfo, relids), with the
 * payload entry that matches its alias set.  When planning ends the run is
 * finished (join types, SQL, the push report) and, if it planned at least one
 * table, published: it replaces the previously published run.
 */
#ifndef PILOTSCOPE_RUN_H
#define PILOTSCOPE_RUN_H

#include "postgres.h"

#include "nodes/pathnodes.h"
#include "payload.h"

/* What happened to a pushed value for one relation set. */
typedef enum PushOutcome
{
	PUSH_NONE = 0,				/* no pushed value for this set */
	PUSH_APPLIED,				/* applied; every path costed with it */
	/* applied, with a caveat (applied = true, reason set) */
	PUSH_APPLIED_NOT_PLAIN,		/* not a plain table: paths patched, not recosted */
	PUSH_APPLIED_PSEUDO_TOP,	/* pseudoconstant clause: final rel patched */
	PUSH_APPLIED_MIXED_PAIRS,	/* some input pairs had a pseudoconstant clause */
	PUSH_APPLIED_PARTITIONWISE, /* child joins below the top sum to other rows */
	PUSH_APPLIED_PARAMETERIZED, /* the plan scans this set with a parameterized path */
	/* not applied (applied = false) */
	PUSH_FAILED_PSEUDOCONSTANT, /* no hook runs for this join */
	PUSH_FAILED_EMPTY			/* the planner proved the relation empty */
} PushOutcome;

/* The planner's relation at one query level, with our names for it. */
typedef struct RootInfo
{
	PlannerInfo *root;			/* valid only while planning */
	int			level;
	int			nslots;			/* simple_rel_array_size when named */
	char	  **names;			/* unique alias per rtindex; NULL if no baserel */
	char	  **relnames;		/* table name per rtindex; NULL if not a table */
	bool		sizes_pushed;	/* base relation sizes replaced */
	bool		geqo_used;
	/* built on demand when deparsing SQL, in planner memory */
	List	   *deparse_context;
	struct HTAB *clause_texts;	/* RestrictInfo -> deparsed text */
} RootInfo;

/* One relation set the planner built. */
typedef struct RelSetRecord
{
	PlannerInfo *root;			/* valid only while planning */
	RootInfo   *root_info;
	Bitmapset  *relids;			/* copy in the run's context */
	int			level;
	bool		is_join;
	bool		is_child;		/* a partitionwise child join: never output */
	int			nrels;
	char	  **aliases;		/* sorted: the key order */
	int		   *alias_relids;	/* rtindex of each alias */
	char	   *key;			/* aliases, each followed by NUL */
	uint32		key_len;
	int32		entry;			/* matching payload entry, or -1 */
	double		planner_rows;	/* the planner's own estimate */
	double		rows;			/* the rows it ended up with */
	PushOutcome outcome;
	int			seq;			/* order of first sight */
	const char *join_type;		/* set when finished; NULL for base sets */
	char	   *sql;			/* set when finished, if asked for */
} RelSetRecord;

/* The push report line of one payload entry. */
typedef struct EntryReport
{
	int			level;			/* PS_LEVEL_ANY = any */
	int			nrels;
	char	  **aliases;
	double		rows;
	int			matched;		/* relation sets with this key */
	bool		applied;
	const char *reason;
} EntryReport;

typedef struct PilotRun
{
	MemoryContext cxt;
	PsPayload  *payload;		/* private copy, or NULL */
	bool		collect_sql;
	bool		planned_table;	/* at least one plain table was planned */
	bool		in_join_rebuild;	/* our own add_paths_to_joinrel call */

	struct relset_map_hash *relset_map;
	RelSetRecord **records;
	int			nrecords;
	int			records_cap;
	struct root_map_hash *root_map;

	/* filled by run_finish */
	RelSetRecord **sorted;		/* output order (child joins left out) */
	int			nsorted;
	EntryReport *report;
	int			nreport;
} PilotRun;

/* The run the planner is inside of, or NULL (inert). */
extern PilotRun *active_run;

extern PilotRun *run_begin(const PsPayload *payload, bool collect_sql);
extern void run_discard(PilotRun *run);
extern void run_finish_and_publish(PilotRun *run, int cursorOptions);
extern PilotRun *published_run(void);

/* Finds or creates the record of a relation set (planner memory is not kept). */
extern RelSetRecord *run_relset(PilotRun *run, PlannerInfo *root,
								Relids relids, bool is_join);

/*
 * Finds or creates the record of a child join of a partitionwise join.  It
 * only remembers the child's own estimate; it has no key and is not output.
 */
extern RelSetRecord *run_child_join(PilotRun *run, PlannerInfo *root, Relids relids);

/* The record of a relation set if the run has one; never creates one. */
extern RelSetRecord *run_find_relset(PilotRun *run, PlannerInfo *root, Relids relids);

/* Our description of a query level (created on first use). */
extern RootInfo *run_root(PilotRun *run, PlannerInfo *root);

/* Notes that GEQO searched the joins of this query level. */
extern void run_note_geqo(PilotRun *run, PlannerInfo *root);

/* The pushed rows for a record, clamped as the planner clamps; false if none. */
extern bool run_target_rows(PilotRun *run, RelSetRecord *rec, double *rows);

/* Records an outcome; a caveat or failure is never downgraded to clean. */
extern void run_set_outcome(RelSetRecord *rec, PushOutcome outcome);

extern bool outcome_applied(PushOutcome outcome);
extern const char *outcome_reason(PushOutcome outcome);

#endif							/* PILOTSCOPE_RUN_H */
