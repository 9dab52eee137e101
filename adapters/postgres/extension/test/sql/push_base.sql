--
-- push_base: a pushed cardinality on one base relation changes the plan
--
-- the planner's own plan for 1000 users: a hash join
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u, ps_posts p WHERE u.id = p.owner AND u.city < 10;
-- pushing 1 row for u alone: a nested loop over the index on p.owner
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":1}]', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u, ps_posts p WHERE u.id = p.owner AND u.city < 10;
SELECT aliases, rows, planner_rows, pushed FROM pilotscope_relsets();
SELECT * FROM pilotscope_push_report();
-- every later estimate follows: the join is estimated from the pushed size
CALL show_rows('SELECT count(*) FROM ps_users u, ps_posts p WHERE u.id = p.owner AND u.city < 10');
COMMIT;

-- the other way round: 100 users give a nested loop, 1500 pushed give a hash join
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u, ps_posts p WHERE u.id = p.owner AND u.city = 3;
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":1500}]', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u, ps_posts p WHERE u.id = p.owner AND u.city = 3;
COMMIT;

-- a single-table query: the scan takes the pushed rows
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["c"],"rows":12345}]', true);
CALL show_rows('SELECT * FROM ps_comments c WHERE c.score = 1');
COMMIT;

-- the planner's clamping: 0 becomes 1, fractions round to the nearest integer
-- (2.5 to even), 1e200 is capped at 1e100
BEGIN;
SELECT set_config('pilotscope.cards',
  '[{"rels":["u"],"rows":0},{"rels":["p"],"rows":2.5},{"rels":["c"],"rows":1e200}]', true);
EXPLAIN (COSTS OFF)
SELECT * FROM ps_users u, ps_posts p, ps_comments c WHERE u.id = p.owner AND p.id = c.post;
SELECT aliases, rows FROM pilotscope_relsets() WHERE kind = 'base';
COMMIT;

-- an entry that matches nothing is reported, the others still apply
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["x"],"rows":5},{"rels":["u"],"rows":7}]', true);
EXPLAIN (COSTS OFF) SELECT * FROM ps_users u WHERE u.city = 1;
SELECT * FROM pilotscope_push_report();
COMMIT;
