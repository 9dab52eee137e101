/*
 * payload.h
 *		The pilotscope.cards payload: a strict JSON parser, validation, and a
 *		hash index over the pushed relation sets.
 *
 * This module is plain C99 with no PostgreSQL headers, so the very same code
 * is compiled into the extension and into the standalone unit test and the
 * libFuzzer harness (test/fuzz/).  It allocates with malloc/free only: the
 * parsed payload is one relocatable block, which is what PostgreSQL's GUC
 * machinery requires of a check hook's "extra" data.
 *
 * Payload grammar (JSON, RFC 8259):
 *		[ {"rels": ["alias", ...], "rows": <number>, "level": <integer>}, ... ]
 * "level" is optional (absent = any query level).  An empty or all-whitespace
 * text, or [], pushes nothing.
 */
#ifndef PILOTSCOPE_PAYLOAD_H
#define PILOTSCOPE_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

/* Level of an entry that gave no "level": it matches relation sets at any level. */
#define PS_LEVEL_ANY 0

/* The largest accepted "level" (PostgreSQL query levels are ints). */
#define PS_LEVEL_MAX 2147483647

/* Room for one error message, including the offset suffix. */
#define PS_ERROR_SIZE 256

typedef struct PsPayload PsPayload;

/*
 * One pushed relation set.  Its key is the entry's aliases sorted bytewise,
 * each followed by a NUL byte ("b\0p\0"), so keys compare with memcmp.
 */
typedef struct PsEntry
{
	double		rows;			/* finite, >= 0, as written */
	int32_t		level;			/* PS_LEVEL_ANY or 1..PS_LEVEL_MAX */
	uint32_t	nrels;			/* number of aliases */
	uint32_t	key_offset;		/* where the key bytes start in the block */
	uint32_t	key_len;		/* key length in bytes, NULs included */
	uint32_t	key_hash;		/* ps_key_hash() of the key */
	uint32_t	source_offset;	/* byte offset of the entry's '{' in the text */
} PsEntry;

typedef struct PsError
{
	size_t		offset;			/* byte offset in the payload text */
	char		message[PS_ERROR_SIZE];	/* "<problem> at offset <n>" */
} PsError;

typedef enum PsStatus
{
	PS_OK = 0,
	PS_INVALID = 1,				/* the text is not a valid payload; see PsError */
	PS_NO_MEMORY = 2
} PsStatus;

/*
 * Parses and validates a payload of len bytes (no NUL terminator needed).
 * Aliases longer than max_alias_bytes are rejected (PostgreSQL truncates
 * identifiers, so such an alias could never match).  On PS_OK, *out is a
 * malloc'd block to be released with free(), or NULL when the payload pushes
 * nothing.  On failure *out is NULL and err describes the first problem.
 */
extern PsStatus ps_payload_parse(const char *text, size_t len,
								 size_t max_alias_bytes,
								 PsPayload **out, PsError *err);

extern uint32_t ps_payload_count(const PsPayload *payload);
extern size_t ps_payload_size(const PsPayload *payload);
extern const PsEntry *ps_payload_entry(const PsPayload *payload, uint32_t index);
extern const char *ps_entry_key(const PsPayload *payload, const PsEntry *entry);

/* Hash of a key as built above; callers compute it once per relation set. */
extern uint32_t ps_key_hash(const char *key, size_t key_len);

/*
 * Index of the entry pushing exactly (level, key), or -1.  Pass
 * PS_LEVEL_ANY to find the entry without a "level".  This is an exact
 * lookup; falling back from a level to "any level" is the caller's choice.
 */
extern int32_t ps_payload_find(const PsPayload *payload, int32_t level,
							   const char *key, size_t key_len,
							   uint32_t key_hash);

#endif							/* PILOTSCOPE_PAYLOAD_H */
