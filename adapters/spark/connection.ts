/**
 * Which Spark Thrift Server to use: the one the settings name (config file "spark" section or
 * PILOTSCOPE_SPARK_HOST/PORT), or the local server `pilotscope spark start` manages, started on
 * demand like the embedded PostgreSQL.
 */
import type { Settings, SparkSettings } from '../../src/config/settings.js';
import type { SparkEndpoint } from './client.js';
import { LocalSparkServer } from './server.js';

export interface SparkTarget {
  endpoint: SparkEndpoint;
  /** The local server, when that is the target. */
  local?: LocalSparkServer;
}

export function externalEndpoint(spark: SparkSettings): SparkEndpoint {
  return {
    host: spark.host,
    port: spark.port,
    auth: spark.auth,
    user: spark.user,
    password: spark.password,
    tls: spark.tls,
    description: `the Spark Thrift Server at ${spark.host}:${spark.port}`,
    unreachableHint: 'Check that it is running and that spark.host / spark.port in the config file (or PILOTSCOPE_SPARK_HOST / PILOTSCOPE_SPARK_PORT) point at its binary-transport port; leave the "spark" section out to use the local server (`pilotscope spark start`).',
  };
}

/** Resolves the server, starting the local one when it is the target and not running. */
export async function resolveSparkTarget(settings: Settings, options: { start?: boolean } = {}): Promise<SparkTarget> {
  if (settings.spark) return { endpoint: externalEndpoint(settings.spark) };
  const local = new LocalSparkServer(settings.home);
  if (options.start !== false && local.runningPid() === undefined) await local.start();
  return { endpoint: local.endpoint(), local };
}
