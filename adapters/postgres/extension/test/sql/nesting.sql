--
-- nesting: planning inside planning or inside the executor is not the
-- statement's own and is left alone
--
CREATE FUNCTION tag_count() RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN (SELECT count(*) FROM ps_tags t WHERE t.name = 'tag1');
END $$;
CREATE FUNCTION posts_of(owner int) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT count(*) FROM ps_posts x WHERE x.owner = posts_of.owner);
END $$;

BEGIN;
SELECT set_config('pilotscope.collect', 'on', true);
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":3},{"rels":["t"],"rows":1},{"rels":["x"],"rows":1}]', true);
-- tag_count() runs its query while the planner folds constants: only u is recorded
EXPLAIN (COSTS OFF) SELECT * FROM ps_users u WHERE u.reputation < tag_count();
SELECT query_level, aliases, rows, pushed FROM pilotscope_relsets();
-- posts_of() plans its query while the executor runs: still only u
SELECT count(posts_of(u.id)) FROM ps_users u WHERE u.city = 1;
SELECT query_level, aliases, rows, pushed FROM pilotscope_relsets();
SELECT * FROM pilotscope_push_report();
-- and so under EXPLAIN ANALYZE
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(posts_of(u.id)) FROM ps_users u WHERE u.id < 3;
SELECT query_level, aliases, rows, pushed FROM pilotscope_relsets();
COMMIT;

-- a statement whose planning fails leaves the last result as it was
BEGIN;
SELECT set_config('pilotscope.collect', 'on', true);
EXPLAIN (COSTS OFF) SELECT * FROM ps_tags t WHERE t.id = 1;
SAVEPOINT s;
EXPLAIN (COSTS OFF) SELECT * FROM ps_users u WHERE u.id < 1 / 0;
ROLLBACK TO SAVEPOINT s;
SELECT aliases FROM pilotscope_relsets();
-- and the next one works
EXPLAIN (COSTS OFF) SELECT * FROM ps_posts p WHERE p.id = 1;
SELECT aliases FROM pilotscope_relsets();
COMMIT;

-- statements of a DO block or procedure run outside any executor: each is
-- planned as a statement of its own (the last one is published)
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["t"],"rows":33}]', true);
DO $$
DECLARE n bigint;
BEGIN
  SELECT count(*) INTO n FROM ps_users u WHERE u.city = 1;
  SELECT count(*) INTO n FROM ps_tags t WHERE t.name = 'tag2';
END $$;
SELECT aliases, rows, pushed FROM pilotscope_relsets();
COMMIT;
DROP FUNCTION tag_count();
DROP FUNCTION posts_of(int);
