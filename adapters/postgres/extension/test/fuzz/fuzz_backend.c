/*
 * fuzz_backend.c
 *		Deterministic fuzzing of pilotscope.cards through a real backend.
 *
 *	fuzz_backend <conninfo> <iterations> <seed>
 *
 * Generates payloads (well-formed ones, then mutated: bytes replaced,
 * deleted, duplicated, JSON tokens inserted, truncated), sends each through
 * set_config() in its own transaction and checks:
 *	- the backend accepts exactly the payloads the SQL oracle
 *	  pilotscope_fuzz_oracle() (test/fuzz/fuzz_setup.sql) calls valid;
 *	- a rejection is a clean ERROR: SQLSTATE 22023, the GUC message, and a
 *	  detail starting "pilotscope.cards:";
 *	- an accepted payload plans a three-way join and reports one line per
 *	  entry in pilotscope_push_report();
 *	- the connection survives every payload.
 * Every payload is one check.  Prints "fuzz: N passed, M failed" last.
 * (test/run.sh also checks the server log for crashes afterwards.)
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libpq-fe.h"

#define MAX_PAYLOAD 4096

/* ---------- deterministic randomness (splitmix64) ---------- */

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t	z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static int
rng_below(int n)
{
	return (int) (rng_next() % (uint64_t) n);
}

static const char *
pick(const char *const *items, int n)
{
	return items[rng_below(n)];
}

/* ---------- payload text ---------- */

typedef struct Text
{
	char		data[MAX_PAYLOAD + 1];
	size_t		len;
} Text;

static void
add(Text *t, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (t->len >= MAX_PAYLOAD)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->data + t->len, MAX_PAYLOAD + 1 - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t) n;
	if (t->len > MAX_PAYLOAD)
		t->len = MAX_PAYLOAD;
	t->data[t->len] = '\0';
}

static const char *const aliases[] = {
	"a", "b", "c", "zz", "p_1", "\\u0061", "caf\\u00e9", "\\ud83d\\ude00", "x\\\"y",
	"tab\\tbed", "sp ace", "\xc3\xa9t\xc3\xa9", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "",
	"\\u0000", "\\ud800", "\\udc00x", "\\/", "\\b\\f\\n\\r"
};

static const char *const numbers[] = {
	"0", "1", "-0", "-0.0", "7", "42", "1000", "123456789", "0.5", "2.5", "1e3", "1E-2",
	"1e308", "1.7976931348623157e308", "1e309", "1e-400", "-1e-400", "-1", "-3.5",
	"2147483647", "2147483648", "0.0000001", "3.0", "1e+2", "00", "1.", ".5", "+1",
	"NaN", "Infinity", "\"5\"", "null", "true", "[]", "{}", "0x10", "1e", "--1"
};

static const char *const spaces[] = {"", "", "", " ", "\n", "\t ", "\r\n", "  "};

static const char *const tokens[] = {
	"[", "]", "{", "}", ",", ":", "\"", "\\", "\\u", "\\ud800", "\"rels\"", "\"rows\"",
	"\"level\"", "\"row\"", "null", "true", "-", "e", "1e999", "0", "\"a\"", "[\"a\"]", "{}",
	"\xc3\xa9", "\xf0\x9f\x98\x80", " "
};

static void
gen_entry(Text *t, int n_entry)
{
	int			nrels = 1 + rng_below(4);
	int			order = rng_below(6);
	int			with_level = rng_below(3) == 0;
	int			i;
	int			field;

	add(t, "{%s", pick(spaces, 8));
	for (field = 0; field < 3; field++)
	{
		int			which = (order + field) % 3;

		if (which == 2 && !with_level)
			continue;
		if (t->data[t->len - 1] != '{' && t->data[t->len - 1] != ' ')
			add(t, ",");
		if (which == 0)
		{
			add(t, "\"rels\":%s[", pick(spaces, 8));
			for (i = 0; i < nrels; i++)
				add(t, "%s\"%s\"", i ? "," : "", pick(aliases, rng_below(4) ? 5 : 20));
			add(t, "]");
		}
		else if (which == 1)
			add(t, "\"rows\":%s%s", pick(spaces, 8), pick(numbers, rng_below(3) ? 10 : 38));
		else
			add(t, "\"level\":%s", rng_below(4) ? (rng_below(2) ? "1" : "2") : pick(numbers, 38));
		add(t, "%s", pick(spaces, 8));
	}
	(void) n_entry;
	add(t, "}");
}

