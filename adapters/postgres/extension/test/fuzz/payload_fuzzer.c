/*
 * payload_fuzzer.c
 *		Coverage-guided libFuzzer harness for the payload parser.
 *
 * Build and run with clang (see the Makefile target "fuzz"):
 *		clang -fsanitize=fuzzer,address,undefined payload_fuzzer.c ../../src/payload.c
 *
 * Besides memory safety (the sanitizers), every input checks the parser's
 * contract: a result is either a payload whose every entry is found again by
 * its own key, with sorted unique aliases, valid rows and level; or a clean
 * error with a NUL-terminated message ending in "at offset <n>", n <= length.
 */
#include "../../src/payload.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ALIAS 63

static void
check(int condition, const char *what)
{
	if (!condition)
	{
		fprintf(stderr, "payload contract violated: %s\n", what);
		abort();
	}
}

static void
check_payload(const PsPayload *payload)
{
	uint32_t	n = ps_payload_count(payload);
	uint32_t	i;

	check(n > 0, "a returned payload has entries");
	for (i = 0; i < n; i++)
	{
		const PsEntry *e = ps_payload_entry(payload, i);
		const char *key = ps_entry_key(payload, e);
		const char *alias = key;
		const char *prev = NULL;
		uint32_t	a;
		int32_t		found;

		check(isfinite(e->rows) && e->rows >= 0, "rows finite and >= 0");
		check(e->level == PS_LEVEL_ANY || e->level >= 1, "level any or >= 1");
		check(e->nrels >= 1, "at least one alias");
		check(e->key_len >= 2 && key[e->key_len - 1] == '\0', "key ends with NUL");
		check(e->key_hash == ps_key_hash(key, e->key_len), "stored hash");
		for (a = 0; a < e->nrels; a++)
		{
			size_t		len = strlen(alias);

			check(len >= 1 && len <= MAX_ALIAS, "alias length");
			check(prev == NULL || strcmp(prev, alias) < 0, "aliases sorted and unique");
			prev = alias;
			alias += len + 1;
		}
		check((size_t) (alias - key) == e->key_len, "key length matches aliases");
		found = ps_payload_find(payload, e->level, key, e->key_len, e->key_hash);
		check(found == (int32_t) i, "entry found by its own key");
	}
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	PsPayload  *payload = NULL;
	PsError		err;
	PsStatus	st = ps_payload_parse((const char *) data, size, MAX_ALIAS, &payload, &err);

	if (st == PS_OK)
	{
		if (payload != NULL)
			check_payload(payload);
		free(payload);
	}
	else
	{
		size_t		mlen = strnlen(err.message, sizeof(err.message));
		const char *at;

		check(payload == NULL, "no payload on error");
		check(mlen > 0 && mlen < sizeof(err.message), "message NUL-terminated");
		if (st == PS_INVALID)
		{
			check(err.offset <= size, "offset within the input");
			/* the last " at offset " (a quoted key may contain the words) */
			at = NULL;
			for (const char *s = err.message; (s = strstr(s, " at offset ")) != NULL; s++)
				at = s;
			check(at != NULL && strtoull(at + 11, NULL, 10) == err.offset,
				  "message names the offset");
		}
	}
	return 0;
}
