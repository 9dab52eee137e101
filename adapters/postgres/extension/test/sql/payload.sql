--
-- payload: pilotscope.cards is parsed and checked when it is set
--
-- accepted forms
SELECT set_config('pilotscope.cards', '', false);
SELECT set_config('pilotscope.cards', '  ', false);
SELECT set_config('pilotscope.cards', '[]', false);
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":5}]', false);
SELECT set_config('pilotscope.cards',
  ' [ {"rows": 1e3, "level": 2, "rels": ["p", "u"]}, {"rels":["p"],"rows":0.5,"level":1} ] ', false);
SET pilotscope.cards = '[{"rels":["\u0070"],"rows":7}]';
SHOW pilotscope.cards;
RESET pilotscope.cards;
SHOW pilotscope.cards;

-- transaction-local, as clients should set it
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":5}]', true);
SHOW pilotscope.cards;
COMMIT;
SHOW pilotscope.cards;

-- malformed payloads: a clean error naming the problem and its offset
\set VERBOSITY default
SELECT set_config('pilotscope.cards', '{"rels":["u"],"rows":5}', true);
SELECT set_config('pilotscope.cards', 'null', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":5}', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":5},]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":5}] trailing', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u"]}]', true);
SELECT set_config('pilotscope.cards', '[{"rows":5}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"row":5}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":5,"rows":6}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":[],"rows":5}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":"u","rows":5}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":[""],"rows":5}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u",7],"rows":5}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u","u"],"rows":5}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":-1}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":1e999}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":-1e-400}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":"5"}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":NaN}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":5,"level":0}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":5,"level":1.5}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":5,"level":2.0}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":5,"level":null}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u\x"],"rows":5}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u\u00"],"rows":5}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["\udc00"],"rows":5}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u\u0000"],"rows":5}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u],"rows":5}]', true);
SELECT set_config('pilotscope.cards', '[{"rels":["' || repeat('x', 75) || '"],"rows":5}]', true);
-- the same relation set twice (the alias order does not matter; levels do)
SELECT set_config('pilotscope.cards', '[{"rels":["p","u"],"rows":5},{"rels":["u","p"],"rows":6}]', true);
SELECT set_config('pilotscope.cards',
  '[{"rels":["p"],"rows":5,"level":2},{"rels":["u"],"rows":1},{"rels":["p"],"rows":6,"level":2}]', true);
SELECT set_config('pilotscope.cards',
  '[{"rels":["p"],"rows":5,"level":2},{"rels":["p"],"rows":6},{"rels":["p"],"rows":7,"level":1}]', true) IS NOT NULL;

-- a failed SET leaves the value in force unchanged
SET pilotscope.cards = '[{"rels":["u"],"rows":5}]';
SET pilotscope.cards = '[{"rels":["u"],"rows":-5}]';
SHOW pilotscope.cards;
RESET pilotscope.cards;

-- a failed set_config aborts its transaction only
BEGIN;
SELECT set_config('pilotscope.cards', '[1]', true);
SELECT 1;
ROLLBACK;
SELECT 1 AS still_alive;

-- other names under the prefix are reserved
SET pilotscope.card = '[]';

-- large payloads: 3000 entries, one of them matches
BEGIN;
SELECT set_config('pilotscope.cards',
  (SELECT json_agg(json_build_object('rels', json_build_array('t' || i, 's' || i % 7), 'rows', i))::text
     || '' FROM generate_series(1, 2999) i)
  || '', true) IS NOT NULL AS accepted;
SELECT set_config('pilotscope.cards',
  rtrim(current_setting('pilotscope.cards'), ']') || ',{"rels":["u"],"rows":42}]', true) IS NOT NULL AS accepted;
EXPLAIN (COSTS OFF) SELECT * FROM ps_users u WHERE u.city = 3;
SELECT count(*), count(*) FILTER (WHERE applied) AS applied FROM pilotscope_push_report();
SELECT aliases, rows, pushed FROM pilotscope_relsets();
COMMIT;
