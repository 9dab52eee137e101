// Prints the native source list (one path per line, relative to the package root) for binding.gyp.
// Usage: node native/tools/sources.cjs [core|binding|all]
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function readSources(which = 'all') {
  const listFile = path.join(__dirname, '..', 'sources.txt');
  return fs.readFileSync(listFile, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .filter((line) => which === 'all' || (which === 'binding') === line.startsWith('binding/'));
}

module.exports = { readSources };

if (require.main === module) {
  for (const file of readSources(process.argv[2] || 'all')) console.log(`native/${file}`);
}
