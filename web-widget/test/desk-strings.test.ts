// The desk's words (web-widget/desk/strings.ts): every English key in French and Spanish,
// none empty, and every notice and transcript note the shift core sends has words (the names
// are read from src/console/shift/notice.rs, so a new one without words fails here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tables } from '../desk/strings';

const sample = { n: 1, number: 1, t: '1 min', s: 2, from: 'Bastien', to: 'Bastien', held: 2, placeholder: '<x>', reason: 'r', retry_after: 3, status: 'accepted', on_duty: true, load: 1, capacity: 2, f: 0, r: 1, text: 'note' };
const words = (table: Record<string, unknown>, key: string) => {
  const w = table[key];
  return typeof w === 'function' ? w(sample) : w;
};

test('French and Spanish have every English key, none empty', () => {
  for (const lang of ['fr', 'es']) {
    const missing = Object.keys(tables.en).filter((k) => !(k in tables[lang]));
    assert.deepEqual(missing, [], `${lang}: missing keys`);
    for (const k of Object.keys(tables[lang])) assert.ok(String(words(tables[lang], k)).trim().length > 0, `${lang}.${k} is empty`);
  }
});

test('every notice and note of the shift core has words', () => {
  const source = readFileSync(new URL('../../src/console/shift/notice.rs', import.meta.url), 'utf8');
  const variants = [...source.matchAll(/^    ([A-Z][A-Za-z]+)\b/gm)].map((m) => m[1].replace(/[A-Z]/g, (c, i) => (i ? '_' : '') + c.toLowerCase()));
  assert.ok(variants.length > 40, 'the variants were found');
  const lacking = variants.filter((v) => !(v in tables.en) && v !== 'transfer' && !(v + '_note' in tables.en));
  assert.deepEqual(lacking, []);
});
