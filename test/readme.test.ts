/**
 * The README's promises: its code example runs as written on the embedded database, and the
 * commands it names exist.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import test from 'ava';
import { DatasetRegistry } from '../src/datasets/registry.js';
import { REPO_ROOT, sharedDataset } from './helpers/paths.js';
import { isolatedEnv, runCli } from './helpers/cli.js';
import { makeTempHome } from './helpers/postgres.js';

const README = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

function codeBlocks(lang: string): string[] {
  return [...README.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

test('the README code example runs as written on the embedded database', async (t) => {
  const example = codeBlocks('ts').find((block) => block.includes('PilotDataInteractor'));
  t.truthy(example, 'README has the interactor example');
  const home = makeTempHome();
  const scriptDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-readme-'));
  const script = path.join(scriptDir, 'example.mts');
  fs.writeFileSync(script, example!);
  new DatasetRegistry(home).add('stats_tiny', sharedDataset('stats_tiny'));
  try {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [`--import=${import.meta.resolve('tsx')}`, script], { cwd: REPO_ROOT, env: isolatedEnv(home) });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    t.is(result.code, 0, result.stderr);
    // console.log(executionTime, estimatedCost, subqueryCards)
    const match = /^([\d.e-]+) ([\d.]+) (\{[\s\S]*\})\s*$/.exec(result.stdout);
    t.truthy(match, result.stdout);
    t.true(Number(match![1]) > 0 && Number(match![1]) < 60, 'execution time in seconds');
    t.true(Number(match![2]) > 0, 'estimated cost');
    for (const key of ["'b,u,v'", "'u,v'", "'b,u'", 'b:', 'u:', 'v:']) t.true(match![3]!.includes(key), `subqueryCards has ${key}`);
  } finally {
    await runCli(['db', 'stop'], { home });
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(scriptDir, { recursive: true, force: true });
  }
});

test('every pilotscope command the README shows exists', async (t) => {
  const home = makeTempHome();
  const commands = codeBlocks('sh').flatMap((block) => block.split('\n')).map((line) => line.replace(/#.*/, '').trim()).filter((line) => line.startsWith('pilotscope '));
  t.true(commands.length >= 4);
  for (const command of commands) {
    const words = command.split(/\s+/).slice(1).filter((w) => !w.startsWith('-') && !w.startsWith('<'));
    const help = await runCli([...words.slice(0, 2), '--help'], { home });
    t.is(help.code, 0, `${command}: ${help.stderr}`);
  }
  fs.rmSync(home, { recursive: true, force: true });
});
