// A fingerprint of every native source and header. binding.gyp bakes it into the addon; the
// TypeScript loader recomputes it to tell a stale addon (built from other sources) from a fresh one.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const NATIVE_DIR = path.join(__dirname, '..');
const SCANNED_DIRS = ['core', 'binding'];
const EXTENSIONS = new Set(['.h', '.hpp', '.cc', '.cpp']);

function sourceHash() {
  const files = [];
  for (const dir of SCANNED_DIRS) {
    const abs = path.join(NATIVE_DIR, dir);
    if (!fs.existsSync(abs)) continue;
    for (const name of fs.readdirSync(abs, { recursive: true })) {
      if (EXTENSIONS.has(path.extname(name))) files.push(path.join(dir, String(name)));
    }
  }
  files.sort();
  const hash = crypto.createHash('sha256');
  for (const file of files) {
    hash.update(file.split(path.sep).join('/'));
    hash.update('\0');
    hash.update(fs.readFileSync(path.join(NATIVE_DIR, file)));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

module.exports = { sourceHash };

if (require.main === module) process.stdout.write(sourceHash());
