/*
 * payload.c
 *		Strict parser and hash index for the pilotscope.cards payload.
 *
 * Parsing happens in two steps.  The JSON text is first read into "draft"
 * entries (decoded alias strings in one growing buffer); then the drafts are
 * validated and laid out in a single malloc'd block: a header, the entries,
 * an open-addressing hash table and the key bytes.  Everything in the block
 * is addressed by offsets, so the block can be freed with one free().
 *
 * The code never trusts the input: every read is bounds-checked against the
 * given length, NUL bytes are just bytes, and all sizes are checked for
 * overflow before allocation.  test/fuzz/ runs this file under libFuzzer
 * with AddressSanitizer and UndefinedBehaviorSanitizer.
 */
#include "payload.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PS_MAGIC 0x31435350u	/* "PSC1" */

struct PsPayload
{
	uint32_t	magic;
	uint32_t	count;			/* number of entries */
	uint32_t	nbuckets;		/* power of two */
	uint32_t	reserved;
	uint64_t	size;			/* total block size in bytes */
	/* then: PsEntry entries[count]; uint32_t buckets[nbuckets]; key bytes */
};

/* A growable byte buffer. */
typedef struct Buffer
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buffer;

/* An entry as read from the text, before layout. */
typedef struct DraftEntry
{
	double		rows;
	int32_t		level;
	uint32_t	nrels;
	size_t		first_alias;	/* index into Parser.alias_starts */
	size_t		source_offset;
} DraftEntry;

typedef struct Parser
{
	const char *text;
	size_t		len;
	size_t		pos;
	size_t		max_alias_bytes;
	PsStatus	status;
	PsError    *err;

	Buffer		strings;		/* decoded aliases, each NUL-terminated */
	size_t	   *alias_starts;	/* offset of each alias in strings */
	size_t		nalias;
	size_t		alias_cap;
	DraftEntry *entries;
	size_t		nentries;
	size_t		entry_cap;
	Buffer		scratch;		/* decoded keys and number text */
	char		stray[16];		/* describes an unexpected character */
} Parser;

/* ---------- errors ---------- */

#if defined(__GNUC__) || defined(__clang__)
#define PS_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PS_PRINTF_LIKE(f, a)
#endif

static bool fail(Parser *p, size_t offset, const char *fmt,...) PS_PRINTF_LIKE(3, 4);

/* Records the first problem; later calls are ignored. Always returns false. */
static bool
fail(Parser *p, size_t offset, const char *fmt,...)
{
	va_list		args;
	char		problem[PS_ERROR_SIZE - 32];

	if (p->status != PS_OK)
		return false;
	p->status = PS_INVALID;
	va_start(args, fmt);
	vsnprintf(problem, sizeof(problem), fmt, args);
	va_end(args);
	p->err->offset = offset;
	snprintf(p->err->message, sizeof(p->err->message), "%s at offset %zu",
			 problem, offset);
	return false;
}

static bool
fail_no_memory(Parser *p)
{
	if (p->status == PS_OK)
	{
		p->status = PS_NO_MEMORY;
		p->err->offset = p->pos;
		snprintf(p->err->message, sizeof(p->err->message), "out of memory");
	}
	return false;
}

/*
 * Writes bytes into out for use inside an error message: at most 40 input
 * bytes, with quotes, backslashes, control and non-ASCII bytes escaped so
 * that the message is plain ASCII whatever the input was.
 */
