// The build ships the locales as bare string lists (scripts/locale-tables.mjs): the tables the
// bundled code sees must be exactly the JSON files, key for key and string for string.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { build } from 'esbuild';
import { localeTables } from '../scripts/locale-tables.mjs';

const dir = new URL('../src/locales/', import.meta.url);

test('the bundled locale tables equal the JSON files', async () => {
  const out = await build({
    stdin: { contents: "export { LOCALES } from './i18n';", resolveDir: new URL('../src/', import.meta.url).pathname, loader: 'ts' },
    bundle: true,
    format: 'cjs',
    write: false,
    logLevel: 'silent',
    plugins: [localeTables],
  });
  const code = out.outputFiles[0].text;
  assert.equal(code.split('quick_exit_hint').length - 1, 1, 'a key is written once, in the English table only');
  const mod = { exports: {} as { LOCALES?: Record<string, Record<string, string>> } };
  new Function('module', 'exports', code)(mod, mod.exports);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.equal(files.length, 10);
  for (const f of files) {
    const want = JSON.parse(readFileSync(new URL(f, dir), 'utf8'));
    assert.deepEqual(mod.exports.LOCALES?.[f.replace('.json', '')], want, f);
  }
});
