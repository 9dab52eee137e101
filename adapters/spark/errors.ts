/**
 * Spark's error text as people need it: the Thrift Server wraps every failure in
 * "org.apache.hive.service.cli.HiveSQLException: Error running query: <class>: <message>" and
 * appends the Java stack (and, for analysis errors, a dump of the logical plan). Keep the message.
 */
export function cleanSparkMessage(raw: string): string {
  let text = raw.replace(/\r/g, '');
  const stack = text.search(/\n\s*at [\w$.<>]+\(/);
  if (stack !== -1) text = text.slice(0, stack);
  text = text.replace(/^\s*org\.apache\.hive\.service\.cli\.HiveSQLException:\s*/, '');
  text = text.replace(/^Error running query:\s*/, '');
  // "[ERROR_CLASS] org.apache.spark.sql.AnalysisException: [ERROR_CLASS] message" -> "[ERROR_CLASS] message"
  const errorClass = /^\[([A-Z0-9_.]+)\]\s*/.exec(text)?.[1];
  text = text.replace(/^(\[[A-Z0-9_.]+\]\s*)?(?:[a-z][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error):\s*/, '');
  if (errorClass && !text.startsWith(`[${errorClass}]`) && !errorClass.startsWith('_LEGACY')) text = `[${errorClass}] ${text}`;
  // Analysis errors end with ";" and a dump of the plan that failed.
  const planDump = text.search(/;\n['A-Z+:]/);
  if (planDump !== -1) text = text.slice(0, planDump + 1);
  return text.trim().replace(/\n{3,}/g, '\n\n');
}
