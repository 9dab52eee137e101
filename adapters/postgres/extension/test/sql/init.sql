--
-- init: the extension, its GUCs, and the tables and helpers the other tests use
--
CREATE EXTENSION pilotscope;

SELECT name, setting, context FROM pg_settings WHERE name LIKE 'pilotscope.%' ORDER BY name;
SELECT proname, pg_get_function_arguments(oid) AS columns
  FROM pg_proc WHERE proname LIKE 'pilotscope%' ORDER BY proname;

-- nothing has been planned with the extension in this session yet
SELECT count(*) FROM pilotscope_relsets();
SELECT count(*) FROM pilotscope_push_report();

-- deterministic data; tables of at most 30000 rows are analyzed in full
-- (tier is a function of city: the planner's independence assumption misjudges both together)
CREATE TABLE ps_users (id int PRIMARY KEY, reputation int, city int, tier int)
  WITH (autovacuum_enabled = off);
INSERT INTO ps_users SELECT i, (i * 37) % 1000, i % 20, (i % 20) / 4 FROM generate_series(1, 2000) i;
CREATE TABLE ps_posts (id int PRIMARY KEY, owner int, score int, kind int)
  WITH (autovacuum_enabled = off);
INSERT INTO ps_posts SELECT i, 1 + (i * 7) % 2000, (i * 13) % 100, i % 3 FROM generate_series(1, 10000) i;
CREATE INDEX ps_posts_owner ON ps_posts (owner);
CREATE TABLE ps_comments (id int PRIMARY KEY, post int, author int, score int)
  WITH (autovacuum_enabled = off);
INSERT INTO ps_comments
  SELECT i, 1 + (i * 11) % 10000, 1 + (i * 3) % 2000, i % 10 FROM generate_series(1, 30000) i;
CREATE INDEX ps_comments_post ON ps_comments (post);
CREATE TABLE ps_tags (id int PRIMARY KEY, post int, name text)
  WITH (autovacuum_enabled = off);
INSERT INTO ps_tags SELECT i, 1 + (i * 17) % 10000, 'tag' || (i % 50) FROM generate_series(1, 5000) i;
VACUUM ANALYZE ps_users, ps_posts, ps_comments, ps_tags;

-- Prints the plan of a query as node, relation and estimated rows (no costs).
-- A procedure, so that the EXPLAIN inside it is planned outside any executor
-- and pushed values apply to it (CALL runs no executor around its body).
CREATE PROCEDURE show_rows(query text) LANGUAGE plpgsql AS $$
DECLARE
  plan json;
  line record;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
  FOR line IN
    WITH RECURSIVE node(n, depth, ord) AS (
      SELECT plan->0->'Plan', 0, ARRAY[0]
      UNION ALL
      SELECT child.value, node.depth + 1, node.ord || child.i::int
      FROM node, json_array_elements(node.n->'Plans') WITH ORDINALITY AS child(value, i)
    )
    SELECT repeat('  ', depth) || (n->>'Node Type')
           || coalesce(' ' || (n->>'Join Type'), '')
           || coalesce(' on ' || (n->>'Relation Name') || ' ' || (n->>'Alias'), '')
           || ' rows=' || (n->>'Plan Rows') AS text
    FROM node ORDER BY ord
  LOOP
    RAISE NOTICE '%', line.text;
  END LOOP;
END $$;

-- Counts the rows of a query.  Called inside another statement, so its own
-- planning is nested in the executor and left alone by the extension.
CREATE FUNCTION count_of(query text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  EXECUTE query INTO n;
  RETURN n;
END $$;

-- The payload that pushes the true cardinality of every relation set of the
-- last run (needs pilotscope.collect_sql).
CREATE FUNCTION true_cards() RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(json_agg(json_build_object('rels', aliases, 'rows', count_of(subquery_sql),
                                             'level', query_level))::text, '[]')
  FROM pilotscope_relsets() WHERE subquery_sql IS NOT NULL
$$;