static void
gen_payload(Text *t)
{
	int			n = rng_below(6);
	int			i;

	t->len = 0;
	t->data[0] = '\0';
	if (rng_below(20) == 0)
		return;					/* the empty payload */
	add(t, "%s[", pick(spaces, 8));
	for (i = 0; i < n; i++)
	{
		if (i)
			add(t, ",%s", pick(spaces, 8));
		gen_entry(t, i);
	}
	add(t, "]%s", pick(spaces, 8));
}

static void
mutate(Text *t)
{
	int			rounds = 1 + rng_below(3);
	int			r;

	for (r = 0; r < rounds && t->len > 0; r++)
	{
		size_t		at = (size_t) rng_below((int) t->len);
		size_t		span = 1 + (size_t) rng_below(8);

		switch (rng_below(6))
		{
			case 0:				/* replace a byte with a printable one */
				t->data[at] = (char) (0x20 + rng_below(0x5f));
				break;
			case 1:				/* delete a span */
				if (at + span > t->len)
					span = t->len - at;
				memmove(t->data + at, t->data + at + span, t->len - at - span + 1);
				t->len -= span;
				break;
			case 2:				/* insert a JSON token */
				{
					const char *tok = pick(tokens, (int) (sizeof(tokens) / sizeof(tokens[0])));
					size_t		n = strlen(tok);

					if (t->len + n <= MAX_PAYLOAD)
					{
						memmove(t->data + at + n, t->data + at, t->len - at + 1);
						memcpy(t->data + at, tok, n);
						t->len += n;
					}
					break;
				}
			case 3:				/* duplicate a span */
				if (at + span > t->len)
					span = t->len - at;
				if (t->len + span <= MAX_PAYLOAD)
				{
					memmove(t->data + at + span, t->data + at, t->len - at + 1);
					t->len += span;
				}
				break;
			case 4:				/* truncate */
				t->len = at;
				t->data[at] = '\0';
				break;
			default:			/* a control character */
				t->data[at] = (char) (1 + rng_below(31));
				break;
		}
	}
}

/* Replaces bytes that are not valid UTF-8 with '?', so that the text is a valid SQL string. */
static void
make_valid_utf8(Text *t)
{
	size_t		i = 0;

	while (i < t->len)
	{
		unsigned char c = (unsigned char) t->data[i];
		size_t		n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		size_t		k;
		int			ok = n > 0 && i + n <= t->len;

		for (k = 1; ok && k < n; k++)
			ok = ((unsigned char) t->data[i + k] >> 6) == 2;
		if (ok && n == 2 && c < 0xC2)
			ok = 0;				/* overlong */
		if (ok && n == 3)
		{
			unsigned char c1 = (unsigned char) t->data[i + 1];

			ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
		}
		if (ok && n == 4)
		{
			unsigned char c1 = (unsigned char) t->data[i + 1];

			ok = c <= 0xF4 && !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
		}
		if (!ok || c == 0)
		{
			t->data[i] = c == 0 ? ' ' : '?';
			i++;
			continue;
		}
		i += n;
	}
}

/* ---------- checks ---------- */

static PGresult *
exec1(PGconn *conn, const char *sql, const char *param)
{
	const char *values[1] = {param};

	return PQexecParams(conn, sql, param ? 1 : 0, NULL, param ? values : NULL, NULL, NULL, 0);
}

static int
command(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);
	int			ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	return ok;
}

static int	failures_shown = 0;

static void
report_failure(int iteration, const Text *t, const char *fmt,...)
{
	va_list		ap;

	if (failures_shown++ >= 20)
		return;
	fprintf(stderr, "fuzz failure at iteration %d: ", iteration);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n  payload: %s\n", t->data);
}

