import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { loadSettings, usesExternalPostgres } from '../src/config/settings.js';
import { validate, type JsonSchema } from '../src/config/schema.js';
import { parseArgs, type OptionSpec } from '../src/cli/args.js';
import { isPilotScopeError } from '../src/errors.js';

function tempConfig(content: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-config-'));
  const file = path.join(dir, 'pilotscope.json');
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

test('defaults: embedded server, home from PILOTSCOPE_HOME', (t) => {
  const s = loadSettings({}, { PILOTSCOPE_HOME: '/tmp/x-home' });
  t.is(s.home, '/tmp/x-home');
  t.false(usesExternalPostgres(s));
  t.true(s.parallelism >= 2);
});

test('precedence: defaults < file < environment < flags', (t) => {
  const file = tempConfig({ home: '/tmp/from-file', timeoutMs: 1000, postgresql: { host: 'filehost', port: 6000 } });
  const fromFile = loadSettings({ configFile: file }, {});
  t.is(fromFile.home, '/tmp/from-file');
  t.is(fromFile.postgresql.host, 'filehost');
  const fromEnv = loadSettings({ configFile: file }, { PGHOST: 'envhost', PILOTSCOPE_TIMEOUT_MS: '2000' });
  t.is(fromEnv.postgresql.host, 'envhost');
  t.is(fromEnv.postgresql.port, 6000);
  t.is(fromEnv.timeoutMs, 2000);
  const fromFlags = loadSettings({ configFile: file, timeoutMs: 3000, home: '/tmp/flag' }, { PGHOST: 'envhost', PILOTSCOPE_TIMEOUT_MS: '2000' });
  t.is(fromFlags.timeoutMs, 3000);
  t.is(fromFlags.home, '/tmp/flag');
});

test('PGPORT alone selects an external server on localhost', (t) => {
  const s = loadSettings({}, { PGPORT: '5432' });
  t.true(usesExternalPostgres(s));
  t.is(s.postgresql.host, 'localhost');
});

test('invalid config file: every bad field is named', (t) => {
  const file = tempConfig({ home: '', postgresql: { port: 'abc', hots: 'x' }, parallelism: 0 });
  const err = t.throws(() => loadSettings({ configFile: file }, {}));
  t.true(isPilotScopeError(err, 'CONFIG_INVALID'));
  t.regex(err!.message, /"home": must not be empty/);
  t.regex(err!.message, /"postgresql.port": expected an integer, got "abc"/);
  t.regex(err!.message, /"postgresql.hots": is not a known field \(did you mean "host"\?\)/);
  t.regex(err!.message, /"parallelism": must be >= 1/);
});

test('config file that is not JSON, and a missing one', (t) => {
  const bad = t.throws(() => loadSettings({ configFile: tempConfig('{ "home": ') }, {}));
  t.true(isPilotScopeError(bad, 'CONFIG_INVALID'));
  t.regex(bad!.message, /not valid JSON/);
  const missing = t.throws(() => loadSettings({ configFile: '/nonexistent/pilotscope.json' }, {}));
  t.true(isPilotScopeError(missing, 'CONFIG_NOT_FOUND'));
});

test('bad environment values are reported with the variable name', (t) => {
  const err = t.throws(() => loadSettings({}, { PGPORT: 'eighty' }));
  t.regex(err!.message, /PGPORT="eighty"/);
});

test('schema validator: oneOf picks the closest alternative, arrays report indexes', (t) => {
  const schema: JsonSchema = {
    type: 'object',
    properties: { items: { type: 'array', items: { oneOf: [{ type: 'integer' }, { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } }] } } },
  };
  t.deepEqual(validate({ items: [1, { n: 2 }] }, schema), []);
  const v = validate({ items: [1, { m: 2 }] }, schema);
  t.is(v[0]!.path, 'items[1].n');
});

const OPTIONS: OptionSpec[] = [
  { name: 'algo', type: 'list', description: '', choices: ['baseline', 'mscn', 'lero'] },
  { name: 'param', type: 'list', description: '', repeatable: true },
  { name: 'port', type: 'integer', description: '' },
  { name: 'json', type: 'boolean', description: '' },
];

test('argument parsing: lists, repeatable lists, numbers, flags, positionals', (t) => {
  const args = parseArgs(['--algo', 'baseline', 'mscn', '--param', 'num_epoch', '10', '20', '--param=k', '--port=5433', '--json', '--', 'x'], OPTIONS, [{ name: 'rest', description: '', variadic: true }], 'pilotscope run');
  t.deepEqual(args.options.algo, ['baseline', 'mscn']);
  t.deepEqual(args.options.param, [['num_epoch', '10', '20'], ['k']]);
  t.is(args.options.port, 5433);
  t.is(args.options.json, true);
  t.deepEqual(args.positionals.rest, ['x']);
});

test('argument errors are clear and suggest the fix', (t) => {
  const typo = t.throws(() => parseArgs(['--algoo', 'x'], OPTIONS, [], 'pilotscope run'));
  t.regex(typo!.message, /unknown option --algoo \(did you mean --algo\?\)/);
  const choice = t.throws(() => parseArgs(['--algo', 'msn'], OPTIONS, [], 'pilotscope run'));
  t.regex(choice!.message, /does not accept "msn" \(did you mean "mscn"\?\)/);
  const num = t.throws(() => parseArgs(['--port', 'abc'], OPTIONS, [], 'pilotscope run'));
  t.regex(num!.message, /--port expects an integer, got "abc"/);
  t.is((num as { code?: string }).code, 'USAGE');
});
