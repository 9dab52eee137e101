/**
 * A real Spark Thrift Server per test file (started through our manager in a temporary state
 * directory, stopped at the end), the stats_tiny rows read from its dump as ground truth, and a
 * TCP proxy that can cut connections like a network failure would.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { SparkEndpoint } from '../../adapters/spark/client.js';
import { splitDump, type ColumnDef } from '../../adapters/spark/pg-dump.js';
import { copyRows, type Value } from '../../adapters/spark/row-files.js';
import { LocalSparkServer, type LocalAuth } from '../../adapters/spark/server.js';
import { sharedDataset } from './paths.js';

export interface SparkTestServer {
  home: string;
  server: LocalSparkServer;
  endpoint: SparkEndpoint;
  /** Stops the server and removes its state directory. */
  stop(): Promise<void>;
}

export async function startSparkTestServer(options: { auth?: LocalAuth } = {}): Promise<SparkTestServer> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-spark-test-'));
  const server = new LocalSparkServer(home, { auth: options.auth ?? 'none', driverMemory: '2g' });
  try {
    await server.start();
  } catch (err) {
    await server.stop().catch(() => undefined);
    fs.rmSync(home, { recursive: true, force: true });
    throw err;
  }
  return {
    home,
    server,
    endpoint: server.endpoint(),
    async stop() {
      await server.stop().catch(() => undefined);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface TruthTable {
  columns: ColumnDef[];
  rows: Value[][];
}

/** The rows of a shared dataset's dump, read by our own dump reader. */
export async function datasetRows(name: 'stats_tiny' | 'imdb_tiny'): Promise<Map<string, TruthTable>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-truth-'));
  try {
    const tables = await splitDump(path.join(sharedDataset(name), 'data.sql'), dir);
    const out = new Map<string, TruthTable>();
    for (const table of tables) {
      const rows: Value[][] = [];
      for await (const row of copyRows(table.rowsFile, table.columns)) rows.push(row);
      out.set(table.name, { columns: table.columns, rows });
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A column's values, by name. */
export function column(table: TruthTable, name: string): Value[] {
  const i = table.columns.findIndex((c) => c.name === name);
  if (i === -1) throw new Error(`no column ${name}`);
  return table.rows.map((r) => r[i]!);
}

/** Forwards TCP connections to a server; `cut()` drops every connection at once. */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private server?: net.Server;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<number> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as net.AddressInfo).port;
    return this.port;
  }

  get connections(): number {
    return this.sockets.size / 2;
  }

  cut(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