static void
describe_bytes(const char *bytes, size_t len, char *out, size_t outsize)
{
	size_t		o = 0;
	size_t		i;
	size_t		shown = len > 40 ? 40 : len;

	for (i = 0; i < shown && o + 5 < outsize; i++)
	{
		unsigned char c = (unsigned char) bytes[i];

		if (c == '"' || c == '\\')
		{
			out[o++] = '\\';
			out[o++] = (char) c;
		}
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t) snprintf(out + o, outsize - o, "\\x%02x", c);
		else
			out[o++] = (char) c;
	}
	if (shown < len && o + 4 < outsize)
	{
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* ---------- growable storage ---------- */

static bool
buffer_reserve(Parser *p, Buffer *b, size_t extra)
{
	size_t		need;
	size_t		cap;
	char	   *data;

	if (extra > SIZE_MAX - b->len)
		return fail_no_memory(p);
	need = b->len + extra;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
	{
		if (cap > SIZE_MAX / 2)
			return fail_no_memory(p);
		cap *= 2;
	}
	data = realloc(b->data, cap);
	if (data == NULL)
		return fail_no_memory(p);
	b->data = data;
	b->cap = cap;
	return true;
}

static bool
buffer_append(Parser *p, Buffer *b, const char *bytes, size_t n)
{
	if (!buffer_reserve(p, b, n))
		return false;
	memcpy(b->data + b->len, bytes, n);
	b->len += n;
	return true;
}

/* Grows an array of elements of the given size so that one more fits. */
static bool
array_grow(Parser *p, void **array, size_t count, size_t *cap, size_t elem)
{
	size_t		newcap;
	void	   *data;

	if (count < *cap)
		return true;
	newcap = *cap ? *cap * 2 : 16;
	if (newcap < *cap || newcap > SIZE_MAX / elem)
		return fail_no_memory(p);
	data = realloc(*array, newcap * elem);
	if (data == NULL)
		return fail_no_memory(p);
	*array = data;
	*cap = newcap;
	return true;
}

/* ---------- lexical helpers ---------- */

static void
skip_ws(Parser *p)
{
	while (p->pos < p->len)
	{
		char		c = p->text[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

/* The current byte, or -1 at the end of the text. */
static int
peek(const Parser *p)
{
	return p->pos < p->len ? (unsigned char) p->text[p->pos] : -1;
}

static bool
expect_char(Parser *p, char c, const char *what)
{
	if (peek(p) != (unsigned char) c)
	{
		if (p->pos >= p->len)
			return fail(p, p->pos, "unexpected end of payload, expected %s", what);
		return fail(p, p->pos, "expected %s", what);
	}
	p->pos++;
	return true;
}

static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads the 4 hex digits of a \u escape starting at p->pos. */
static bool
read_hex4(Parser *p, size_t escape_start, uint32_t *value)
{
	uint32_t	v = 0;
	int			i;

	if (p->len - p->pos < 4)
		return fail(p, escape_start, "incomplete \\u escape in string");
	for (i = 0; i < 4; i++)
	{
		int			h = hex_value((unsigned char) p->text[p->pos + i]);

		if (h < 0)
			return fail(p, escape_start, "invalid \\u escape in string (needs 4 hex digits)");
		v = (v << 4) | (uint32_t) h;
	}
	p->pos += 4;
	*value = v;
	return true;
}

static bool
append_utf8(Parser *p, Buffer *dst, uint32_t cp)
{
	char		out[4];
	size_t		n;

	if (cp < 0x80)
	{
		out[0] = (char) cp;
		n = 1;
	}
	else if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		n = 2;
	}
	else if (cp < 0x10000)
	{
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		n = 3;
	}
	else
	{
		out[0] = (char) (0xF0 | (cp >> 18));
		out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
		out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[3] = (char) (0x80 | (cp & 0x3F));
		n = 4;
	}
	return buffer_append(p, dst, out, n);
}

/*
 * Decodes the JSON string at p->pos (which must be '"') and appends its bytes
 * plus a terminating NUL to dst.  *decoded_len gets the length without the
 * NUL; *has_nul tells whether the string contained \u0000.
 */
static bool
parse_string(Parser *p, Buffer *dst, size_t *decoded_len, bool *has_nul)
{
	size_t		start_len = dst->len;
	size_t		string_start = p->pos;

	*has_nul = false;
	if (!expect_char(p, '"', "a string"))
		return false;
	for (;;)
	{
		size_t		run = p->pos;
		unsigned char c;

		/* copy a run of plain bytes at once */
		while (p->pos < p->len)
		{
			c = (unsigned char) p->text[p->pos];
			if (c == '"' || c == '\\' || c < 0x20)
				break;
			p->pos++;
		}
		if (p->pos > run && !buffer_append(p, dst, p->text + run, p->pos - run))
			return false;
		if (p->pos >= p->len)
			return fail(p, string_start, "unterminated string");
		c = (unsigned char) p->text[p->pos];
		if (c == '"')
		{
			p->pos++;
			break;
		}
		if (c < 0x20)
			return fail(p, p->pos, "control character inside a string (escape it)");

		/* a backslash escape */
		{
			size_t		escape_start = p->pos;
			char		e;
			char		plain;

			p->pos++;
			if (p->pos >= p->len)
				return fail(p, string_start, "unterminated string");
			e = p->text[p->pos++];
			switch (e)
			{
				case '"':
				case '\\':
				case '/':
					plain = e;
					break;
				case 'b':
					plain = '\b';
					break;
				case 'f':
					plain = '\f';
					break;
				case 'n':
					plain = '\n';
					break;
				case 'r':
					plain = '\r';
					break;
				case 't':
					plain = '\t';
					break;
				case 'u':
					{
						uint32_t	cp;

						if (!read_hex4(p, escape_start, &cp))
							return false;
						if (cp >= 0xDC00 && cp <= 0xDFFF)
							return fail(p, escape_start, "invalid \\u escape (a low surrogate without a high one)");
						if (cp >= 0xD800 && cp <= 0xDBFF)
						{
							uint32_t	low;

							if (p->len - p->pos < 2 ||
								p->text[p->pos] != '\\' || p->text[p->pos + 1] != 'u')
								return fail(p, escape_start, "invalid \\u escape (a high surrogate must be followed by a low one)");
							p->pos += 2;
							if (!read_hex4(p, escape_start, &low))
								return false;
							if (low < 0xDC00 || low > 0xDFFF)
								return fail(p, escape_start, "invalid \\u escape (a high surrogate must be followed by a low one)");
							cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
						}
						if (cp == 0)
							*has_nul = true;
						if (!append_utf8(p, dst, cp))
							return false;
						continue;
					}
				default:
					return fail(p, escape_start, "invalid escape sequence in string");
			}
			if (!buffer_append(p, dst, &plain, 1))
				return false;
		}
	}
	*decoded_len = dst->len - start_len;
	return buffer_append(p, dst, "", 1);
}

/*
 * Parses a JSON number at p->pos.  The grammar is checked here; the value is
 * converted by strtod on a NUL-terminated copy (the server runs with
 * LC_NUMERIC=C, and JSON numbers contain nothing locale-dependent anyway).
 * Values beyond the double range come back as +-HUGE_VAL.
 */
static bool
parse_number(Parser *p, double *value)
{
	size_t		start = p->pos;
	size_t		n;
	char	   *end;

	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0')
		p->pos++;
	else if (peek(p) >= '1' && peek(p) <= '9')
	{
		while (peek(p) >= '0' && peek(p) <= '9')
			p->pos++;
	}
	else
		return fail(p, start, "invalid number");
	if (peek(p) == '.')
	{
		p->pos++;
		if (!(peek(p) >= '0' && peek(p) <= '9'))
			return fail(p, start, "invalid number (digits must follow '.')");
		while (peek(p) >= '0' && peek(p) <= '9')
			p->pos++;
	}
	if (peek(p) == 'e' || peek(p) == 'E')
	{
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!(peek(p) >= '0' && peek(p) <= '9'))
			return fail(p, start, "invalid number (digits must follow the exponent)");
		while (peek(p) >= '0' && peek(p) <= '9')
			p->pos++;
	}
	n = p->pos - start;
	p->scratch.len = 0;
	if (!buffer_append(p, &p->scratch, p->text + start, n) ||
		!buffer_append(p, &p->scratch, "", 1))
		return false;
	errno = 0;
	*value = strtod(p->scratch.data, &end);
	if (end != p->scratch.data + n)
		return fail(p, start, "invalid number");
	return true;
}

/*
 * A short name of the JSON value starting at p->pos, for type errors.  Uses
 * the parser's one-slot buffer for a stray character.
 */
static const char *
value_kind(Parser *p)
{
	int			c = peek(p);

	switch (c)
	{
		case '"':
			return "a string";
		case '[':
			return "an array";
		case '{':
			return "an object";
		case 't':
		case 'f':
			return "a boolean";
		case 'n':
			return "null";
		case -1:
			return "the end of the payload";
		default:
			if (c == '-' || (c >= '0' && c <= '9'))
				return "a number";
			if (c > 0x20 && c < 0x7f)
				snprintf(p->stray, sizeof(p->stray), "'%c'", c);
			else
				snprintf(p->stray, sizeof(p->stray), "byte 0x%02x", c);
			return p->stray;
	}
}

/* ---------- entries ---------- */

static bool
parse_rels(Parser *p, DraftEntry *entry, size_t entry_no)
{
	size_t		array_start = p->pos;

	if (peek(p) != '[')
		return fail(p, p->pos, "entry %zu: \"rels\" must be an array of alias names, not %s",
					entry_no, value_kind(p));
	p->pos++;
	skip_ws(p);
	if (peek(p) == ']')
		return fail(p, array_start, "entry %zu: \"rels\" must list at least one alias", entry_no);
	entry->first_alias = p->nalias;
	entry->nrels = 0;
	for (;;)
	{
		size_t		alias_start;
		size_t		len;
		bool		has_nul;

		skip_ws(p);
		alias_start = p->pos;
		if (peek(p) != '"')
			return fail(p, p->pos, "entry %zu: \"rels\" must contain only alias strings, not %s",
						entry_no, value_kind(p));
		if (!array_grow(p, (void **) &p->alias_starts, p->nalias, &p->alias_cap,
						sizeof(size_t)))
			return false;
		p->alias_starts[p->nalias] = p->strings.len;
		if (!parse_string(p, &p->strings, &len, &has_nul))
			return false;
		if (len == 0)
			return fail(p, alias_start, "entry %zu: \"rels\" contains an empty alias", entry_no);
		if (has_nul)
			return fail(p, alias_start, "entry %zu: an alias contains \\u0000", entry_no);
		if (len > p->max_alias_bytes)
		{
			char		shown[PS_ERROR_SIZE / 2];

			describe_bytes(p->strings.data + p->alias_starts[p->nalias], len,
						   shown, sizeof(shown));
			return fail(p, alias_start,
						"entry %zu: alias \"%s\" is longer than %zu bytes, so no relation can have it",
						entry_no, shown, p->max_alias_bytes);
		}
		p->nalias++;
		if (entry->nrels == UINT32_MAX)
			return fail(p, alias_start, "entry %zu: too many aliases", entry_no);
		entry->nrels++;
		skip_ws(p);
		if (peek(p) == ',')
		{
			p->pos++;
			continue;
		}
		if (peek(p) == ']')
		{
			p->pos++;
			return true;
		}
		return fail(p, p->pos, "entry %zu: expected ',' or ']' in \"rels\"", entry_no);
	}
}

/* True if the number text has a nonzero digit before any exponent. */
static bool
mantissa_is_nonzero(const char *text, size_t len)
{
	size_t		i;

	for (i = 0; i < len && text[i] != 'e' && text[i] != 'E'; i++)
		if (text[i] >= '1' && text[i] <= '9')
			return true;
	return false;
}

static bool
parse_rows(Parser *p, DraftEntry *entry, size_t entry_no)
{
	size_t		start = p->pos;
	double		rows;

	if (!(peek(p) == '-' || (peek(p) >= '0' && peek(p) <= '9')))
		return fail(p, start, "entry %zu: \"rows\" must be a number, not %s",
					entry_no, value_kind(p));
	if (!parse_number(p, &rows))
		return false;
	/* judged on the text: -1e-400 is negative even though it underflows to -0 */
	if (p->text[start] == '-' && mantissa_is_nonzero(p->text + start, p->pos - start))
		return fail(p, start, "entry %zu: \"rows\" must be >= 0", entry_no);
	if (!isfinite(rows))
		return fail(p, start, "entry %zu: \"rows\" is too large (it must be a finite number)",
					entry_no);
	entry->rows = rows == 0 ? 0.0 : rows;	/* no negative zero */
	return true;
}

static bool
parse_level(Parser *p, DraftEntry *entry, size_t entry_no)
{
	size_t		start = p->pos;
	double		level;
	size_t		i;

	if (!(peek(p) == '-' || (peek(p) >= '0' && peek(p) <= '9')))
		return fail(p, start, "entry %zu: \"level\" must be an integer >= 1, not %s",
					entry_no, value_kind(p));
	if (!parse_number(p, &level))
		return false;
	/* written as an integer: digits only */
	for (i = start; i < p->pos; i++)
		if (p->text[i] < '0' || p->text[i] > '9')
			break;
	if (i < p->pos || !(level >= 1 && level <= (double) PS_LEVEL_MAX))
		return fail(p, start,
					"entry %zu: \"level\" must be an integer between 1 (the top query) and %d",
					entry_no, PS_LEVEL_MAX);
	entry->level = (int32_t) level;
	return true;
}

/* Parses one {"rels":..., "rows":..., "level":...} object at p->pos. */
static bool
parse_entry(Parser *p)
{
	DraftEntry	entry;
	size_t		entry_no = p->nentries + 1;
	bool		seen_rels = false;
	bool		seen_rows = false;
	bool		seen_level = false;

	memset(&entry, 0, sizeof(entry));
	entry.level = PS_LEVEL_ANY;
	entry.source_offset = p->pos;
	if (peek(p) != '{')
		return fail(p, p->pos,
					"entry %zu: expected an object {\"rels\":[...],\"rows\":N}, not %s",
					entry_no, value_kind(p));
	p->pos++;
	skip_ws(p);
	if (peek(p) == '}')
		p->pos++;
	else
	{
		for (;;)
		{
			size_t		key_start;
			size_t		key_len;
			bool		key_nul;
			const char *key;

			skip_ws(p);
			key_start = p->pos;
			if (peek(p) != '"')
				return fail(p, p->pos,
							"entry %zu: expected a quoted key (\"rels\", \"rows\" or \"level\")",
							entry_no);
			p->scratch.len = 0;
			if (!parse_string(p, &p->scratch, &key_len, &key_nul))
				return false;
			key = p->scratch.data;
			skip_ws(p);
			if (!expect_char(p, ':', "':' after an object key"))
				return false;
			skip_ws(p);
			if (!key_nul && key_len == 4 && memcmp(key, "rels", 4) == 0)
			{
				if (seen_rels)
					return fail(p, key_start, "entry %zu: \"rels\" is given twice", entry_no);
				seen_rels = true;
				if (!parse_rels(p, &entry, entry_no))
					return false;
			}
			else if (!key_nul && key_len == 4 && memcmp(key, "rows", 4) == 0)
			{
				if (seen_rows)
					return fail(p, key_start, "entry %zu: \"rows\" is given twice", entry_no);
				seen_rows = true;
				if (!parse_rows(p, &entry, entry_no))
					return false;
			}
			else if (!key_nul && key_len == 5 && memcmp(key, "level", 5) == 0)
			{
				if (seen_level)
					return fail(p, key_start, "entry %zu: \"level\" is given twice", entry_no);
				seen_level = true;
				if (!parse_level(p, &entry, entry_no))
					return false;
			}
			else
			{
				char		shown[PS_ERROR_SIZE / 2];

				describe_bytes(key, key_len, shown, sizeof(shown));
				return fail(p, key_start,
							"entry %zu: unknown key \"%s\" (the keys are \"rels\", \"rows\" and \"level\")",
							entry_no, shown);
			}
			skip_ws(p);
			if (peek(p) == ',')
			{
				p->pos++;
				continue;
			}
			if (peek(p) == '}')
			{
				p->pos++;
				break;
			}
			return fail(p, p->pos, "entry %zu: expected ',' or '}' after a value", entry_no);
		}
	}
	if (!seen_rels)
		return fail(p, entry.source_offset,
					"entry %zu: missing \"rels\" (an array of alias names)", entry_no);
	if (!seen_rows)
		return fail(p, entry.source_offset,
					"entry %zu: missing \"rows\" (a number >= 0)", entry_no);
	if (!array_grow(p, (void **) &p->entries, p->nentries, &p->entry_cap,
					sizeof(DraftEntry)))
		return false;
	p->entries[p->nentries++] = entry;
	return true;
}

static bool
parse_document(Parser *p)
{
	skip_ws(p);
	if (p->pos >= p->len)
		return true;			/* empty payload: nothing pushed */
	if (peek(p) != '[')
		return fail(p, p->pos,
					"expected a JSON array of {\"rels\":[...],\"rows\":N} objects");
	p->pos++;
	skip_ws(p);
	if (peek(p) == ']')
		p->pos++;
	else
	{
		for (;;)
		{
			skip_ws(p);
			if (!parse_entry(p))
				return false;
			skip_ws(p);
			if (peek(p) == ',')
			{
				p->pos++;
				continue;
			}
			if (peek(p) == ']')
			{
				p->pos++;
				break;
			}
			if (p->pos >= p->len)
				return fail(p, p->pos, "unexpected end of payload, expected ',' or ']'");
			return fail(p, p->pos, "expected ',' or ']' between entries");
		}
	}
	skip_ws(p);
	if (p->pos < p->len)
		return fail(p, p->pos, "unexpected text after the closing ']'");
	return true;
}

/* ---------- layout and hashing ---------- */

uint32_t
ps_key_hash(const char *key, size_t key_len)
{
	uint32_t	h = 2166136261u;	/* FNV-1a */
	size_t		i;

	for (i = 0; i < key_len; i++)
	{
		h ^= (unsigned char) key[i];
		h *= 16777619u;
	}
	return h;
}

/* Bucket hash of (level, key): mixes the level in, then finalizes. */
static uint32_t
bucket_hash(int32_t level, uint32_t key_hash)
{
	uint32_t	h = key_hash ^ ((uint32_t) level * 0x9E3779B1u);

	h ^= h >> 16;
	h *= 0x85EBCA6Bu;
	h ^= h >> 13;
	h *= 0xC2B2AE35u;
	h ^= h >> 16;
	return h;
}

static PsEntry *
entries_of(const PsPayload *payload)
{
	return (PsEntry *) ((char *) payload + sizeof(PsPayload));
}

static uint32_t *
buckets_of(const PsPayload *payload)
{
	return (uint32_t *) ((char *) entries_of(payload) +
						 (size_t) payload->count * sizeof(PsEntry));
}

static int
compare_alias_ptrs(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Describes an entry's relation set for a duplicate error, e.g. "b,p". */
static void
describe_key(const char *key, size_t key_len, char *out, size_t outsize)
{
	char		joined[PS_ERROR_SIZE];
	size_t		i;
	size_t		n = key_len > sizeof(joined) ? sizeof(joined) : key_len;

	/* aliases are NUL-separated; show them comma-separated */
	for (i = 0; i < n; i++)
		joined[i] = key[i] == '\0' ? ',' : key[i];
	if (n > 0 && joined[n - 1] == ',')
		n--;
	describe_bytes(joined, n, out, outsize);
}

static int32_t
find_in(const PsPayload *payload, int32_t level, const char *key,
		size_t key_len, uint32_t key_hash)
{
	const PsEntry *entries = entries_of(payload);
	const uint32_t *buckets = buckets_of(payload);
	uint32_t	mask = payload->nbuckets - 1;
	uint32_t	b = bucket_hash(level, key_hash) & mask;

	for (;;)
	{
		uint32_t	slot = buckets[b];
		const PsEntry *e;

		if (slot == 0)
			return -1;
		e = &entries[slot - 1];
		if (e->key_hash == key_hash && e->level == level && e->key_len == key_len &&
			memcmp((const char *) payload + e->key_offset, key, key_len) == 0)
			return (int32_t) (slot - 1);
		b = (b + 1) & mask;
	}
}

/* Builds the block from the drafts; fails on duplicate aliases or relation sets. */
static bool
build_payload(Parser *p, PsPayload **out)
{
	const char **sorted = NULL;
	size_t		max_nrels = 0;
	size_t		key_bytes = 0;
	size_t		nbuckets = 8;
	size_t		entries_size;
	size_t		total;
	size_t		i;
	PsPayload  *payload;
	PsEntry    *entries;
	uint32_t   *buckets;
	char	   *keys;
	size_t		key_pos;

	*out = NULL;
	if (p->nentries == 0)
		return true;
	if (p->nentries > UINT32_MAX / 4)
		return fail(p, 0, "too many entries");

	for (i = 0; i < p->nentries; i++)
	{
		size_t		a;
		const DraftEntry *d = &p->entries[i];

		if (d->nrels > max_nrels)
			max_nrels = d->nrels;
		for (a = 0; a < d->nrels; a++)
		{
			size_t		len = strlen(p->strings.data + p->alias_starts[d->first_alias + a]) + 1;

			if (len > SIZE_MAX - key_bytes)
				return fail_no_memory(p);
			key_bytes += len;
		}
	}
	while (nbuckets < p->nentries * 2)
		nbuckets *= 2;
	entries_size = p->nentries * sizeof(PsEntry);
	total = sizeof(PsPayload) + entries_size + nbuckets * sizeof(uint32_t);
	if (key_bytes > UINT32_MAX - total)
		return fail(p, 0, "payload too large");
	total += key_bytes;

	sorted = malloc(max_nrels * sizeof(char *));
	payload = calloc(1, total);
	if (sorted == NULL || payload == NULL)
	{
		free(sorted);
		free(payload);
		return fail_no_memory(p);
	}
	payload->magic = PS_MAGIC;
	payload->count = (uint32_t) p->nentries;
	payload->nbuckets = (uint32_t) nbuckets;
	payload->size = total;
	entries = entries_of(payload);
	buckets = buckets_of(payload);
	keys = (char *) buckets + nbuckets * sizeof(uint32_t);
	key_pos = (size_t) (keys - (char *) payload);

	for (i = 0; i < p->nentries; i++)
	{
		const DraftEntry *d = &p->entries[i];
		PsEntry    *e = &entries[i];
		size_t		a;
		size_t		start = key_pos;
		int32_t		dup;

		for (a = 0; a < d->nrels; a++)
			sorted[a] = p->strings.data + p->alias_starts[d->first_alias + a];
		qsort(sorted, d->nrels, sizeof(char *), compare_alias_ptrs);
		for (a = 0; a < d->nrels; a++)
		{
			size_t		len = strlen(sorted[a]) + 1;

			if (a > 0 && strcmp(sorted[a], sorted[a - 1]) == 0)
			{
				char		shown[PS_ERROR_SIZE / 2];

				describe_bytes(sorted[a], len - 1, shown, sizeof(shown));
				fail(p, d->source_offset, "entry %zu: alias \"%s\" appears twice in \"rels\"",
					 i + 1, shown);
				goto failed;
			}
			memcpy((char *) payload + key_pos, sorted[a], len);
			key_pos += len;
		}
		e->rows = d->rows;
		e->level = d->level;
		e->nrels = d->nrels;
		e->key_offset = (uint32_t) start;
		e->key_len = (uint32_t) (key_pos - start);
		e->key_hash = ps_key_hash((char *) payload + start, e->key_len);
		e->source_offset = d->source_offset > UINT32_MAX ? UINT32_MAX : (uint32_t) d->source_offset;

		/* insert into the hash (which holds entries 0..i-1), rejecting a
		 * second entry for the same relation set */
		dup = find_in(payload, e->level, (char *) payload + start, e->key_len, e->key_hash);
		if (dup >= 0)
		{
			char		shown[PS_ERROR_SIZE / 2];
			char		level[32];

			describe_key((char *) payload + start, e->key_len, shown, sizeof(shown));
			if (e->level == PS_LEVEL_ANY)
				snprintf(level, sizeof(level), "any level");
			else
				snprintf(level, sizeof(level), "level %d", (int) e->level);
			fail(p, d->source_offset,
				 "entries %d and %zu both push relation set (%s) at %s; give each relation set once",
				 (int) dup + 1, i + 1, shown, level);
			goto failed;
		}
		{
			uint32_t	mask = (uint32_t) nbuckets - 1;
			uint32_t	b = bucket_hash(e->level, e->key_hash) & mask;

			while (buckets[b] != 0)
				b = (b + 1) & mask;
			buckets[b] = (uint32_t) i + 1;
		}
	}
	free(sorted);
	*out = payload;
	return true;

failed:
	free(sorted);
	free(payload);
	return false;
}

/* ---------- public API ---------- */

PsStatus
ps_payload_parse(const char *text, size_t len, size_t max_alias_bytes,
				 PsPayload **out, PsError *err)
{
	Parser		p;
	PsPayload  *payload = NULL;

	memset(&p, 0, sizeof(p));
	memset(err, 0, sizeof(*err));
	p.text = text;
	p.len = text == NULL ? 0 : len;
	p.max_alias_bytes = max_alias_bytes;
	p.err = err;
	p.status = PS_OK;

	if (parse_document(&p))
		build_payload(&p, &payload);

	free(p.strings.data);
	free(p.scratch.data);
	free(p.alias_starts);
	free(p.entries);
	*out = p.status == PS_OK ? payload : NULL;
	return p.status;
}

uint32_t
ps_payload_count(const PsPayload *payload)
{
	return payload == NULL ? 0 : payload->count;
}

size_t
ps_payload_size(const PsPayload *payload)
{
	return payload == NULL ? 0 : (size_t) payload->size;
}

const PsEntry *
ps_payload_entry(const PsPayload *payload, uint32_t index)
{
	if (payload == NULL || index >= payload->count)
		return NULL;
	return &entries_of(payload)[index];
}

const char *
ps_entry_key(const PsPayload *payload, const PsEntry *entry)
{
	return (const char *) payload + entry->key_offset;
}

int32_t
ps_payload_find(const PsPayload *payload, int32_t level, const char *key,
				size_t key_len, uint32_t key_hash)
{
	if (payload == NULL || payload->count == 0)
		return -1;
	return find_in(payload, level, key, key_len, key_hash);
}
