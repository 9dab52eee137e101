--
-- pull: every relation set the planner builds, with its rows and SQL
--
BEGIN;
SELECT set_config('pilotscope.collect', 'on', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u, ps_posts p, ps_comments c
WHERE u.id = p.owner AND p.id = c.post AND u.city < 5 AND c.score = 1;
SELECT query_level, kind, relids, aliases, relnames, join_type, rows, planner_rows, pushed, subquery_sql
FROM pilotscope_relsets();
-- nothing pushed: the report is empty
SELECT * FROM pilotscope_push_report();
COMMIT;

-- the result survives statements that plan no table, and reading it twice
SELECT set_config('pilotscope.collect', 'on', false);
SELECT 1;
SELECT count(*) FROM pilotscope_relsets();
SELECT count(*) FROM pilotscope_relsets();
SELECT aliases, rows FROM pilotscope_relsets() WHERE kind = 'join';

-- a later run over a table replaces it
SELECT count(*) FROM ps_tags t WHERE t.name = 'tag7';
SELECT query_level, kind, aliases, relnames, rows FROM pilotscope_relsets();
RESET pilotscope.collect;

-- with collection off and no payload nothing is recorded: the last result stays
SELECT count(*) FROM ps_users u, ps_posts p WHERE u.id = p.owner;
SELECT aliases FROM pilotscope_relsets();

-- collect_sql: a SELECT count(*) per relation set, equivalence-class joins included
BEGIN;
SELECT set_config('pilotscope.collect_sql', 'on', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u, ps_posts p, ps_comments c
WHERE u.id = p.owner AND p.owner = c.author AND c.score IN (1, 2) AND p.kind = 2;
SELECT aliases, subquery_sql FROM pilotscope_relsets();
-- the texts run, and count the relation sets
SELECT aliases, count_of(subquery_sql) AS true_rows, rows AS estimate FROM pilotscope_relsets();
COMMIT;

-- unaliased tables are keyed by their name; quoted aliases keep their case
BEGIN;
SELECT set_config('pilotscope.collect_sql', 'on', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users, ps_posts "P o" WHERE ps_users.id = "P o".owner;
SELECT aliases, relnames, subquery_sql FROM pilotscope_relsets();
COMMIT;
