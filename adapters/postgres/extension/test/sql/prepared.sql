--
-- prepared: planning happens when a plan is made; a cached plan keeps the
-- payload it was planned with
--
PREPARE by_city(int) AS
  SELECT count(*) FROM ps_users u, ps_posts p WHERE u.id = p.owner AND u.city < $1;

-- custom plans are made at every EXECUTE, with the payload in force then
SET plan_cache_mode = force_custom_plan;
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":1}]', true);
EXPLAIN (COSTS OFF) EXECUTE by_city(10);
SELECT aliases, rows, pushed FROM pilotscope_relsets() WHERE kind = 'base';
COMMIT;
EXPLAIN (COSTS OFF) EXECUTE by_city(10);
-- the parameter is a constant in a custom plan's relation-set SQL
BEGIN;
SELECT set_config('pilotscope.collect_sql', 'on', true);
EXPLAIN (COSTS OFF) EXECUTE by_city(10);
SELECT aliases, subquery_sql FROM pilotscope_relsets() WHERE kind = 'base';
COMMIT;

-- a generic plan is made once and reused: a later payload does not reach it,
-- and no planning happens, so the last result is not replaced
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE by_city(10);
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":1}]', true);
EXPLAIN (COSTS OFF) EXECUTE by_city(10);
SELECT aliases, subquery_sql FROM pilotscope_relsets() WHERE kind = 'base';
COMMIT;
DEALLOCATE by_city;

-- a generic plan made while a payload is set keeps it; its parameters stay
-- parameters, so its relation sets have no SQL
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["u"],"rows":1}]', true);
SELECT set_config('pilotscope.collect_sql', 'on', true);
PREPARE by_city(int) AS
  SELECT count(*) FROM ps_users u, ps_posts p WHERE u.id = p.owner AND u.city < $1;
EXPLAIN (COSTS OFF) EXECUTE by_city(10);
SELECT aliases, rows, pushed, subquery_sql FROM pilotscope_relsets() WHERE kind = 'base';
COMMIT;
EXPLAIN (COSTS OFF) EXECUTE by_city(10);
DEALLOCATE by_city;
RESET plan_cache_mode;