/* Returns 1 if the payload was handled correctly. */
static int
check_payload(PGconn **conn, const char *conninfo, int iteration, const Text *t,
			  int *was_accepted)
{
	PGresult   *res;
	int			expected;
	int			ok = 1;

	res = exec1(*conn, "SELECT pilotscope_fuzz_oracle($1)", t->data);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		report_failure(iteration, t, "oracle failed: %s", PQerrorMessage(*conn));
		PQclear(res);
		return 0;
	}
	expected = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);

	command(*conn, "BEGIN");
	res = exec1(*conn, "SELECT set_config('pilotscope.cards', $1, true)", t->data);
	*was_accepted = PQresultStatus(res) == PGRES_TUPLES_OK;
	if (*was_accepted)
	{
		PQclear(res);
		if (expected < 0)
		{
			report_failure(iteration, t, "accepted, but the oracle rejects it");
			ok = 0;
		}
		res = PQexec(*conn, "EXPLAIN SELECT count(*) FROM fz_a a, fz_b b, fz_c c "
					 "WHERE a.id = b.a AND b.id = c.b AND a.v = 3");
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			report_failure(iteration, t, "planning failed: %s", PQerrorMessage(*conn));
			ok = 0;
		}
		PQclear(res);
		res = PQexec(*conn, "SELECT count(*) FROM pilotscope_push_report()");
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			report_failure(iteration, t, "report failed: %s", PQerrorMessage(*conn));
			ok = 0;
		}
		else if (expected > 0 && atoi(PQgetvalue(res, 0, 0)) != expected)
		{
			report_failure(iteration, t, "report has %s lines, the payload %d entries",
						   PQgetvalue(res, 0, 0), expected);
			ok = 0;
		}
		PQclear(res);
	}
	else
	{
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);

		if (expected >= 0)
		{
			report_failure(iteration, t, "rejected (%s), but the oracle accepts it",
						   detail ? detail : PQerrorMessage(*conn));
			ok = 0;
		}
		else if (state == NULL || strcmp(state, "22023") != 0 || primary == NULL ||
				 strncmp(primary, "invalid value for parameter \"pilotscope.cards\"", 46) != 0 ||
				 detail == NULL || strncmp(detail, "pilotscope.cards: ", 18) != 0)
		{
			report_failure(iteration, t, "not a clean rejection: %s", PQerrorMessage(*conn));
			ok = 0;
		}
		PQclear(res);
	}
	command(*conn, "ROLLBACK");

	if (PQstatus(*conn) != CONNECTION_OK)
	{
		report_failure(iteration, t, "the connection was lost: %s", PQerrorMessage(*conn));
		PQfinish(*conn);
		*conn = PQconnectdb(conninfo);
		ok = 0;
	}
	return ok;
}

int
main(int argc, char **argv)
{
	PGconn	   *conn;
	int			iterations;
	int			passed = 0;
	int			failed = 0;
	int			accepted = 0;
	int			i;
	Text		t;

	if (argc != 4)
	{
		fprintf(stderr, "usage: fuzz_backend <conninfo> <iterations> <seed>\n");
		return 2;
	}
	iterations = atoi(argv[2]);
	rng_state = strtoull(argv[3], NULL, 10);
	conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "connection failed: %s", PQerrorMessage(conn));
		printf("fuzz: 0 passed, 1 failed\n");
		return 1;
	}
	PQsetNoticeProcessor(conn, NULL, NULL);
	for (i = 0; i < iterations; i++)
	{
		int			was_accepted = 0;

		gen_payload(&t);
		if (rng_below(3) != 0)
			mutate(&t);
		make_valid_utf8(&t);
		if (check_payload(&conn, argv[1], i, &t, &was_accepted))
			passed++;
		else
			failed++;
		accepted += was_accepted;
	}
	printf("fuzz: %d payloads, %d accepted, %d rejected\n", iterations, accepted,
		   iterations - accepted);
	PQfinish(conn);
	printf("fuzz: %d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
