/** The built-in knob spaces, and loading a space by name or from a JSON file. */
import fs from 'node:fs';
import { closest } from '../../config/schema.js';
import { PilotScopeError } from '../../errors.js';
import { checkSpaceDefinition } from '../space/schema.js';
import type { KnobSpaceDefinition } from '../space/types.js';
import postgres15 from './postgres-15.json' with { type: 'json' };
import spark35 from './spark-3.5.json' with { type: 'json' };

export const BUILTIN_SPACES: Readonly<Record<string, KnobSpaceDefinition>> = {
  'postgres-15': checkSpaceDefinition(postgres15, 'postgres-15 (built in)'),
  'spark-3.5': checkSpaceDefinition(spark35, 'spark-3.5 (built in)'),
};

const DEFAULT_FOR_ENGINE: Readonly<Record<string, string>> = { postgresql: 'postgres-15', spark: 'spark-3.5' };

export function defaultSpaceName(engineKind: string): string {
  const name = DEFAULT_FOR_ENGINE[engineKind];
  if (!name) throw new PilotScopeError('USAGE', `There is no built-in knob space for ${engineKind}; give a space file.`);
  return name;
}

/**
 * A built-in space by name ("postgres-15", "spark-3.5"), or a JSON space file (anything with a
 * path separator or a .json ending). `engineKind` checks that the space fits the engine.
 */
export function loadSpaceDefinition(nameOrFile: string, engineKind?: string): KnobSpaceDefinition {
  const isFile = nameOrFile.includes('/') || nameOrFile.endsWith('.json');
  let space: KnobSpaceDefinition;
  if (!isFile) {
    const builtin = BUILTIN_SPACES[nameOrFile];
    if (!builtin) {
      const hint = closest(nameOrFile, Object.keys(BUILTIN_SPACES));
      throw new PilotScopeError(
        'USAGE',
        `"${nameOrFile}" is not a built-in knob space${hint ? ` (did you mean "${hint}"?)` : ''}. Built-in spaces: ${Object.keys(BUILTIN_SPACES).join(', ')}; or give the path of a JSON space file.`,
      );
    }
    space = builtin;
  } else {
    let text: string;
    try {
      text = fs.readFileSync(nameOrFile, 'utf8');
    } catch (err) {
      throw new PilotScopeError('CONFIG_NOT_FOUND', `Cannot read the knob space file ${nameOrFile}: ${(err as Error).message}.`, {}, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new PilotScopeError('CONFIG_INVALID', `The knob space file ${nameOrFile} is not valid JSON: ${(err as Error).message}.`, {}, { cause: err });
    }
    space = checkSpaceDefinition(parsed, nameOrFile);
  }
  if (engineKind !== undefined && space.engine !== engineKind) {
    throw new PilotScopeError('USAGE', `Knob space ${space.name} is for ${space.engine}, but the engine is ${engineKind}. Use ${DEFAULT_FOR_ENGINE[engineKind] ?? 'a space for that engine'}.`);
  }
  return space;
}
