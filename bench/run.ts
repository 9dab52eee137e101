/**
 * `npm run bench -- <name> [args...]` runs bench/<name>.ts (its default export) and writes
 * bench/results/<name>.json. `npm run bench` alone lists the benchmarks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BenchContext, machineDescription, type Benchmark } from './harness.js';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const NOT_BENCHMARKS = new Set(['run.ts', 'harness.ts']);

function available(): string[] {
  return fs
    .readdirSync(benchDir)
    .filter((f) => f.endsWith('.ts') && !NOT_BENCHMARKS.has(f) && !f.startsWith('_'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || !available().includes(name)) {
    process.stderr.write(`usage: npm run bench -- <name> [args]\nbenchmarks: ${available().join(', ')}\n`);
    process.exit(name ? 2 : 0);
  }
  const mod = (await import(pathToFileURL(path.join(benchDir, `${name}.ts`)).href)) as { default: Benchmark };
  const ctx = new BenchContext(name, args);
  const started = new Date();
  await mod.default(ctx);
  const resultsDir = path.join(benchDir, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const out = {
    benchmark: name,
    args,
    startedAt: started.toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    machine: machineDescription(),
    figures: ctx.figures,
    notes: ctx.notes,
  };
  fs.writeFileSync(path.join(resultsDir, `${name}.json`), JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(`results written to bench/results/${name}.json\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
