// What the desk's browser suites check besides the shift itself: that no English string of
// the page's own tables (nor of the relay's reasons) shows on a page in French or Spanish,
// and that a screen fits the window (no sideways scrolling, the controls inside it).
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { widgetDir } from './harness.mjs';

/** The desk's word tables (`desk/strings.ts`, `desk/reasons.ts`), bundled for node. */
export async function deskTables() {
  const r = await build({ stdin: { contents: "export { tables } from './strings'; export { reasonTables } from './reasons';", resolveDir: join(widgetDir, 'desk'), loader: 'ts' }, bundle: true, format: 'esm', write: false, platform: 'neutral', logLevel: 'silent' });
  return import('data:text/javascript;base64,' + Buffer.from(r.outputFiles[0].contents).toString('base64'));
}

const MARK = '\u0001';
// Any parameter a function of the tables reads, and the parameters themselves, stand for MARK.
const anything = new Proxy({}, { get: (_, key) => (key === Symbol.toPrimitive ? () => MARK : MARK) });

/** Every value of a table, its functions called with placeholders, as plain strings. */
function values(table) {
  return Object.values(table).flatMap((w) => {
    if (typeof w === 'function') return [String(w(anything))];
    if (w && typeof w === 'object') return values(w);
    return [String(w)];
  });
}

/**
 * The English phrases that must not show on a page in `lang`: each English string (its
 * fixed parts, around the parameters), unless the same words are also that language's.
 */
export async function englishOnly(lang) {
  const { tables, reasonTables } = await deskTables();
  const theirs = [...values(tables[lang]), ...values(reasonTables[lang])].join('\n');
  const english = [...values(tables.en), ...values(reasonTables.en), reasonTables.en.closed(4242)];
  const phrases = english
    .flatMap((v) => v.split(MARK))
    .map((p) => p.replace(/^[\s:;,.·()…]+|[\s:;,.·()…]+$/g, ''))
    .filter((p) => p.length >= 4 && /[a-z]/i.test(p) && !p.includes('Invalid Date') && !theirs.includes(p));
  return [...new Set(phrases)];
}

/** The English phrases on the page now: its text and its labels, titles and placeholders. */
export async function englishShown(page, phrases) {
  const shown = await page.evaluate(() => {
    const copy = document.body.cloneNode(true);
    // A resource's own text is the organisation's content, in whatever language it is.
    for (const item of copy.querySelectorAll('.choices')) item.remove();
    const labels = [...copy.querySelectorAll('[aria-label],[title],[placeholder]')].flatMap((e) => ['aria-label', 'title', 'placeholder'].map((a) => e.getAttribute(a) ?? ''));
    return [document.title, copy.textContent, ...labels].join('\n');
  });
  return phrases.filter((p) => new RegExp(`(^|[^\\p{L}])${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^\\p{L}]|$)`, 'u').test(shown));
}

/** Whether the screen fits the window: nothing scrolls sideways, every button is inside it. */
export async function outsideWindow(page) {
  return page.evaluate(() => {
    const wide = document.documentElement.scrollWidth > innerWidth ? ['the page scrolls sideways'] : [];
    const out = [...document.querySelectorAll('button, textarea, input')]
      .filter((e) => e.offsetParent !== null && !e.closest('.choices'))
      .filter((e) => {
        const r = e.getBoundingClientRect();
        return r.left < 0 || r.right > innerWidth + 0.5 || r.top < 0 || r.bottom > innerHeight + 0.5;
      })
      .map((e) => `${e.tagName} ${e.textContent?.trim() || e.id} outside the window`);
    return [...wide, ...out];
  });
}

/** `lifeline desk --no-browser` with `args`; resolves with its address once printed. */
export function startDesk(binary, args) {
  const proc = spawn(binary, ['desk', '--no-browser', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const url = line.trim();
      if (url.startsWith('http://127.0.0.1:')) resolve({ proc, url, origin: new URL(url).origin, stderr: () => stderr });
    });
    proc.on('exit', (code) => reject(new Error(`desk exited ${code}: ${stderr}`)));
  });
}
