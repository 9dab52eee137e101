--
-- Setup for the backend fuzz driver (fuzz_backend.c): small tables to plan
-- against, and an oracle that says, in SQL terms, whether a payload is valid.
--
CREATE EXTENSION IF NOT EXISTS pilotscope;
DROP TABLE IF EXISTS fz_a, fz_b, fz_c;
CREATE TABLE fz_a (id int PRIMARY KEY, v int);
CREATE TABLE fz_b (id int PRIMARY KEY, a int, v int);
CREATE TABLE fz_c (id int PRIMARY KEY, b int, v int);
INSERT INTO fz_a SELECT i, i % 10 FROM generate_series(1, 1000) i;
INSERT INTO fz_b SELECT i, 1 + i % 1000, i % 7 FROM generate_series(1, 3000) i;
INSERT INTO fz_c SELECT i, 1 + i % 3000, i % 5 FROM generate_series(1, 5000) i;
CREATE INDEX ON fz_b (a);
CREATE INDEX ON fz_c (b);
ANALYZE fz_a, fz_b, fz_c;

-- The number of entries of a valid payload, or -1 if the extension must reject it.
-- Written from the specification, independently of the C parser:
--   a JSON array (or empty/whitespace text) of objects with exactly the keys
--   "rels" (non-empty array of distinct, non-empty strings without NUL, at most
--   74 bytes each), "rows" (a number >= 0 that fits a double; values below the
--   double range count as 0), optional "level" (an integer literal 1..2^31-1);
--   no two entries for the same (level, set of aliases).
CREATE OR REPLACE FUNCTION pilotscope_fuzz_oracle(payload text) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  doc json;
  e json;
  r json;
  keys text[];
  alias text;
  aliases text[];
  seen text[] := '{}';
  set_key text;
  num text;
  rows_value float8;
  n int := 0;
BEGIN
  IF btrim(payload, E' \t\n\r') = '' THEN
    RETURN 0;
  END IF;
  BEGIN
    doc := payload::json;
    IF json_typeof(doc) <> 'array' THEN
      RETURN -1;
    END IF;
    FOR e IN SELECT value FROM json_array_elements(doc) LOOP
      n := n + 1;
      IF json_typeof(e) <> 'object' THEN
        RETURN -1;
      END IF;
      keys := ARRAY(SELECT json_object_keys(e));
      IF EXISTS (SELECT 1 FROM unnest(keys) k WHERE k NOT IN ('rels', 'rows', 'level'))
         OR cardinality(keys) <> (SELECT count(DISTINCT k) FROM unnest(keys) k)
         OR NOT ('rels' = ANY (keys)) OR NOT ('rows' = ANY (keys)) THEN
        RETURN -1;
      END IF;

      IF json_typeof(e->'rels') <> 'array' OR json_array_length(e->'rels') = 0 THEN
        RETURN -1;
      END IF;
      aliases := '{}';
      FOR r IN SELECT value FROM json_array_elements(e->'rels') LOOP
        IF json_typeof(r) <> 'string' THEN
          RETURN -1;
        END IF;
        alias := r #>> '{}';
        IF alias = '' OR octet_length(alias) > 74 OR alias = ANY (aliases) THEN
          RETURN -1;
        END IF;
        aliases := aliases || alias;
      END LOOP;

      IF json_typeof(e->'rows') <> 'number' THEN
        RETURN -1;
      END IF;
      num := e->>'rows';
      BEGIN
        rows_value := num::float8;
      EXCEPTION WHEN numeric_value_out_of_range THEN
        -- beyond the double range: tiny magnitudes are 0, large ones invalid
        IF num !~* 'e-' THEN
          RETURN -1;
        END IF;
        rows_value := 0;
      END;
      IF num ~ '^-' AND substring(num FROM '^-?[0-9.]*') ~ '[1-9]' THEN
        RETURN -1;
      END IF;
      IF rows_value < 0 OR rows_value = 'Infinity'::float8 THEN
        RETURN -1;
      END IF;

      set_key := 'any';
      IF 'level' = ANY (keys) THEN
        num := e->>'level';
        IF json_typeof(e->'level') <> 'number' OR num !~ '^[0-9]+$'
           OR num::numeric < 1 OR num::numeric > 2147483647 THEN
          RETURN -1;
        END IF;
        set_key := num::numeric::text;
      END IF;
      set_key := set_key || ':'
        || to_jsonb(ARRAY(SELECT x FROM unnest(aliases) x ORDER BY convert_to(x, 'UTF8')))::text;
      IF set_key = ANY (seen) THEN
        RETURN -1;
      END IF;
      seen := seen || set_key;
    END LOOP;
  EXCEPTION WHEN OTHERS THEN
    -- not JSON, or strings PostgreSQL cannot decode (bad surrogates, \u0000)
    RETURN -1;
  END;
  RETURN n;
END $$;
