/** Writes docs/experiment.schema.json from the schema object: `node --import=tsx src/experiments/publish-schema.ts`. */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { experimentSchemaText } from './schema.js';

const target = fileURLToPath(new URL('../../docs/experiment.schema.json', import.meta.url));
fs.mkdirSync(fileURLToPath(new URL('../../docs/', import.meta.url)), { recursive: true });
fs.writeFileSync(target, experimentSchemaText());
process.stdout.write(`wrote ${target}\n`);
