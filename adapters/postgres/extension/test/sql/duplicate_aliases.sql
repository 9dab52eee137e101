--
-- duplicate_aliases: a pulled-up view or subquery reusing an alias of the query
--
CREATE VIEW ps_user_posts AS
  SELECT p.id AS post, u.city FROM ps_posts p JOIN ps_users u ON u.id = p.owner WHERE p.kind = 1;

-- "p" and "u" appear twice at the same level: the later ones (in range-table
-- order) are named p_1 and u_1, as EXPLAIN names them; relids tell them apart
BEGIN;
SELECT set_config('pilotscope.collect_sql', 'on', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_posts p, ps_users u, ps_user_posts v
WHERE u.id = p.owner AND v.post = p.id AND u.city = 1;
SELECT kind, relids, aliases, relnames, rows, subquery_sql FROM pilotscope_relsets();
COMMIT;

-- each can be pushed on its own
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["p_1"],"rows":3},{"rels":["p","p_1"],"rows":4}]', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_posts p, ps_users u, ps_user_posts v
WHERE u.id = p.owner AND v.post = p.id AND u.city = 1;
SELECT relids, aliases, rows, planner_rows, pushed FROM pilotscope_relsets() WHERE pushed;
SELECT * FROM pilotscope_push_report();
COMMIT;

-- a name that is taken is skipped: the second "p" becomes p_2 when the query has p_1
BEGIN;
SELECT set_config('pilotscope.collect', 'on', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_posts p, ps_tags p_1, ps_user_posts v
WHERE v.post = p.id AND p_1.post = p.id;
SELECT relids, aliases, relnames FROM pilotscope_relsets() WHERE kind = 'base';
COMMIT;

-- a subquery in FROM, pulled up, with the same alias
BEGIN;
SELECT set_config('pilotscope.collect', 'on', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_posts p, (SELECT p.owner FROM ps_posts p WHERE p.kind = 2) s
WHERE s.owner = p.owner AND p.score = 5;
SELECT query_level, relids, aliases, rows FROM pilotscope_relsets();
COMMIT;
DROP VIEW ps_user_posts;
