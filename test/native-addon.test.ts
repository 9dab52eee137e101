import test from 'ava';
import { isPilotScopeError } from '../src/errors.js';
import { checkAddonFreshness, currentSourceHash, loadNativeAddon, packageRoot } from '../src/native/index.js';

test('the built addon matches the native sources', (t) => {
  const addon = loadNativeAddon();
  t.is(addon.sourceHash, currentSourceHash() ?? 'sources missing');
  t.regex(addon.sourceHash, /^[0-9a-f]{16}$/);
  t.true(['avx512', 'avx2', 'generic'].includes(addon.gemmKernel));
});

test('a stale addon is refused with advice to rebuild', (t) => {
  const error = t.throws(() => checkAddonFreshness('0000000000000000', 'ffffffffffffffff'));
  t.true(isPilotScopeError(error, 'NATIVE_ADDON_STALE'));
  t.true(error!.message.includes('npm run build:native'), error!.message);
  t.notThrows(() => checkAddonFreshness('abc', 'abc'));
  t.notThrows(() => checkAddonFreshness('abc', undefined));
});

test('a missing addon is reported with advice to build it', (t) => {
  const error = t.throws(() => packageRoot('/'));
  t.true(isPilotScopeError(error, 'NATIVE_ADDON_MISSING'));
});
