/*
 * cardcheck.c
 *		Pull, count and push every relation set of a workload, and time the
 *		planner with and without the extension's work.
 *
 *	cardcheck check  <conninfo> <queries.sql> [limit]
 *		For every query (one per line): pull its relation sets with
 *		collect_sql, count(*) each one, push all true counts (with their
 *		level), plan again and check that every relation set got its pushed
 *		rows and every entry is reported applied.  Prints totals, how many
 *		plans changed, and the caveats the push report gave.
 *
 *	cardcheck timing <conninfo> <queries.sql> <top> <reps>
 *		Takes the <top> queries with the most relation sets and measures the
 *		server's "Planning Time" (EXPLAIN SUMMARY) <reps> times per mode,
 *		modes interleaved: plain, collect, collect_sql, push-all.  A second
 *		connection that never loaded the library gives the "vanilla" figure;
 *		run it against a server without shared_preload_libraries=pilotscope
 *		(the first connection then LOADs the library) to compare the two.
 *		Prints medians and ratios.
 */
#define _GNU_SOURCE

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>

#include "libpq-fe.h"

#define MAX_QUERIES 20000

static void
die(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static PGresult *
run(PGconn *conn, const char *sql, ExecStatusType expect)
{
	PGresult   *res = PQexec(conn, sql);

	if (PQresultStatus(res) != expect)
		die("query failed: %s\n%s", sql, PQerrorMessage(conn));
	return res;
}

static void
run_cmd(PGconn *conn, const char *sql)
{
	PQclear(run(conn, sql, PGRES_COMMAND_OK));
}

static void
set_local(PGconn *conn, const char *name, const char *value)
{
	const char *values[2] = {name, value};
	PGresult   *res = PQexecParams(conn, "SELECT set_config($1, $2, true)", 2, NULL,
								   values, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die("set_config(%s) failed: %s", name, PQerrorMessage(conn));
	PQclear(res);
}

/* Reads one query per non-empty line, without its trailing ';'. */
static int
read_queries(const char *path, char **queries)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		len;
	int			n = 0;

	if (f == NULL)
		die("cannot open %s", path);
	while ((len = getline(&line, &cap, f)) >= 0 && n < MAX_QUERIES)
	{
		while (len > 0 && (isspace((unsigned char) line[len - 1]) || line[len - 1] == ';'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		queries[n++] = strdup(line);
	}
	free(line);
	fclose(f);
	return n;
}

/* A growable string. */
typedef struct Str
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Str;

static void
str_add(Str *s, const char *fmt,...)
{
	va_list		ap;
	int			need;

	for (;;)
	{
		va_start(ap, fmt);
		need = vsnprintf(s->data ? s->data + s->len : NULL, s->data ? s->cap - s->len : 0, fmt, ap);
		va_end(ap);
		if (s->data && (size_t) need < s->cap - s->len)
		{
			s->len += (size_t) need;
			return;
		}
		s->cap = (s->cap + (size_t) need + 1) * 2;
		s->data = realloc(s->data, s->cap);
	}
}

static char *
explain_text(PGconn *conn, const char *query, int costs)
{
	Str			sql = {0};
	Str			out = {0};
	PGresult   *res;
	int			i;

	str_add(&sql, "EXPLAIN (COSTS %s) %s", costs ? "ON" : "OFF", query);
	res = run(conn, sql.data, PGRES_TUPLES_OK);
	str_add(&out, "%s", "");
	for (i = 0; i < PQntuples(res); i++)
		str_add(&out, "%s\n", PQgetvalue(res, i, 0));
	PQclear(res);
	free(sql.data);
	return out.data;
}

/* ---------- check ---------- */

typedef struct CaveatCount
{
	char	   *reason;
	int			count;
} CaveatCount;

static int
check_workload(PGconn *conn, char **queries, int nqueries)
{
	long		relsets = 0;
	long		counted = 0;
	long		no_sql = 0;
	long		mismatches = 0;
	long		not_applied = 0;
	long		rebuild_differs = 0;
	int			changed = 0;
	int			max_relsets = 0;
	CaveatCount caveats[32];
	int			ncaveats = 0;
	int			q;

	for (q = 0; q < nqueries; q++)
	{
		PGresult   *sets;
		PGresult   *after;
		PGresult   *report;
		Str			payload = {0};
		char	   *plan_before;
		char	   *plan_after;
		char	   *costed_in_place;
		char	   *costed_rebuilt;
		double	   *truth;
		int			n;
		int			i;

		/* pull */
		run_cmd(conn, "BEGIN");
		set_local(conn, "pilotscope.collect_sql", "on");
		plan_before = explain_text(conn, queries[q], 0);
		sets = run(conn, "SELECT query_level, array_to_json(aliases)::text, subquery_sql "
				   "FROM pilotscope_relsets()", PGRES_TUPLES_OK);
		run_cmd(conn, "COMMIT");
		n = PQntuples(sets);
		relsets += n;
		if (n > max_relsets)
			max_relsets = n;

		/* count */
		truth = calloc((size_t) n + 1, sizeof(double));
		str_add(&payload, "[");
		for (i = 0; i < n; i++)
		{
			PGresult   *cnt;

			if (PQgetisnull(sets, i, 2))
			{
				no_sql++;
				truth[i] = -1;
				continue;
			}
			cnt = run(conn, PQgetvalue(sets, i, 2), PGRES_TUPLES_OK);
			truth[i] = atof(PQgetvalue(cnt, 0, 0));
			PQclear(cnt);
			counted++;
			str_add(&payload, "%s{\"rels\":%s,\"rows\":%.0f,\"level\":%s}",
					payload.len > 1 ? "," : "", PQgetvalue(sets, i, 1), truth[i],
					PQgetvalue(sets, i, 0));
		}
		str_add(&payload, "]");

		/* push */
		run_cmd(conn, "BEGIN");
		set_local(conn, "pilotscope.cards", payload.data);
		plan_after = explain_text(conn, queries[q], 0);
		after = run(conn, "SELECT query_level, array_to_json(aliases)::text, rows, pushed "
					"FROM pilotscope_relsets()", PGRES_TUPLES_OK);
		report = run(conn, "SELECT applied, reason FROM pilotscope_push_report()", PGRES_TUPLES_OK);
		/* replacing join rows in place must give exactly the rebuilt plans */
		costed_in_place = explain_text(conn, queries[q], 1);
		set_local(conn, "pilotscope.always_rebuild", "on");
		costed_rebuilt = explain_text(conn, queries[q], 1);
		run_cmd(conn, "COMMIT");
		if (strcmp(costed_in_place, costed_rebuilt) != 0)
		{
			rebuild_differs++;
			fprintf(stderr, "query %d: in-place and rebuilt plans differ:\n%s\n%s\n", q + 1,
					costed_in_place, costed_rebuilt);
		}
		free(costed_in_place);
		free(costed_rebuilt);

		if (PQntuples(after) != n)
			die("query %d: %d relation sets after the push, %d before", q + 1,
				PQntuples(after), n);
		for (i = 0; i < n; i++)
		{
			double		expect = truth[i] < 1 ? 1 : rint(truth[i]);

			if (truth[i] < 0)
				continue;
			/* same output order: level, size, key */
			if (strcmp(PQgetvalue(after, i, 1), PQgetvalue(sets, i, 1)) != 0)
				die("query %d: relation set order differs", q + 1);
			if (strcmp(PQgetvalue(after, i, 3), "t") != 0 ||
				atof(PQgetvalue(after, i, 2)) != expect)
			{
				mismatches++;
				fprintf(stderr, "query %d: %s level %s: rows %s (pushed %s), expected %.0f\n",
						q + 1, PQgetvalue(after, i, 1), PQgetvalue(after, i, 0),
						PQgetvalue(after, i, 2), PQgetvalue(after, i, 3), expect);
			}
		}
		for (i = 0; i < PQntuples(report); i++)
		{
			const char *reason = PQgetisnull(report, i, 1) ? NULL : PQgetvalue(report, i, 1);
			int			c;

			if (strcmp(PQgetvalue(report, i, 0), "t") != 0)
			{
				not_applied++;
				fprintf(stderr, "query %d: entry %d not applied: %s\n", q + 1, i + 1,
						reason ? reason : "(no reason)");
			}
			if (reason == NULL)
				continue;
			for (c = 0; c < ncaveats && strcmp(caveats[c].reason, reason) != 0; c++)
				;
			if (c == ncaveats && ncaveats < 32)
			{
				caveats[ncaveats].reason = strdup(reason);
				caveats[ncaveats++].count = 0;
			}
			if (c < 32)
				caveats[c].count++;
		}
		if (strcmp(plan_before, plan_after) != 0)
			changed++;

		PQclear(sets);
		PQclear(after);
		PQclear(report);
		free(truth);
		free(payload.data);
		free(plan_before);
		free(plan_after);
	}
	printf("queries %d, relation sets %ld (max %d per query), counted %ld, without SQL %ld\n",
		   nqueries, relsets, max_relsets, counted, no_sql);
	printf("pushed rows not in effect: %ld, report entries not applied: %ld\n",
		   mismatches, not_applied);
	printf("plans changed by pushing true cardinalities: %d of %d\n", changed, nqueries);
	printf("plans (with costs) differing between in-place rows and rebuilt paths: %ld\n",
		   rebuild_differs);
	for (q = 0; q < ncaveats; q++)
		printf("report caveat x%d: %s\n", caveats[q].count, caveats[q].reason);
	return mismatches == 0 && not_applied == 0 && rebuild_differs == 0 ? 0 : 1;
}

/* ---------- timing ---------- */

/* CPU time the backend has used so far, in ms (Linux schedstat), or -1. */
static double
backend_cpu_ms(PGconn *conn)
{
	char		path[64];
	FILE	   *f;
	unsigned long long ns = 0;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", PQbackendPID(conn));
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns / 1e6;
}

/*
 * Plans the query once: returns the server's "Planning Time" (wall clock)
 * and sets *cpu_ms to the backend CPU time of the whole EXPLAIN statement.
 */
static double
planning_ms(PGconn *conn, const char *query, double *cpu_ms)
{
	Str			sql = {0};
	PGresult   *res;
	const char *text;
	const char *at;
	double		ms;
	double		cpu_before;

	str_add(&sql, "EXPLAIN (SUMMARY ON, FORMAT JSON) %s", query);
	cpu_before = backend_cpu_ms(conn);
	res = run(conn, sql.data, PGRES_TUPLES_OK);
	*cpu_ms = backend_cpu_ms(conn) - cpu_before;
	text = PQgetvalue(res, 0, 0);
	at = strstr(text, "\"Planning Time\": ");
	if (at == NULL)
		die("no Planning Time in EXPLAIN output");
	ms = atof(at + strlen("\"Planning Time\": "));
	PQclear(res);
	free(sql.data);
	return ms;
}

static int
compare_doubles(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

static double
median(double *v, int n)
{
	qsort(v, n, sizeof(double), compare_doubles);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct Ranked
{
	int			index;
	int			relsets;
	char	   *payload;
} Ranked;

static int
compare_ranked(const void *a, const void *b)
{
	const Ranked *x = a;
	const Ranked *y = b;

	if (x->relsets != y->relsets)
		return x->relsets > y->relsets ? -1 : 1;
	return x->index - y->index;
}

/* The query's relation sets, pushed with the planner's own estimates. */
static Ranked
rank_query(PGconn *conn, char **queries, int q)
{
	Ranked		r;
	Str			payload = {0};
	PGresult   *sets;
	char	   *plan;
	int			i;

	run_cmd(conn, "BEGIN");
	set_local(conn, "pilotscope.collect", "on");
	plan = explain_text(conn, queries[q], 0);
	sets = run(conn, "SELECT query_level, array_to_json(aliases)::text, planner_rows "
			   "FROM pilotscope_relsets()", PGRES_TUPLES_OK);
	run_cmd(conn, "COMMIT");
	str_add(&payload, "[");
	for (i = 0; i < PQntuples(sets); i++)
		/* a different value than the planner's, so that every set is overridden */
		str_add(&payload, "%s{\"rels\":%s,\"rows\":%.0f,\"level\":%s}", i ? "," : "",
				PQgetvalue(sets, i, 1), atof(PQgetvalue(sets, i, 2)) * 2 + 1,
				PQgetvalue(sets, i, 0));
	str_add(&payload, "]");
	r.index = q;
	r.relsets = PQntuples(sets);
	r.payload = payload.data;
	PQclear(sets);
	free(plan);
	return r;
}

static int
timing(PGconn *conn, PGconn *vanilla, char **queries, int nqueries, int top, int reps)
{
	Ranked	   *ranked = calloc((size_t) nqueries, sizeof(Ranked));
	const char *modes[] = {"vanilla", "plain", "collect", "collect_sql", "push_all"};
	int			nmodes = 5;
	double		sum_plan[5] = {0};
	double		sum_cpu[5] = {0};
	int			q;

	for (q = 0; q < nqueries; q++)
		ranked[q] = rank_query(conn, queries, q);
	qsort(ranked, nqueries, sizeof(Ranked), compare_ranked);
	if (top > nqueries)
		top = nqueries;

	printf("medians of %d runs per mode, modes interleaved in rotating order; per query: planning ms (server clock) / "
		   "EXPLAIN statement CPU ms (backend schedstat)\n", reps);
	printf("%-6s %-8s", "query", "relsets");
	for (q = 0; q < nmodes; q++)
		printf(" %17s", modes[q]);
	printf("\n");
	for (q = 0; q < top; q++)
	{
		const char *query = queries[ranked[q].index];
		double	   *plan[5];
		double	   *cpu[5];
		int			m;
		int			r;

		for (m = 0; m < nmodes; m++)
		{
			plan[m] = calloc((size_t) reps, sizeof(double));
			cpu[m] = calloc((size_t) reps, sizeof(double));
		}
		for (r = -2; r < reps; r++)	/* two warm-up rounds */
		{
			int			k;

			/* rotate the order, so that no mode always follows the other backend */
			for (k = 0; k < nmodes; k++)
			{
				int			m = (k + r + 2) % nmodes;
				double		ms;
				double		cpu_ms;

				if (m == 0)
					ms = planning_ms(vanilla, query, &cpu_ms);
				else
				{
					run_cmd(conn, "BEGIN");
					if (m == 2)
						set_local(conn, "pilotscope.collect", "on");
					if (m == 3)
						set_local(conn, "pilotscope.collect_sql", "on");
					if (m == 4)
						set_local(conn, "pilotscope.cards", ranked[q].payload);
					ms = planning_ms(conn, query, &cpu_ms);
					run_cmd(conn, "COMMIT");
				}
				if (r >= 0)
				{
					plan[m][r] = ms;
					cpu[m][r] = cpu_ms;
				}
			}
		}
		printf("%-6d %-8d", ranked[q].index + 1, ranked[q].relsets);
		for (m = 0; m < nmodes; m++)
		{
			double		p = median(plan[m], reps);
			double		c = median(cpu[m], reps);

			printf("     %5.3f / %5.3f", p, c);
			sum_plan[m] += p;
			sum_cpu[m] += c;
			free(plan[m]);
			free(cpu[m]);
		}
		printf("\n");
	}
	printf("sum of medians over the %d queries, ratio to plain (planning / statement CPU):\n", top);
	for (q = 0; q < nmodes; q++)
		printf("  %-12s %.3f / %.3f\n", modes[q], sum_plan[q] / sum_plan[1], sum_cpu[q] / sum_cpu[1]);
	return 0;
}

int
main(int argc, char **argv)
{
	PGconn	   *conn;
	char	  **queries;
	int			nqueries;
	int			limit;

	if (argc < 4 || (strcmp(argv[1], "check") != 0 && strcmp(argv[1], "timing") != 0))
		die("usage: cardcheck check <conninfo> <queries.sql> [limit]\n"
			"       cardcheck timing <conninfo> <queries.sql> <top> <reps>");
	conn = PQconnectdb(argv[2]);
	if (PQstatus(conn) != CONNECTION_OK)
		die("connection failed: %s", PQerrorMessage(conn));
	queries = calloc(MAX_QUERIES, sizeof(char *));
	nqueries = read_queries(argv[3], queries);

	if (strcmp(argv[1], "check") == 0)
	{
		limit = argc > 4 ? atoi(argv[4]) : nqueries;
		return check_workload(conn, queries, limit < nqueries ? limit : nqueries);
	}
	else
	{
		PGconn	   *vanilla = PQconnectdb(argv[2]);
		PGresult   *res;

		if (argc < 6)
			die("timing needs <top> <reps>");
		if (PQstatus(vanilla) != CONNECTION_OK)
			die("connection failed: %s", PQerrorMessage(vanilla));
		/* less preemption on a busy machine (needs privileges; harmless without) */
		if (setpriority(PRIO_PROCESS, (id_t) PQbackendPID(conn), -10) != 0 ||
			setpriority(PRIO_PROCESS, (id_t) PQbackendPID(vanilla), -10) != 0)
			fprintf(stderr, "note: could not raise the backends' priority\n");
		res = run(conn, "SELECT current_setting('shared_preload_libraries') ~ 'pilotscope'",
				  PGRES_TUPLES_OK);
		if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
			fprintf(stderr, "note: pilotscope is preloaded, so the vanilla connection has its "
					"(inert) hooks too\n");
		else
			run_cmd(conn, "LOAD 'pilotscope'");
		PQclear(res);
		return timing(conn, vanilla, queries, nqueries, atoi(argv[4]), atoi(argv[5]));
	}
}
