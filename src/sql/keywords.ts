/**
 * Keyword facts used by the parser (which words cannot be bare aliases or column names) and by the
 * renderer (which identifiers need quotes).
 */

/** PostgreSQL 15 reserved keywords: never a bare column name, table name or alias. */
export const PG_RESERVED = new Set([
  'all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'both', 'case', 'cast',
  'check', 'collate', 'column', 'constraint', 'create', 'current_catalog', 'current_date', 'current_role',
  'current_time', 'current_timestamp', 'current_user', 'default', 'deferrable', 'desc', 'distinct', 'do',
  'else', 'end', 'except', 'false', 'fetch', 'for', 'foreign', 'from', 'grant', 'group', 'having', 'in',
  'initially', 'intersect', 'into', 'lateral', 'leading', 'limit', 'localtime', 'localtimestamp', 'not',
  'null', 'offset', 'on', 'only', 'or', 'order', 'placing', 'primary', 'references', 'returning', 'select',
  'session_user', 'some', 'symmetric', 'table', 'then', 'to', 'trailing', 'true', 'union', 'unique', 'user',
  'using', 'variadic', 'when', 'where', 'window', 'with',
]);

/** PostgreSQL 15 "type or function name" keywords: not a bare table name or alias. */
export const PG_TYPE_FUNC_NAME = new Set([
  'authorization', 'binary', 'collation', 'concurrently', 'cross', 'current_schema', 'freeze', 'full',
  'ilike', 'inner', 'is', 'isnull', 'join', 'left', 'like', 'natural', 'notnull', 'outer', 'overlaps',
  'right', 'similar', 'tablesample', 'verbose',
]);

/** PostgreSQL 15 "column name" keywords: allowed as column names, not as function or type names. */
export const PG_COL_NAME = new Set([
  'between', 'bigint', 'bit', 'boolean', 'char', 'character', 'coalesce', 'dec', 'decimal', 'exists',
  'extract', 'float', 'greatest', 'grouping', 'inout', 'int', 'integer', 'interval', 'least', 'national',
  'nchar', 'none', 'normalize', 'nullif', 'numeric', 'out', 'overlay', 'position', 'precision', 'real',
  'row', 'setof', 'smallint', 'substring', 'time', 'timestamp', 'treat', 'trim', 'values', 'varchar',
  'xmlattributes', 'xmlconcat', 'xmlelement', 'xmlexists', 'xmlforest', 'xmlnamespaces', 'xmlparse',
  'xmlpi', 'xmlroot', 'xmlserialize', 'xmltable',
]);

/**
 * Words that end an expression or a FROM item, so they cannot be read as a bare alias. Besides the
 * reserved and type/function-name keywords, Spark's clause words that PostgreSQL does not reserve.
 */
export const NOT_A_BARE_ALIAS = new Set([...PG_RESERVED, ...PG_TYPE_FUNC_NAME, 'semi', 'anti', 'minus', 'qualify']);

/** Keywords that make an identifier need double quotes in PostgreSQL (quote_identifier's rule). */
export const PG_QUOTE_KEYWORDS = new Set([...PG_RESERVED, ...PG_TYPE_FUNC_NAME, ...PG_COL_NAME]);

/**
 * Spark SQL keywords quoted with backticks when used as identifiers: the ANSI-mode reserved list
 * (quoting a non-reserved word is harmless, leaving a reserved one bare is not).
 */
export const SPARK_QUOTE_KEYWORDS = new Set([
  'all', 'and', 'any', 'anti', 'array', 'as', 'asc', 'authorization', 'between', 'both', 'by', 'case', 'cast',
  'check', 'collate', 'column', 'constraint', 'create', 'cross', 'cube', 'current', 'current_date',
  'current_time', 'current_timestamp', 'current_user', 'date', 'delete', 'desc', 'describe', 'distinct',
  'div', 'double', 'drop', 'else', 'end', 'escape', 'except', 'exists', 'false', 'fetch', 'filter', 'for',
  'foreign', 'from', 'full', 'function', 'global', 'grant', 'group', 'grouping', 'having', 'ilike', 'in',
  'inner', 'insert', 'intersect', 'interval', 'into', 'is', 'join', 'lateral', 'leading', 'left', 'like',
  'limit', 'local', 'map', 'minus', 'natural', 'not', 'null', 'of', 'offset', 'on', 'only', 'or', 'order',
  'out', 'outer', 'over', 'overlaps', 'partition', 'position', 'primary', 'range', 'references', 'right',
  'rlike', 'rollup', 'row', 'rows', 'select', 'semi', 'session_user', 'set', 'some', 'start', 'struct',
  'table', 'tablesample', 'then', 'time', 'timestamp', 'to', 'trailing', 'true', 'union', 'unique',
  'unknown', 'update', 'user', 'using', 'values', 'when', 'where', 'window', 'with',
]);

/** Aggregate functions recognised in the output (a subset large enough for benchmark workloads). */
export const AGGREGATES = new Set([
  'count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or', 'every', 'array_agg', 'string_agg',
  'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp', 'bit_and', 'bit_or',
  'json_agg', 'jsonb_agg', 'json_object_agg', 'jsonb_object_agg', 'percentile_cont', 'percentile_disc',
  'mode', 'corr', 'covar_pop', 'covar_samp', 'regr_count', 'xmlagg', 'any_value', 'approx_count_distinct',
  'collect_list', 'collect_set', 'first', 'last', 'count_if', 'median',
]);
