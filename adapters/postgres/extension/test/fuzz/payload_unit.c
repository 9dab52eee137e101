/*
 * payload_unit.c
 *		Table-driven tests of the standalone payload parser (src/payload.c).
 *
 * Each case gives a payload text and either the number of entries it must
 * yield or a fragment its error message must contain.  Accepted payloads are
 * also looked up entry by entry.  Prints "payload-unit: N passed, M failed".
 */
#include "../../src/payload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Case
{
	const char *text;
	int			entries;		/* >= 0: must parse to this many entries */
	const char *error;			/* else: the error must contain this */
} Case;

static const Case cases[] = {
	/* accepted */
	{"", 0, NULL},
	{"   \n\t ", 0, NULL},
	{"[]", 0, NULL},
	{" [ ] ", 0, NULL},
	{"[{\"rels\":[\"p\"],\"rows\":5}]", 1, NULL},
	{"[{\"rows\":5,\"rels\":[\"p\"]}]", 1, NULL},
	{"[{\"rels\":[\"p\",\"u\"],\"rows\":1e3,\"level\":1}]", 1, NULL},
	{"[{\"rels\":[\"p\"],\"rows\":0}]", 1, NULL},
	{"[{\"rels\":[\"p\"],\"rows\":-0}]", 1, NULL},
	{"[{\"rels\":[\"p\"],\"rows\":0.5}]", 1, NULL},
	{"[{\"rels\":[\"p\"],\"rows\":1e-400}]", 1, NULL},
	{"[{\"rels\":[\"p\"],\"rows\":1.5e308}]", 1, NULL},
	{"[{\"rels\":[\"p\"],\"rows\":-0.0e5}]", 1, NULL},
	{"[{\"rels\":[\"p\"],\"rows\":5,\"level\":2147483647}]", 1, NULL},
	{"[{\"rels\":[\"p\"],\"rows\":5},{\"rels\":[\"p\"],\"rows\":6,\"level\":1}]", 2, NULL},
	{"[{\"rels\":[\"p\"],\"rows\":5,\"level\":1},{\"rels\":[\"p\"],\"rows\":6,\"level\":2}]", 2, NULL},
	{"[{\"rels\":[\"u\",\"p\"],\"rows\":5},{\"rels\":[\"p\"],\"rows\":6}]", 2, NULL},
	{"[{\"r\\u0065ls\":[\"\\u00e9t\\u00e9\"],\"rows\":5}]", 1, NULL},
	{"[{\"rels\":[\"\\ud83d\\ude00\"],\"rows\":5}]", 1, NULL},
	{"[{\"rels\":[\"a\\\"b\",\"c\\\\d\",\"e\\/f\",\"\\b\\f\\n\\r\\t\"],\"rows\":5}]", 1, NULL},
	{"[{\"rels\":[\"123456789012345678901234567890123456789012345678901234567890123\"],\"rows\":1}]", 1, NULL},
	{"\r\n[\r\n{ \"rels\" : [ \"a\" , \"b\" ] , \"rows\" : 7 }\r\n]\r\n", 1, NULL},

	/* rejected: structure */
	{"{}", -1, "expected a JSON array of {\"rels\":[...],\"rows\":N} objects at offset 0"},
	{"null", -1, "expected a JSON array"},
	{"  x", -1, "at offset 2"},
	{"[", -1, "entry 1: expected an object {\"rels\":[...],\"rows\":N}, not the end of the payload at offset 1"},
	{"[{\"rels\":[\"p\"],\"rows\":5}", -1, "unexpected end of payload, expected ',' or ']'"},
	{"[{\"rels\":[\"p\"],\"rows\":5},]", -1, "entry 2: expected an object"},
	{"[{\"rels\":[\"p\"],\"rows\":5}] x", -1, "unexpected text after the closing ']' at offset 26"},
	{"[{\"rels\":[\"p\"],\"rows\":5}][]", -1, "unexpected text after the closing ']'"},
	{"[1]", -1, "entry 1: expected an object {\"rels\":[...],\"rows\":N}, not a number"},
	{"[{}]", -1, "entry 1: missing \"rels\""},
	{"[{\"rels\":[\"p\"]}]", -1, "entry 1: missing \"rows\""},
	{"[{\"rows\":1}]", -1, "missing \"rels\""},
	{"[{\"rels\":[\"p\"],\"rows\":5,}]", -1, "expected a quoted key"},
	{"[{\"rels\":[\"p\"] \"rows\":5}]", -1, "expected ',' or '}' after a value"},
	{"[{\"rels\" [\"p\"],\"rows\":5}]", -1, "expected ':' after an object key"},
	{"[{rels:[\"p\"],\"rows\":5}]", -1, "expected a quoted key"},
	{"[{\"row\":5,\"rels\":[\"p\"]}]", -1, "unknown key \"row\""},
	{"[{\"rels\":[\"p\"],\"rows\":5,\"rows\":6}]", -1, "\"rows\" is given twice"},
	{"[{\"rels\":[\"p\"],\"rels\":[\"q\"],\"rows\":6}]", -1, "\"rels\" is given twice"},
	{"[{\"rels\":[\"p\"],\"rows\":5,\"level\":1,\"level\":1}]", -1, "\"level\" is given twice"},

	/* rejected: rels */
	{"[{\"rels\":[],\"rows\":5}]", -1, "\"rels\" must list at least one alias"},
	{"[{\"rels\":\"p\",\"rows\":5}]", -1, "\"rels\" must be an array of alias names, not a string"},
	{"[{\"rels\":[1],\"rows\":5}]", -1, "must contain only alias strings, not a number"},
	{"[{\"rels\":[\"\"],\"rows\":5}]", -1, "contains an empty alias"},
	{"[{\"rels\":[\"p\",\"p\"],\"rows\":5}]", -1, "alias \"p\" appears twice"},
	{"[{\"rels\":[\"a\\u0000\"],\"rows\":5}]", -1, "contains \\u0000"},
	{"[{\"rels\":[\"1234567890123456789012345678901234567890123456789012345678901234\"],\"rows\":1}]", -1, "is longer than 63 bytes"},
	{"[{\"rels\":[\"p\" \"q\"],\"rows\":5}]", -1, "expected ',' or ']' in \"rels\""},
	{"[{\"rels\":[\"p\",],\"rows\":5}]", -1, "must contain only alias strings"},

	/* rejected: strings */
	{"[{\"rels\":[\"p], \"rows\":5}]", -1, "expected ',' or ']' in \"rels\""},
	{"[{\"rels\":[\"p", -1, "unterminated string"},
	{"[{\"rels\":[\"a\tb\"],\"rows\":5}]", -1, "control character inside a string"},
	{"[{\"rels\":[\"a\\x\"],\"rows\":5}]", -1, "invalid escape sequence"},
	{"[{\"rels\":[\"a\\u12\"],\"rows\":5}]", -1, "invalid \\u escape"},
	{"[{\"rels\":[\"a\\u12", -1, "incomplete \\u escape"},
	{"[{\"rels\":[\"\\udc00\"],\"rows\":5}]", -1, "low surrogate without a high one"},
	{"[{\"rels\":[\"\\ud800x\"],\"rows\":5}]", -1, "must be followed by a low one"},
	{"[{\"rels\":[\"\\ud800\\u0041\"],\"rows\":5}]", -1, "must be followed by a low one"},

	/* rejected: numbers */
	{"[{\"rels\":[\"p\"],\"rows\":-1}]", -1, "entry 1: \"rows\" must be >= 0 at offset 22"},
	{"[{\"rels\":[\"p\"],\"rows\":1e999}]", -1, "\"rows\" is too large"},
	{"[{\"rels\":[\"p\"],\"rows\":-1e-400}]", -1, "\"rows\" must be >= 0"},
	{"[{\"rels\":[\"p\"],\"rows\":5,\"level\":2.0}]", -1, "\"level\" must be an integer between"},
	{"[{\"rels\":[\"p\"],\"rows\":5,\"level\":1e1}]", -1, "\"level\" must be an integer between"},
	{"[{\"rels\":[\"p\"],\"rows\":5,\"level\":007}]", -1, "\"level\" must be an integer between"},
	{"[{\"rels\":[\"p\"],\"rows\":\"5\"}]", -1, "\"rows\" must be a number, not a string"},
	{"[{\"rels\":[\"p\"],\"rows\":null}]", -1, "\"rows\" must be a number, not null"},
	{"[{\"rels\":[\"p\"],\"rows\":true}]", -1, "not a boolean"},
	{"[{\"rels\":[\"p\"],\"rows\":01}]", -1, "expected ',' or '}' after a value"},
	{"[{\"rels\":[\"p\"],\"rows\":1.}]", -1, "digits must follow '.'"},
	{"[{\"rels\":[\"p\"],\"rows\":.5}]", -1, "must be a number"},
	{"[{\"rels\":[\"p\"],\"rows\":1e}]", -1, "digits must follow the exponent"},
	{"[{\"rels\":[\"p\"],\"rows\":-}]", -1, "invalid number"},
	{"[{\"rels\":[\"p\"],\"rows\":+1}]", -1, "must be a number"},
	{"[{\"rels\":[\"p\"],\"rows\":NaN}]", -1, "must be a number"},
	{"[{\"rels\":[\"p\"],\"rows\":Infinity}]", -1, "must be a number"},
	{"[{\"rels\":[\"p\"],\"rows\":0x10}]", -1, "expected ',' or '}'"},
	{"[{\"rels\":[\"p\"],\"rows\":5,\"level\":0}]", -1, "\"level\" must be an integer between 1 (the top query) and 2147483647"},
	{"[{\"rels\":[\"p\"],\"rows\":5,\"level\":1.5}]", -1, "\"level\" must be an integer"},
	{"[{\"rels\":[\"p\"],\"rows\":5,\"level\":-1}]", -1, "\"level\" must be an integer"},
	{"[{\"rels\":[\"p\"],\"rows\":5,\"level\":2147483648}]", -1, "\"level\" must be an integer"},
	{"[{\"rels\":[\"p\"],\"rows\":5,\"level\":\"1\"}]", -1, "\"level\" must be an integer >= 1, not a string"},

	/* rejected: duplicate relation sets */
	{"[{\"rels\":[\"p\",\"u\"],\"rows\":5},{\"rels\":[\"u\",\"p\"],\"rows\":6}]", -1,
	"entries 1 and 2 both push relation set (p,u) at any level; give each relation set once"},
	{"[{\"rels\":[\"p\"],\"rows\":5,\"level\":2},{\"rels\":[\"q\"],\"rows\":1},{\"rels\":[\"p\"],\"rows\":6,\"level\":2}]", -1,
	"entries 1 and 3 both push relation set (p) at level 2"},
};

