--
-- rel_kinds: relations that are not plain tables
--
CREATE TABLE ps_events (id int, kind int, at int) PARTITION BY RANGE (at);
CREATE TABLE ps_events_1 PARTITION OF ps_events FOR VALUES FROM (0) TO (500);
CREATE TABLE ps_events_2 PARTITION OF ps_events FOR VALUES FROM (500) TO (1000);
ALTER TABLE ps_events_1 SET (autovacuum_enabled = off);
ALTER TABLE ps_events_2 SET (autovacuum_enabled = off);
INSERT INTO ps_events SELECT i, i % 4, i % 1000 FROM generate_series(1, 4000) i;
CREATE INDEX ON ps_events (id);
VACUUM ANALYZE ps_events;

-- a partitioned table is one relation set (its partitions are not): the
-- partitions are scaled in proportion, the Append carries the pushed rows
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["e"],"rows":7},{"rels":["e","u"],"rows":9}]', true);
CALL show_rows('SELECT count(*) FROM ps_events e, ps_users u WHERE e.id = u.id AND e.kind = 1');
SELECT kind, aliases, relnames, rows, planner_rows, pushed FROM pilotscope_relsets();
SELECT * FROM pilotscope_push_report();
COMMIT;

-- partitionwise joins build child joins: they are not relation sets of the
-- query; each is scaled by the factor its parent join was pushed by (their sum
-- can differ from the pushed value below the top join, which is made exact)
SET enable_partitionwise_join = on;
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["e","f"],"rows":11}]', true);
CALL show_rows('SELECT count(*) FROM ps_events e JOIN ps_events f ON e.at = f.at AND e.id = f.id');
SELECT kind, aliases, rows, planner_rows, pushed FROM pilotscope_relsets();
COMMIT;
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["e","f"],"rows":11},{"rels":["e","f","g"],"rows":500}]', true);
CALL show_rows('SELECT count(*) FROM ps_events e JOIN ps_events f ON e.at = f.at AND e.id = f.id JOIN ps_events g ON g.at = f.at AND g.kind = f.kind');
SELECT * FROM pilotscope_push_report();
COMMIT;
RESET enable_partitionwise_join;

-- a UNION ALL in FROM becomes an appendrel, scaled the same way
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["x"],"rows":13}]', true);
CALL show_rows('SELECT count(*) FROM (SELECT id FROM ps_users UNION ALL SELECT id FROM ps_tags) x, ps_posts p WHERE p.owner = x.id');
SELECT query_level, kind, aliases, rows, pushed FROM pilotscope_relsets() WHERE query_level = 1;
SELECT * FROM pilotscope_push_report();
COMMIT;

-- functions, VALUES (named *VALUES*), a CTE scan, a subquery scan, TABLESAMPLE
BEGIN;
SELECT set_config('pilotscope.cards',
  '[{"rels":["g"],"rows":3},{"rels":["*VALUES*"],"rows":4},{"rels":["w"],"rows":5},{"rels":["s"],"rows":6},{"rels":["t"],"rows":8}]', true);
CALL show_rows($$
  WITH w AS MATERIALIZED (SELECT post FROM ps_tags WHERE name = 'tag4')
  SELECT count(*)
  FROM generate_series(1, 100) g(i)
  JOIN (VALUES (1), (2), (3)) v(i) ON v.i = g.i
  JOIN w ON w.post = g.i
  JOIN (SELECT owner, count(*) FROM ps_posts GROUP BY owner) s ON s.owner = g.i
  JOIN ps_comments t TABLESAMPLE SYSTEM (50) REPEATABLE (1) ON t.post = g.i
$$);
SELECT query_level, aliases, relnames, rows, planner_rows, pushed FROM pilotscope_relsets()
WHERE kind = 'base' ORDER BY query_level, aliases;
SELECT * FROM pilotscope_push_report();
COMMIT;
DROP TABLE ps_events;
