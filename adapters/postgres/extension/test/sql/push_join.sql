--
-- push_join: pushed cardinalities of join relation sets
--
-- the planner joins p and u first
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u, ps_posts p, ps_comments c
WHERE u.id = p.owner AND p.id = c.post AND u.city < 5 AND c.score = 1;
-- claim that {p,u} is huge and {c,p} tiny: the join order flips
BEGIN;
SELECT set_config('pilotscope.cards',
  '[{"rels":["p","u"],"rows":1000000},{"rels":["c","p"],"rows":10}]', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u, ps_posts p, ps_comments c
WHERE u.id = p.owner AND p.id = c.post AND u.city < 5 AND c.score = 1;
SELECT aliases, rows, planner_rows, pushed FROM pilotscope_relsets();
SELECT * FROM pilotscope_push_report();
COMMIT;

-- push the true cardinality of every relation set: pull with SQL, count, push
BEGIN;
SELECT set_config('pilotscope.collect_sql', 'on', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u, ps_posts p, ps_comments c, ps_tags t
WHERE u.id = p.owner AND p.id = c.post AND t.post = p.id AND u.city = 3 AND u.id % 20 = 3 AND t.name = 'tag3';
SELECT set_config('pilotscope.cards', true_cards(), true) IS NOT NULL AS pushed;
SELECT set_config('pilotscope.collect_sql', 'off', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u, ps_posts p, ps_comments c, ps_tags t
WHERE u.id = p.owner AND p.id = c.post AND t.post = p.id AND u.city = 3 AND u.id % 20 = 3 AND t.name = 'tag3';
-- every relation set carries its true count
SELECT r.aliases, r.rows, r.planner_rows, r.pushed, (e->>'rows')::float8 AS true_rows
FROM pilotscope_relsets() r
JOIN json_array_elements(current_setting('pilotscope.cards')::json) e
  ON ARRAY(SELECT json_array_elements_text(e->'rels')) = r.aliases;
SELECT count(*) AS entries, count(*) FILTER (WHERE applied) AS applied FROM pilotscope_push_report();
COMMIT;

-- a join relation set the planner never builds (no join clause links t and u)
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["t","u"],"rows":5}]', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u, ps_posts p, ps_tags t WHERE u.id = p.owner AND t.post = p.id;
SELECT * FROM pilotscope_push_report();
COMMIT;

-- rebuilding the paths of a join gives exactly the plan of replacing its rows in place
BEGIN;
SELECT set_config('pilotscope.cards',
  '[{"rels":["p","u"],"rows":1000000},{"rels":["c","p"],"rows":10},{"rels":["c","p","u"],"rows":3}]', true);
DO $$
DECLARE
  a text := '';
  b text := '';
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN SELECT count(*) FROM ps_users u, ps_posts p, ps_comments c '
                      'WHERE u.id = p.owner AND p.id = c.post AND u.city < 5 AND c.score = 1' LOOP
    a := a || line || E'\n';
  END LOOP;
  PERFORM set_config('pilotscope.always_rebuild', 'on', true);
  FOR line IN EXECUTE 'EXPLAIN SELECT count(*) FROM ps_users u, ps_posts p, ps_comments c '
                      'WHERE u.id = p.owner AND p.id = c.post AND u.city < 5 AND c.score = 1' LOOP
    b := b || line || E'\n';
  END LOOP;
  RAISE NOTICE 'same plan and costs: %', a = b;
END $$;
COMMIT;
