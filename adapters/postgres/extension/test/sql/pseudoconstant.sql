--
-- pseudoconstant: a join clause without variables (e.g. now() > '2000-01-01')
-- makes PostgreSQL skip set_join_pathlist_hook for that join
--
-- at the top join the rows are set on its finished paths; everything above
-- (here the aggregate) uses them, and the report says how it was applied
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["p","u"],"rows":4242},{"rels":["u"],"rows":10}]', true);
CALL show_rows('SELECT count(*) FROM ps_users u, ps_posts p WHERE u.id = p.owner AND now() > ''2000-01-01''');
SELECT aliases, rows, planner_rows, pushed FROM pilotscope_relsets();
SELECT * FROM pilotscope_push_report();
COMMIT;

-- below an outer join the clause stays at its own join, which later joins
-- already used: that push is reported as not applied
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["c","p"],"rows":4242}]', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u
  LEFT JOIN (ps_posts p JOIN ps_comments c ON c.post = p.id AND now() > '2000-01-01') ON p.owner = u.id
WHERE u.city = 1;
SELECT aliases, join_type, rows, planner_rows, pushed FROM pilotscope_relsets() WHERE kind = 'join';
SELECT * FROM pilotscope_push_report();
COMMIT;
