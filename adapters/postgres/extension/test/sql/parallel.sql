--
-- parallel: partial paths carry rows per participant
--
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = on;
-- 60000 rows over 2 workers and the leader (divisor 2.4): 25000 per participant
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["c"],"rows":60000}]', true);
CALL show_rows('SELECT count(*) FROM ps_comments c WHERE c.score < 5');
SELECT aliases, rows, planner_rows, pushed FROM pilotscope_relsets();
COMMIT;

-- a parallel join: the join's partial paths take the pushed rows per participant
BEGIN;
SELECT set_config('pilotscope.cards', '[{"rels":["c","p"],"rows":240000}]', true);
CALL show_rows('SELECT count(*) FROM ps_comments c, ps_posts p WHERE p.id = c.post AND c.score < 5');
SELECT aliases, rows, planner_rows, pushed FROM pilotscope_relsets();
COMMIT;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
