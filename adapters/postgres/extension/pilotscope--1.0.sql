/* pilotscope--1.0.sql */

\echo Use "CREATE EXTENSION pilotscope" to load this file. \quit

-- Every relation set the last run's planner built (a run is a planning with
-- pilotscope.cards set or pilotscope.collect on that planned a table).
-- aliases are sorted (the relation-set key); relids and relnames are parallel to them.
CREATE FUNCTION pilotscope_relsets(
    OUT query_level int,
    OUT kind text,
    OUT relids int[],
    OUT aliases text[],
    OUT relnames text[],
    OUT join_type text,
    OUT rows float8,
    OUT planner_rows float8,
    OUT pushed bool,
    OUT subquery_sql text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pilotscope_relsets'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

-- One line per entry of the last run's payload: did it take effect, and if not, why.
-- query_level is NULL for entries without "level"; matched counts the relation sets it matched.
CREATE FUNCTION pilotscope_push_report(
    OUT query_level int,
    OUT aliases text[],
    OUT rows float8,
    OUT applied bool,
    OUT reason text,
    OUT matched int)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pilotscope_push_report'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
