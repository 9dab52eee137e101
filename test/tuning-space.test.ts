/** Knob spaces: file validation, machine-relative bounds, and the unit-cube codec. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { isPilotScopeError } from '../src/errors.js';
import { decodeKnob, encodeKnob, renderConfiguration, renderValue } from '../src/tuning/space/codec.js';
import { resolveSpace } from '../src/tuning/space/resolve.js';
import { checkSpaceDefinition } from '../src/tuning/space/schema.js';
import type { KnobSpaceDefinition, MachineProfile, NumericKnob } from '../src/tuning/space/types.js';
import { BUILTIN_SPACES, loadSpaceDefinition } from '../src/tuning/spaces/index.js';

const GiB = 2 ** 30;
const box: MachineProfile = { memoryBytes: 24 * GiB, connections: 100, cores: 2, canRestart: true };

function numeric(space: ReturnType<typeof resolveSpace>, name: string): NumericKnob {
  const knob = space.knobs.find((k) => k.name === name);
  if (!knob || knob.kind !== 'number') throw new Error(`${name} is not a numeric knob of ${space.name}`);
  return knob;
}

test('the PostgreSQL space is bounded by the machine: memory shares, per connection, per core', (t) => {
  const space = resolveSpace(BUILTIN_SPACES['postgres-15']!, box);
  t.is(numeric(space, 'shared_buffers').max, 6144, 'a quarter of 24 GiB, in MB');
  t.is(numeric(space, 'effective_cache_size').max, 18432);
  t.is(numeric(space, 'work_mem').max, Math.floor((0.125 * 24 * GiB) / 100 / 1024), 'an eighth of memory over 100 connections, in kB');
  t.is(numeric(space, 'max_parallel_workers_per_gather').max, 2, 'one worker per core');
  const small = resolveSpace(BUILTIN_SPACES['postgres-15']!, { ...box, memoryBytes: 2 * GiB, connections: 400 });
  t.is(numeric(small, 'shared_buffers').max, 512);
  t.is(numeric(small, 'work_mem').max, 655);
  for (const name of ['max_connections', 'wal_buffers', 'autovacuum', 'fsync', 'synchronous_commit', 'checkpoint_timeout']) {
    t.false(space.knobs.some((k) => k.name === name), `${name} is not tuned`);
  }
  t.deepEqual(space.notices, []);
});

test('restart knobs are left out where the server cannot be restarted, with a notice', (t) => {
  const space = resolveSpace(BUILTIN_SPACES['postgres-15']!, { ...box, canRestart: false });
  t.false(space.knobs.some((k) => k.name === 'shared_buffers'));
  t.regex(space.notices.join(' '), /shared_buffers is left out: it needs a server restart/);
});

test('the Spark space needs no restart and keeps its special values', (t) => {
  const space = resolveSpace(loadSpaceDefinition('spark-3.5', 'spark'), { ...box, canRestart: false });
  t.is(space.knobs.length, BUILTIN_SPACES['spark-3.5']!.knobs.length);
  const broadcast = numeric(space, 'spark.sql.autoBroadcastJoinThreshold');
  t.deepEqual(broadcast.special, { value: -1, bias: 0.2 });
  t.is(renderValue(broadcast, -1), -1, 'a special value is sent bare');
  t.is(renderValue(broadcast, 10485760), '10485760B');
});

test('space files are validated with messages that name the knob and say what is wrong', (t) => {
  const bad = {
    name: 'bad',
    engine: 'postgresql',
    knobs: [
      { name: 'work_mem', type: 'int', min: 100, max: 10, unit: 'kB' },
      { name: 'random_page_cost', type: 'real', min: 0, max: 4, log: true },
      { name: 'effective_cache_size', type: 'int', min: 1, max: { fractionOfMemory: 0.5 }, unit: 'ms' },
      { name: 'jit', type: 'bool', choices: [true, false] },
      { name: 'jit', type: 'enum', choices: ['a', 'a'] },
    ],
  };
  const err = t.throws(() => checkSpaceDefinition(bad, 'bad.json'));
  t.true(isPilotScopeError(err, 'CONFIG_INVALID'));
  t.regex(err!.message, /knobs\[0\] \(work_mem\): "min" \(100\) must be below "max" \(10\)/);
  t.regex(err!.message, /knobs\[1\] \(random_page_cost\): a log-scale range needs "min" > 0/);
  t.regex(err!.message, /knobs\[2\] \(effective_cache_size\): a share of memory needs a memory unit/);
  t.regex(err!.message, /knobs\[3\] \(jit\): a bool knob takes no "choices"/);
  t.regex(err!.message, /knobs\[4\] \(jit\): the knob is listed twice/);
  t.regex(err!.message, /"choices" has duplicates/);

  const schemaErr = t.throws(() => checkSpaceDefinition({ name: 'x', engine: 'oracle', knobs: [{ name: 'a', type: 'int', min: 1, max: 2, lgo: true }] }, 'x.json'));
  t.regex(schemaErr!.message, /"engine": must be one of "postgresql", "spark"/);
  t.regex(schemaErr!.message, /"knobs\[0\]\.lgo": is not a known field \(did you mean "log"\?\)/);
});

test('space files load from disk; unknown names and wrong engines get a hint', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-space-'));
  try {
    const file = path.join(dir, 'mine.json');
    const mine: KnobSpaceDefinition = { name: 'mine', engine: 'postgresql', knobs: [{ name: 'work_mem', type: 'int', min: 64, max: 65536, log: true, unit: 'kB' }] };
    fs.writeFileSync(file, JSON.stringify(mine));
    t.is(loadSpaceDefinition(file, 'postgresql').knobs[0]!.name, 'work_mem');
    fs.writeFileSync(file, '{"name": ');
    t.regex(t.throws(() => loadSpaceDefinition(file))!.message, /is not valid JSON/);
    t.regex(t.throws(() => loadSpaceDefinition(path.join(dir, 'missing.json')))!.message, /Cannot read the knob space file/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  t.regex(t.throws(() => loadSpaceDefinition('postgres-51'))!.message, /did you mean "postgres-15"/);
  t.regex(t.throws(() => loadSpaceDefinition('spark-3.5', 'postgresql'))!.message, /is for spark, but the engine is postgresql/);
});

test('codec: special values take the bias share of the coordinate, the rest spans the range', (t) => {
  const space = resolveSpace(BUILTIN_SPACES['postgres-15']!, box);
  const io = numeric(space, 'effective_io_concurrency');
  t.is(decodeKnob(io, 0), 0);
  t.is(decodeKnob(io, 0.199), 0);
  t.is(decodeKnob(io, 0.2), 1, 'just past the bias: the bottom of the range');
  t.is(decodeKnob(io, 1), 256);
  t.is(decodeKnob(io, 0.6), 16, 'halfway through the rest of a log range: the geometric mean');
  t.is(encodeKnob(io, 0), 0.1);
  for (const value of [1, 16, 256]) t.is(decodeKnob(io, encodeKnob(io, value)), value);

  const cost = numeric(space, 'random_page_cost');
  const mid = decodeKnob(cost, 0.5) as number;
  t.is(mid, 2, 'log scale from 0.5 to 8');
  t.is(decodeKnob(cost, encodeKnob(cost, 1.1)), 1.1);
  t.is(decodeKnob(numeric(space, 'cpu_operator_cost'), 0.3), 0.001991, 'reals keep 4 significant digits');

  const target = space.knobs.find((k) => k.name === 'default_statistics_target')!;
  t.deepEqual([0, 0.24, 0.25, 0.5, 0.99, 1].map((u) => decodeKnob(target, u)), [25, 25, 100, 400, 1000, 1000]);
  const jit = space.knobs.find((k) => k.name === 'jit')!;
  t.deepEqual([decodeKnob(jit, 0.3), decodeKnob(jit, 0.7)], [false, true]);
  t.is(decodeKnob(jit, encodeKnob(jit, true)), true);

  t.deepEqual(renderConfiguration(space, { work_mem: 8192, jit: false, effective_io_concurrency: 0, random_page_cost: 1.1 }), {
    work_mem: '8192kB',
    jit: false,
    effective_io_concurrency: 0,
    random_page_cost: 1.1,
  });
});
