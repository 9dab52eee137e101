import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { DatasetRegistry } from '../src/datasets/registry.js';
import { runCli } from './helpers/cli.js';
import { makeTempHome } from './helpers/postgres.js';
import { sharedDataset } from './helpers/paths.js';

const SQL = 'select count(*) from posts p, users u where p.owneruserid = u.id and u.reputation > 100';
let home: string;

test.before(async () => {
  home = makeTempHome();
  new DatasetRegistry(home).add('stats_tiny', sharedDataset('stats_tiny'));
  const load = await runCli(['dataset', 'load', 'stats_tiny'], { home, timeoutMs: 300_000 });
  if (load.code !== 0) throw new Error(load.stderr);
});

test.after.always(async () => {
  await runCli(['db', 'stop'], { home });
  fs.rmSync(home, { recursive: true, force: true });
});

test.serial('explain --json --subquery-cards: the plan and every relation set with key, aliases, rows and sql', async (t) => {
  const result = await runCli(['explain', '--db', 'stats_tiny', '--subquery-cards', '--json', SQL], { home });
  t.is(result.code, 0, result.stderr);
  const out = JSON.parse(result.stdout) as { plan: { 'Node Type': string }; subqueryCards: Array<{ key: string; aliases: string[]; rows: number; sql: string }> };
  t.is(out.plan['Node Type'], 'Aggregate');
  t.deepEqual(out.subqueryCards.map((r) => r.key).sort(), ['p', 'p,u', 'u']);
  const pu = out.subqueryCards.find((r) => r.key === 'p,u')!;
  t.deepEqual(pu.aliases, ['p', 'u']);
  t.true(pu.rows >= 1);
  t.regex(pu.sql, /^SELECT count\(\*\) FROM posts AS p, users AS u WHERE/);
});

test.serial('explain --cards: the plan under pushed cardinalities, and the push report', async (t) => {
  const cards = path.join(home, 'cards.json');
  fs.writeFileSync(cards, JSON.stringify({ u: 3, 'p,u': 2, nope: 1 }));
  const result = await runCli(['explain', '--db', 'stats_tiny', '--subquery-cards', '--cards', cards, '--json', SQL], { home });
  t.is(result.code, 0, result.stderr);
  const out = JSON.parse(result.stdout) as { subqueryCards: Array<{ key: string; rows: number }>; pushReport: { applied: string[]; notApplied: Array<{ key: string }> } };
  t.is(out.subqueryCards.find((r) => r.key === 'u')!.rows, 3);
  t.is(out.subqueryCards.find((r) => r.key === 'p,u')!.rows, 2);
  t.deepEqual(out.pushReport.applied.sort(), ['p,u', 'u']);
  t.deepEqual(out.pushReport.notApplied.map((n) => n.key), ['nope']);
  const human = await runCli(['explain', '--db', 'stats_tiny', '--subquery-cards', '--cards', cards, SQL], { home });
  t.regex(human.stdout, /Aggregate/);
  t.regex(human.stdout, /Relation sets \(3\):/);
  t.regex(human.stdout, /nope: no matching relation set/);
});

test.serial('explain: bad cards files and bad SQL give clear errors', async (t) => {
  const bad = path.join(home, 'bad.json');
  fs.writeFileSync(bad, JSON.stringify({ u: -1 }));
  const negative = await runCli(['explain', '--db', 'stats_tiny', '--cards', bad, SQL], { home });
  t.is(negative.code, 2);
  t.regex(negative.stderr, /"u" must map to a number of rows >= 0/);
  const sqlError = await runCli(['explain', '--db', 'stats_tiny', 'select nothing from nowhere'], { home });
  t.is(sqlError.code, 1);
  t.regex(sqlError.stderr, /PostgreSQL rejected the statement: relation "nowhere" does not exist/);
});
