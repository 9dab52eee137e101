--
-- geqo: the genetic optimizer builds join relations tour by tour; pushed
-- values apply in every tour and the pull sees every relation set any tour built
--
SET geqo_threshold = 4;
SET geqo_seed = 0.5;
-- a five-way join.  One GEQO tour builds 4 join relations and PostgreSQL keeps
-- only the final tour's; the pull shows every join any tour built (here all
-- 14 the exhaustive search builds)
BEGIN;
SELECT set_config('pilotscope.collect', 'on', true);
SET LOCAL geqo = off;
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u, ps_posts p, ps_comments c, ps_tags t, ps_users a
WHERE u.id = p.owner AND p.id = c.post AND t.post = p.id AND a.id = c.author AND u.city = 2;
CREATE TEMP TABLE exhaustive AS SELECT aliases FROM pilotscope_relsets();
SET LOCAL geqo = on;
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u, ps_posts p, ps_comments c, ps_tags t, ps_users a
WHERE u.id = p.owner AND p.id = c.post AND t.post = p.id AND a.id = c.author AND u.city = 2;
CREATE TEMP TABLE genetic AS SELECT aliases, rows FROM pilotscope_relsets();
SELECT (SELECT count(*) FROM exhaustive) AS exhaustive, (SELECT count(*) FROM genetic) AS genetic,
       (SELECT count(*) FROM genetic WHERE array_length(aliases, 1) > 1) AS genetic_joins,
       (SELECT count(*) FROM genetic WHERE aliases NOT IN (SELECT aliases FROM exhaustive)) AS not_in_exhaustive;
COMMIT;

-- push a value for every relation set GEQO built: all applied, in every tour
BEGIN;
SELECT set_config('pilotscope.cards',
  (SELECT json_agg(json_build_object('rels', aliases, 'rows', 1000 + 10 * array_length(aliases, 1)))::text FROM genetic),
  true) IS NOT NULL AS pushed;
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u, ps_posts p, ps_comments c, ps_tags t, ps_users a
WHERE u.id = p.owner AND p.id = c.post AND t.post = p.id AND a.id = c.author AND u.city = 2;
SELECT count(*) AS entries, count(*) FILTER (WHERE applied) AS applied FROM pilotscope_push_report();
SELECT count(*) AS relsets, count(*) FILTER (WHERE pushed) AS pushed,
       count(*) FILTER (WHERE rows = 1000 + 10 * array_length(aliases, 1)) AS with_pushed_rows
FROM pilotscope_relsets();
COMMIT;

-- a relation set no tour builds (t and a share no join clause) is reported as such
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["a","t"],"rows":5},{"rels":["p","u"],"rows":5}]', true);
EXPLAIN (COSTS OFF)
SELECT count(*) FROM ps_users u, ps_posts p, ps_comments c, ps_tags t, ps_users a
WHERE u.id = p.owner AND p.id = c.post AND t.post = p.id AND a.id = c.author AND u.city = 2;
SELECT * FROM pilotscope_push_report();
COMMIT;
DROP TABLE exhaustive, genetic;
RESET geqo_threshold;
RESET geqo_seed;
