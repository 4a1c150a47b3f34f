// An esbuild plugin that ships every locale but English as a bare list of strings in the
// order of en.json's keys, rebuilt into the same key → string table when the bundle starts.
// Each key was otherwise written ten times in the bundle (about 1.4 KiB gzipped); the tables
// the code sees are unchanged. It must never change a string nor invent one: a key a locale
// lacks stays absent (the English fallback of i18n.ts applies, and test/locales.test.ts
// fails on it), a key only the locale has is dropped (no code can ask for it).
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const ZIP = 'locale-table';

/** JS for one locale: its strings in en.json's key order, `null` where it lacks a key. */
function localeModule(path) {
  const en = JSON.parse(readFileSync(join(dirname(path), 'en.json'), 'utf8'));
  const table = JSON.parse(readFileSync(path, 'utf8'));
  const strings = Object.keys(en).map((k) => (typeof table[k] === 'string' ? table[k] : null));
  return `import en from './en.json';\nimport { zip } from '${ZIP}';\nexport default zip(en, ${JSON.stringify(strings)});\n`;
}

const zipModule = `export const zip = (en, strings) => {
  const table = {};
  Object.keys(en).forEach((k, i) => { if (strings[i] !== null) table[k] = strings[i]; });
  return table;
};\n`;

export const localeTables = {
  name: 'locale-tables',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^${ZIP}$`) }, () => ({ path: ZIP, namespace: ZIP }));
    b.onLoad({ filter: /.*/, namespace: ZIP }, () => ({ contents: zipModule, loader: 'js' }));
    b.onLoad({ filter: /[/\\]locales[/\\][^/\\]+\.json$/ }, (args) => {
      if (basename(args.path) === 'en.json') return undefined;
      return { contents: localeModule(args.path), loader: 'js', resolveDir: dirname(args.path), watchFiles: [join(dirname(args.path), 'en.json')] };
    });
  },
};
