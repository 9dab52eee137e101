--
-- inert: with no payload and collection off the extension changes nothing
--
-- the same query planned inert, while collecting, and with an empty payload:
-- identical plans and costs.  (A procedure: its statements are planned like
-- top-level ones.)
CREATE TEMP TABLE plans (mode text, plan text);
CREATE PROCEDURE record_plan(mode text, query text) LANGUAGE plpgsql AS $$
DECLARE
  line text;
  result text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN ' || query LOOP
    result := result || line || E'\n';
  END LOOP;
  INSERT INTO plans VALUES (mode, result);
END $$;
\set q 'SELECT count(*) FROM ps_users u, ps_posts p, ps_comments c, ps_tags t WHERE u.id = p.owner AND p.id = c.post AND t.post = p.id AND u.city = 7'
CALL record_plan('inert', :'q');
BEGIN;
SELECT set_config('pilotscope.collect', 'on', true);
CALL record_plan('collect', :'q');
COMMIT;
BEGIN;
SELECT set_config('pilotscope.collect_sql', 'on', true);
CALL record_plan('collect_sql', :'q');
COMMIT;
BEGIN;
SELECT set_config('pilotscope.cards', '[]', true);
CALL record_plan('empty payload', :'q');
COMMIT;
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["zz"],"rows":1}]', true);
CALL record_plan('payload matching nothing', :'q');
COMMIT;
SELECT mode, plan = (SELECT plan FROM plans WHERE mode = 'inert') AS same_as_inert FROM plans;

-- inert statements neither record nor replace anything
SELECT aliases FROM pilotscope_relsets();
SELECT count(*) FROM ps_users u, ps_posts p WHERE u.id = p.owner AND u.city = 7;
EXPLAIN (COSTS OFF) SELECT * FROM ps_comments c WHERE c.id = 5;
SELECT aliases FROM pilotscope_relsets();

-- loading the library again changes nothing
LOAD 'pilotscope';
SHOW pilotscope.collect;
DROP PROCEDURE record_plan(text, text);
