--
-- levels: subqueries and CTEs are planned at their own query level
--
-- a subquery that is not pulled up (it aggregates) and a materialized CTE
BEGIN;
SELECT set_config('pilotscope.collect_sql', 'on', true);
EXPLAIN (COSTS OFF)
WITH busy AS MATERIALIZED (
  SELECT c.post, count(*) AS n FROM ps_comments c, ps_posts p
  WHERE c.post = p.id AND p.kind = 1 GROUP BY c.post)
SELECT count(*)
FROM ps_users u, ps_posts p, busy b,
     (SELECT t.post FROM ps_tags t WHERE t.name = 'tag1' GROUP BY t.post) s
WHERE u.id = p.owner AND b.post = p.id AND s.post = p.id AND u.city = 2;
SELECT query_level, kind, aliases, relnames, rows, subquery_sql IS NOT NULL AS has_sql
FROM pilotscope_relsets();
COMMIT;

-- the same alias "p" at levels 1 and 2: an entry without "level" applies at
-- every level, an entry with "level" at that one only (and wins there)
BEGIN;
SELECT set_config('pilotscope.cards',
  '[{"rels":["p"],"rows":77},{"rels":["c","p"],"rows":5,"level":2},{"rels":["p"],"rows":55,"level":2}]', true);
EXPLAIN (COSTS OFF)
WITH busy AS MATERIALIZED (
  SELECT c.post, count(*) AS n FROM ps_comments c, ps_posts p
  WHERE c.post = p.id AND p.kind = 1 GROUP BY c.post)
SELECT count(*) FROM ps_users u, ps_posts p, busy b
WHERE u.id = p.owner AND b.post = p.id AND u.city = 2;
SELECT query_level, aliases, rows, planner_rows, pushed FROM pilotscope_relsets();
SELECT * FROM pilotscope_push_report();
COMMIT;

-- a pulled-up subquery joins the upper level (one level only)
BEGIN;
SELECT set_config('pilotscope.collect', 'on', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u, (SELECT p.owner FROM ps_posts p WHERE p.kind = 0) s
WHERE s.owner = u.id;
SELECT query_level, aliases FROM pilotscope_relsets();
COMMIT;

-- correlated subqueries (SubPlans) and the arms of a UNION
BEGIN;
SELECT set_config('pilotscope.collect', 'on', true);
EXPLAIN (COSTS OFF)
SELECT u.id, (SELECT count(*) FROM ps_posts p WHERE p.owner = u.id AND p.kind = 2)
FROM ps_users u WHERE u.city = 1
UNION ALL
SELECT t.id, 0 FROM ps_tags t WHERE t.name = 'tag9';
SELECT query_level, kind, aliases, rows FROM pilotscope_relsets();
COMMIT;
