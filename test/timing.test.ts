import test from 'ava';
import { TimeStatistic, defaultTimeStatistic } from '../src/timing/index.js';
import { isPilotScopeError } from '../src/errors.js';

/** A clock the test moves by hand, in milliseconds. */
function fakeClock(): { clock: () => bigint; advance: (ms: number) => void } {
  let ns = 1_000_000_000n;
  return {
    clock: () => ns,
    advance: (ms: number) => {
      ns += BigInt(Math.round(ms * 1e6));
    },
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('start/end aggregates sum, count, mean, min and max per stage', (t) => {
  const { clock, advance } = fakeClock();
  const ts = new TimeStatistic({ clock });
  ts.start('parse');
  advance(3);
  t.is(ts.end('parse'), 3);
  const h = ts.start('parse');
  advance(5);
  t.is(h.end(), 5);
  ts.start('infer');
  advance(10);
  ts.end('infer');

  t.deepEqual(ts.sums(), { parse: 8, infer: 10 });
  t.deepEqual(ts.counts(), { parse: 2, infer: 1 });
  t.deepEqual(ts.averages(), { parse: 4, infer: 10 });
  t.deepEqual(ts.stats('parse'), { count: 2, totalMs: 8, selfMs: 8, wallMs: 8, meanMs: 4, minMs: 3, maxMs: 5 });
  t.deepEqual(ts.names(), ['parse', 'infer']);
  t.is(ts.stats('never'), undefined);
});

test('time() returns the sync result and times it; a throw is timed and rethrown', (t) => {
  const { clock, advance } = fakeClock();
  const ts = new TimeStatistic({ clock });
  const v = ts.time('featurize', () => {
    advance(2);
    return 42;
  });
  t.is(v, 42);
  const err = t.throws(() =>
    ts.time('featurize', () => {
      advance(7);
      throw new Error('boom');
    }),
  );
  t.is(err?.message, 'boom');
  t.deepEqual(ts.stats('featurize'), { count: 2, totalMs: 9, selfMs: 9, wallMs: 9, meanMs: 4.5, minMs: 2, maxMs: 7 });
});

test('time() on an async function times until the promise settles, rejections too', async (t) => {
  const { clock, advance } = fakeClock();
  const ts = new TimeStatistic({ clock });
  const gate = deferred();
  const p = ts.time('engine', async () => {
    await gate.promise;
    advance(20);
    return 'rows';
  });
  t.deepEqual(ts.counts(), { engine: 0 }, 'not counted before it settles');
  advance(5);
  gate.resolve();
  t.is(await p, 'rows');
  await t.throwsAsync(
    ts.time('engine', async () => {
      advance(1);
      throw new Error('db down');
    }),
    { message: 'db down' },
  );
  t.is(ts.stats('engine')?.count, 2);
  t.is(ts.stats('engine')?.totalMs, 26);
});

test('nested stages: totals are inclusive, self time excludes nested stages', (t) => {
  const { clock, advance } = fakeClock();
  const ts = new TimeStatistic({ clock });
  ts.time('execute', () => {
    advance(1);
    ts.time('push', () => advance(2));
    ts.time('engine', () => {
      advance(10);
      ts.time('pull', () => advance(3));
    });
    advance(1);
  });
  const r = ts.report();
  t.is(r.unit, 'ms');
  t.is(r.stages.execute?.totalMs, 17);
  t.is(r.stages.execute?.selfMs, 2);
  t.is(r.stages.engine?.totalMs, 13);
  t.is(r.stages.engine?.selfMs, 10);
  t.is(r.stages.push?.selfMs, 2);
  const selfSum = Object.values(r.stages).reduce((a, s) => a + s.selfMs, 0);
  t.is(selfSum, 17, 'self times add up to the outermost total');
});

test('nesting follows async calls', async (t) => {
  const { clock, advance } = fakeClock();
  const ts = new TimeStatistic({ clock });
  await ts.time('execute', async () => {
    await Promise.resolve();
    advance(1);
    await ts.time('infer', async () => {
      await new Promise((r) => setImmediate(r));
      advance(4);
    });
  });
  t.is(ts.stats('execute')?.totalMs, 5);
  t.is(ts.stats('execute')?.selfMs, 1);
  t.is(ts.stats('infer')?.selfMs, 4);
});

test('a stage re-entered inside itself counts once', (t) => {
  const { clock, advance } = fakeClock();
  const ts = new TimeStatistic({ clock });
  const recurse = (depth: number): void =>
    ts.time('plan', () => {
      advance(1);
      if (depth > 0) recurse(depth - 1);
    });
  recurse(3);
  t.deepEqual(ts.stats('plan'), { count: 1, totalMs: 4, selfMs: 4, wallMs: 4, meanMs: 4, minMs: 4, maxMs: 4 });
  // start() inside the same stage is a no-op span too
  ts.time('plan', () => {
    const inner = ts.start('plan');
    advance(2);
    t.is(inner.end(), 0);
  });
  t.is(ts.stats('plan')?.count, 2);
  t.is(ts.stats('plan')?.totalMs, 6);
});

test('concurrent spans of one stage: total sums each span, wall is the union', async (t) => {
  const { clock, advance } = fakeClock();
  const ts = new TimeStatistic({ clock });
  const gates = [deferred(), deferred(), deferred()];
  const runs = gates.map((g) => ts.time('engine', () => g.promise));
  advance(10); // all three running
  gates[0]!.resolve();
  await runs[0];
  advance(5); // two running
  gates[1]!.resolve();
  gates[2]!.resolve();
  await Promise.all(runs);
  const s = ts.stats('engine')!;
  t.is(s.count, 3);
  t.is(s.totalMs, 10 + 15 + 15);
  t.is(s.wallMs, 15);
});

test('a parent with parallel children: self time subtracts the union of children', async (t) => {
  const { clock, advance } = fakeClock();
  const ts = new TimeStatistic({ clock });
  await ts.time('batch', async () => {
    advance(2);
    const a = deferred();
    const b = deferred();
    const pa = ts.time('engine', () => a.promise);
    const pb = ts.time('engine', () => b.promise);
    advance(6);
    a.resolve();
    b.resolve();
    await Promise.all([pa, pb]);
    advance(1);
  });
  t.is(ts.stats('batch')?.totalMs, 9);
  t.is(ts.stats('batch')?.selfMs, 3);
  t.is(ts.stats('engine')?.totalMs, 12);
  t.is(ts.stats('engine')?.wallMs, 6);
});

test('start() spans run inside time() count towards the parent self time', (t) => {
  const { clock, advance } = fakeClock();
  const ts = new TimeStatistic({ clock });
  ts.time('execute', () => {
    const h = ts.start('store');
    advance(4);
    h.end();
    advance(1);
  });
  t.is(ts.stats('execute')?.selfMs, 1);
  t.is(ts.stats('store')?.totalMs, 4);
});

test('end(name) ends the latest open span of that name', (t) => {
  const { clock, advance } = fakeClock();
  const ts = new TimeStatistic({ clock });
  const first = ts.start('q');
  advance(1);
  ts.start('q');
  advance(2);
  t.is(ts.end('q'), 2);
  advance(3);
  t.is(first.end(), 6);
  t.is(ts.stats('q')?.totalMs, 8);
  t.is(ts.stats('q')?.wallMs, 6);
});

test('misuse gives clear USAGE errors', (t) => {
  const ts = new TimeStatistic();
  const e1 = t.throws(() => ts.end('infer'));
  t.true(isPilotScopeError(e1, 'USAGE'));
  t.regex(e1!.message, /call start\('infer'\) before end\('infer'\)/);
  const h = ts.start('x');
  h.end();
  t.true(isPilotScopeError(t.throws(() => h.end()), 'USAGE'));
  t.true(isPilotScopeError(t.throws(() => ts.start('')), 'USAGE'));
  t.true(isPilotScopeError(t.throws(() => ts.addTime('x', -1)), 'USAGE'));
  t.true(isPilotScopeError(t.throws(() => ts.addTime('x', Number.NaN)), 'USAGE'));
  t.true(isPilotScopeError(t.throws(() => ts.addTime('x', 1, 1.5)), 'USAGE'));
});

test('addTime adds durations measured elsewhere', (t) => {
  const ts = new TimeStatistic();
  ts.addTime('engine', 12.5);
  ts.addTime('engine', 7.5, 3);
  t.deepEqual(ts.stats('engine'), { count: 4, totalMs: 20, selfMs: 20, wallMs: 20, meanMs: 5, minMs: 2.5, maxMs: 12.5 });
});

test('instances are independent; clear() forgets and drops open spans', (t) => {
  const { clock, advance } = fakeClock();
  const a = new TimeStatistic({ clock });
  const b = new TimeStatistic({ clock });
  a.addTime('x', 1);
  t.deepEqual(b.sums(), {});
  const open = a.start('y');
  a.clear();
  advance(3);
  open.end();
  t.deepEqual(a.report(), { unit: 'ms', stages: {} });
  t.true(defaultTimeStatistic instanceof TimeStatistic);
});

test('the real clock measures and the report survives JSON', (t) => {
  const ts = new TimeStatistic();
  let measured = 0;
  for (let i = 0; i < 3; i++) {
    const h = ts.start('spin');
    let x = 0;
    for (let j = 0; j < 10_000; j++) x += Math.sqrt(j);
    t.true(x > 0);
    measured += h.end();
  }
  const r = JSON.parse(JSON.stringify(ts.report())) as ReturnType<TimeStatistic['report']>;
  t.is(r.stages.spin?.count, 3);
  t.true(r.stages.spin!.totalMs > 0);
  t.true(Math.abs(r.stages.spin!.totalMs - measured) < 1e-6);
});
