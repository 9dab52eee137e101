/**
 * Where the Spark that runs the local Thrift Server comes from: SPARK_HOME when it points at a
 * Spark with the Thrift Server jars, else the `pyspark` package of the Python on PATH (PyPI's
 * pyspark ships Spark's jars, Thrift Server included). `npm run setup:spark` installs it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PilotScopeError } from '../../src/errors.js';

export interface SparkInstallation {
  /** SPARK_HOME for the launcher scripts. */
  home: string;
  /** e.g. "3.5.9". */
  version: string;
  sparkSubmit: string;
  /** The java program the launcher will use. */
  java: string;
}

const SETUP_HINT = 'Run `npm run setup:spark` (installs a Java runtime and pyspark==3.5.9, whose jars include the Thrift Server), or set SPARK_HOME to a Spark distribution built with the Thrift Server.';

let cached: SparkInstallation | undefined;

/** Locates Spark and Java; throws SETUP_MISSING with what to run when either is missing. */
export function sparkInstallation(env: NodeJS.ProcessEnv = process.env): SparkInstallation {
  if (cached && env === process.env) return cached;
  const home = findSparkHome(env);
  const jars = fs.readdirSync(path.join(home, 'jars'));
  const core = jars.find((j) => /^spark-core_[\d.]+-(.+)\.jar$/.test(j));
  const version = core ? core.replace(/^spark-core_[\d.]+-(.+)\.jar$/, '$1') : 'unknown';
  const installation: SparkInstallation = { home, version, sparkSubmit: path.join(home, 'bin', 'spark-submit'), java: findJava(env) };
  if (env === process.env) cached = installation;
  return installation;
}

function findSparkHome(env: NodeJS.ProcessEnv): string {
  if (env.SPARK_HOME) {
    if (hasThriftServer(env.SPARK_HOME)) return env.SPARK_HOME;
    throw new PilotScopeError('SETUP_MISSING', `SPARK_HOME=${env.SPARK_HOME} has no jars/spark-hive-thriftserver_*.jar, so it cannot run the Spark Thrift Server. Unset SPARK_HOME to use pyspark, or point it at a Spark built with -Phive-thriftserver.`);
  }
  const python = env.PYTHON ?? 'python3';
  let home: string;
  try {
    home = execFileSync(python, ['-c', 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }).trim();
  } catch {
    throw new PilotScopeError('SETUP_MISSING', `Spark is not installed (${python} cannot import pyspark). ${SETUP_HINT}`);
  }
  if (!hasThriftServer(home)) {
    throw new PilotScopeError('SETUP_MISSING', `The pyspark at ${home} has no Spark Thrift Server jar. ${SETUP_HINT}`);
  }
  return home;
}

function hasThriftServer(home: string): boolean {
  try {
    return fs.readdirSync(path.join(home, 'jars')).some((j) => j.startsWith('spark-hive-thriftserver_'));
  } catch {
    return false;
  }
}

function findJava(env: NodeJS.ProcessEnv): string {
  const candidates = [env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : undefined, ...(env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'java'))];
  for (const candidate of candidates) {
    if (candidate && isExecutable(candidate)) return candidate;
  }
  throw new PilotScopeError('SETUP_MISSING', `No Java runtime found (JAVA_HOME unset and no java on PATH); Spark needs Java 17. ${SETUP_HINT}`);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
