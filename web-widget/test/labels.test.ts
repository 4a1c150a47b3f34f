// Every protocol label docs/protocol.md writes (the labelled() prefixes, HKDF infos, the
// prologue and the Noise protocol name) is defined once in src/crypto/labels.ts, and the same
// string is a literal in the Rust crypto (src/crypto/). A label changed on one side only
// would be a silent fork of the protocol; a label inlined elsewhere could drift unseen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as labels from '../src/crypto/labels';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
function files(dir: string, ext: string): string[] {
  return readdirSync(new URL(dir, root)).flatMap((f) => {
    const path = dir + f;
    if (statSync(new URL(path, root)).isDirectory()) return files(path + '/', ext);
    return f.endsWith(ext) ? [path] : [];
  });
}
/** Code without its comment lines: a label only mentioned in a comment does not count. */
const code = (text: string) => text.split('\n').filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l)).join('\n');

const spec = read('docs/protocol.md');
const specLabels = new Set([...spec.matchAll(/[`"](lifeline v1 [a-z0-9][a-z0-9 -]*[a-z0-9]|Noise_[A-Za-z0-9_]+)[`"]/g)].map((m) => m[1]));
const tsLabels = Object.entries(labels).filter(([name]) => name !== 'LABEL_PREFIX' && name !== 'POW_TIP_CONTEXT');

// Labels the spec gives that the Rust code keeps outside src/crypto, with where (none since
// the coordinator-auth label moved to src/crypto/coordinator_auth.rs).
const RUST_ELSEWHERE: Record<string, string> = {};

test('the spec names at least the labels the widget needs (the extraction itself works)', () => {
  for (const l of ['lifeline v1 chat', 'lifeline v1 message', 'lifeline v1 tip follow-up', 'lifeline v1 receipt x25519', 'Noise_NX_25519_ChaChaPoly_SHA256']) assert.ok(specLabels.has(l), l);
  assert.ok(specLabels.size >= 15, [...specLabels].join(', '));
});

test('every label in docs/protocol.md is a TypeScript constant, each defined once, and nothing else', () => {
  const values = tsLabels.map(([, v]) => v);
  assert.equal(new Set(values).size, values.length, 'two constants with the same label');
  for (const l of specLabels) assert.ok(values.includes(l), `"${l}" is in docs/protocol.md but not in src/crypto/labels.ts`);
  for (const [name, v] of tsLabels) assert.ok(specLabels.has(v), `${name} = "${v}" is not in docs/protocol.md`);
  assert.ok(values.every((v) => v.startsWith(labels.LABEL_PREFIX) || v === labels.PROTOCOL_NAME));
  assert.equal(labels.PROTOCOL_NAME.length, 32, 'the Noise name is exactly 32 bytes (h starts as it)');
});

test('no label is written inline anywhere else in the widget source', () => {
  for (const path of files('web-widget/src/', '.ts')) {
    if (path.endsWith('/labels.ts')) continue;
    const inline = code(read(path)).match(/['"`](lifeline v1 [^'"`]*|Noise_NX[^'"`]*)['"`]/g);
    assert.equal(inline, null, `${path} inlines ${inline}`);
  }
});

test('every label is a string literal in the Rust crypto', () => {
  const rust = new Map(files('src/crypto/', '.rs').map((p) => [p, code(read(p))]));
  for (const l of specLabels) {
    const literal = new RegExp(`b?"${l}"`);
    const where = [...rust].filter(([, text]) => literal.test(text)).map(([p]) => p);
    if (where.length === 0 && RUST_ELSEWHERE[l]) {
      assert.match(code(read(RUST_ELSEWHERE[l])), literal, `"${l}" is in neither src/crypto nor ${RUST_ELSEWHERE[l]}`);
      continue;
    }
    assert.ok(where.length >= 1, `"${l}" is in docs/protocol.md but no string literal in src/crypto`);
  }
});