/* Builds the lookup key of a list of aliases the way the extension does. */
static size_t
make_key(const char *const *aliases, int n, char *out)
{
	size_t		len = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		size_t		l = strlen(aliases[i]) + 1;

		memcpy(out + len, aliases[i], l);
		len += l;
	}
	return len;
}

static int
check_lookups(int *failed)
{
	const char *text = "[{\"rels\":[\"u\",\"p\"],\"rows\":5},{\"rels\":[\"p\"],\"rows\":6,\"level\":2},"
		"{\"rels\":[\"b\",\"c\",\"a\"],\"rows\":7.5}]";
	const char *pu[] = {"p", "u"};
	const char *p1[] = {"p"};
	const char *abc[] = {"a", "b", "c"};
	const char *up[] = {"u", "p"};
	char		key[64];
	size_t		len;
	PsPayload  *payload;
	PsError		err;
	int			checks = 0;

#define EXPECT(cond) do { checks++; if (!(cond)) { (*failed)++; \
	fprintf(stderr, "lookup check failed: %s (line %d)\n", #cond, __LINE__); } } while (0)

	EXPECT(ps_payload_parse(text, strlen(text), 63, &payload, &err) == PS_OK);
	if (payload == NULL)
		return checks;
	EXPECT(ps_payload_count(payload) == 3);
	len = make_key(pu, 2, key);
	EXPECT(ps_payload_find(payload, PS_LEVEL_ANY, key, len, ps_key_hash(key, len)) == 0);
	EXPECT(ps_payload_find(payload, 1, key, len, ps_key_hash(key, len)) == -1);
	len = make_key(up, 2, key);		/* unsorted keys are not keys */
	EXPECT(ps_payload_find(payload, PS_LEVEL_ANY, key, len, ps_key_hash(key, len)) == -1);
	len = make_key(p1, 1, key);
	EXPECT(ps_payload_find(payload, 2, key, len, ps_key_hash(key, len)) == 1);
	EXPECT(ps_payload_find(payload, PS_LEVEL_ANY, key, len, ps_key_hash(key, len)) == -1);
	len = make_key(abc, 3, key);
	EXPECT(ps_payload_find(payload, PS_LEVEL_ANY, key, len, ps_key_hash(key, len)) == 2);
	EXPECT(ps_payload_entry(payload, 2)->rows == 7.5);
	EXPECT(ps_payload_entry(payload, 2)->nrels == 3);
	EXPECT(ps_payload_entry(payload, 1)->level == 2);
	EXPECT(memcmp(ps_entry_key(payload, ps_payload_entry(payload, 0)), "p\0u\0", 4) == 0);
	EXPECT(ps_payload_entry(payload, 3) == NULL);
	free(payload);
	return checks;
#undef EXPECT
}

/* Many entries: every one must be found again through the hash (one check). */
static int
check_many(int *failed)
{
	size_t		cap = 1 << 20;
	char	   *text = malloc(cap);
	size_t		len = 0;
	int			n = 5000;
	int			i;
	int			missing = 0;
	PsPayload  *payload;
	PsError		err;

	len += (size_t) snprintf(text + len, cap - len, "[");
	for (i = 0; i < n; i++)
		len += (size_t) snprintf(text + len, cap - len, "%s{\"rels\":[\"t%d\",\"s%d\"],\"rows\":%d}",
								 i ? "," : "", i, i % 7, i);
	len += (size_t) snprintf(text + len, cap - len, "]");
	if (ps_payload_parse(text, len, 63, &payload, &err) != PS_OK || ps_payload_count(payload) != (uint32_t) n)
	{
		(*failed)++;
		fprintf(stderr, "many: parse failed: %s\n", err.message);
		free(text);
		return 1;
	}
	for (i = 0; i < n; i++)
	{
		char		a[32];
		char		b[32];
		const char *names[2];
		char		key[64];
		size_t		klen;
		int32_t		found;

		snprintf(a, sizeof(a), "t%d", i);
		snprintf(b, sizeof(b), "s%d", i % 7);
		names[0] = strcmp(a, b) < 0 ? a : b;
		names[1] = strcmp(a, b) < 0 ? b : a;
		klen = make_key(names, 2, key);
		found = ps_payload_find(payload, PS_LEVEL_ANY, key, klen, ps_key_hash(key, klen));
		if (found != i || ps_payload_entry(payload, (uint32_t) found)->rows != (double) i)
			missing++;
	}
	if (missing > 0)
	{
		(*failed)++;
		fprintf(stderr, "many: %d of %d entries not found by their key\n", missing, n);
	}
	free(payload);
	free(text);
	return 1;
}

int
main(void)
{
	size_t		i;
	int			passed = 0;
	int			failed = 0;
	int			checks;
	int			check_failures = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const Case *c = &cases[i];
		PsPayload  *payload = NULL;
		PsError		err;
		PsStatus	st = ps_payload_parse(c->text, strlen(c->text), 63, &payload, &err);
		int			ok;

		if (c->entries >= 0)
			ok = st == PS_OK && ps_payload_count(payload) == (uint32_t) c->entries &&
				(c->entries > 0) == (payload != NULL);
		else
			ok = st == PS_INVALID && payload == NULL && strstr(err.message, c->error) != NULL;
		if (ok)
			passed++;
		else
		{
			failed++;
			fprintf(stderr, "case %zu failed: %s\n  status %d, message: %s\n",
					i, c->text, (int) st, st == PS_OK ? "(none)" : err.message);
		}
		free(payload);
	}
	checks = check_lookups(&check_failures);
	checks += check_many(&check_failures);
	passed += checks - check_failures;
	failed += check_failures;
	printf("payload-unit: %d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
