--
-- outer_joins: relation sets under outer, semi and anti joins
--
BEGIN;
SELECT set_config('pilotscope.collect_sql', 'on', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u
  LEFT JOIN ps_posts p ON p.owner = u.id AND p.kind = 1
  JOIN ps_tags t ON t.post = p.id
WHERE u.city = 4;
SELECT aliases, join_type, rows, subquery_sql FROM pilotscope_relsets() WHERE kind = 'join';
COMMIT;

BEGIN;
SELECT set_config('pilotscope.collect_sql', 'on', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u LEFT JOIN ps_posts p ON p.owner = u.id
WHERE u.city = 4
  AND EXISTS (SELECT 1 FROM ps_comments c WHERE c.author = u.id AND c.score = 3)
  AND NOT EXISTS (SELECT 1 FROM ps_tags t WHERE t.post = p.id);
SELECT aliases, join_type, rows, subquery_sql IS NOT NULL AS has_sql
FROM pilotscope_relsets() WHERE kind = 'join';
COMMIT;

BEGIN;
SELECT set_config('pilotscope.collect', 'on', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM (SELECT * FROM ps_users WHERE city = 1) u
  FULL JOIN (SELECT * FROM ps_posts WHERE kind = 2) p ON p.owner = u.id;
SELECT aliases, join_type, rows FROM pilotscope_relsets();
COMMIT;

-- pushing into an outer join relation set sets the join's output rows
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["p","u"],"rows":99999}]', true);
CALL show_rows('SELECT count(*) FROM ps_users u LEFT JOIN ps_posts p ON p.owner = u.id WHERE u.city = 4');
SELECT aliases, join_type, rows, planner_rows, pushed FROM pilotscope_relsets() WHERE kind = 'join';
COMMIT;

-- and into the semi join of an EXISTS
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["c","u"],"rows":3}]', true);
CALL show_rows('SELECT count(*) FROM ps_users u WHERE EXISTS (SELECT 1 FROM ps_comments c WHERE c.author = u.id AND c.score = 3)');
SELECT aliases, join_type, rows, planner_rows, pushed FROM pilotscope_relsets() WHERE kind = 'join';
COMMIT;
