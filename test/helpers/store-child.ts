/**
 * Child process for the store tests (not a test file itself), run with `node --import=tsx`.
 *
 *   append <dir> <table> <batchSize> <maxSegments>   append rows forever; print "committed <lastId>"
 *   read-update <dir> <table> <reader>                print the readUpdate rows as one JSON line
 *   hold <dir> <table>                                save one row, print "locked", wait for stdin to close
 *
 * Appended row with id n: { seq: n, text: expectedText(n), plan: { n, ops: [...] }, ratio: n / 7 }.
 */
import { DataManager } from '../../src/store/index.js';
import { expectedRow } from './store-expected.js';

const [mode, dir, table, ...rest] = process.argv.slice(2);

async function main(): Promise<void> {
  if (!mode || !dir || !table) throw new Error('usage: store-child.ts <mode> <dir> <table> ...');
  if (mode === 'append') {
    const batchSize = Number(rest[0] ?? 1);
    const dm = new DataManager(dir, { maxSegments: Number(rest[1] ?? 32) });
    let next = (await dm.count(table)) + 1;
    for (;;) {
      const rows = Array.from({ length: batchSize }, (_, i) => expectedRow(next + i));
      const range = await dm.saveBatch(table, rows);
      process.stdout.write(`committed ${range!.lastId}\n`);
      next = range!.lastId + 1;
    }
  }
  if (mode === 'read-update') {
    const dm = new DataManager(dir);
    const rows = await dm.readUpdate(table, rest[0] ?? 'default');
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return;
  }
  if (mode === 'hold') {
    const dm = new DataManager(dir);
    await dm.save(table, { holder: process.pid });
    process.stdout.write('locked\n');
    process.stdin.resume();
    await new Promise((resolve) => process.stdin.on('end', resolve));
    await dm.close();
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? `${(err as { code?: string }).code ?? ''} ${err.message}` : String(err)}\n`);
  process.exit(1);
});
