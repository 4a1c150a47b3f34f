// Builds dist/lifeline.js, dist/lifeline.css and dist/sri.json reproducibly (same source and
// lockfile → same bytes → same SRI hashes), and the desk's bundle in dist/desk/, with each
// script and style pre-compressed beside it (`.br`, `.gz`: the relay and the desk serve them
// by Accept-Encoding), and prints the gzipped size
// against the budget. The compressed files are reproducible too: fixed levels, no file name
// and a zero time in the gzip header, and a check that each decodes to its asset.
//   node scripts/build.mjs           write dist/
//   node scripts/build.mjs --check   fail if dist/ differs from a fresh build
import { build } from 'esbuild';
import { localeTables } from './locale-tables.mjs';
import { createHash } from 'node:crypto';
import zopfli from '@gfx/zopfli';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const BUDGET = 60 * 1024;
const sri = (b) => 'sha384-' + createHash('sha384').update(b).digest('base64');

export async function fresh() {
  const css = await build({
    entryPoints: [join(root, 'src/styles.css')],
    bundle: true,
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const cssBytes = Buffer.from(css.outputFiles[0].contents);
  const js = await build({
    entryPoints: [join(root, 'src/main.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    platform: 'browser',
    charset: 'utf8',
    legalComments: 'eof',
    sourcemap: false,
    write: false,
    logLevel: 'silent',
    define: { __CSS_INTEGRITY__: JSON.stringify(sri(cssBytes)) },
    absWorkingDir: root,
    plugins: [localeTables],
  });
  const jsBytes = Buffer.from(js.outputFiles[0].contents);
  // The search worker's own small script: a worker fetches its script afresh (no-store).
  const worker = await build({ entryPoints: [join(root, 'src/pow-worker.ts')], bundle: true, minify: true, format: 'iife', target: ['es2020'], platform: 'browser', charset: 'utf8', legalComments: 'eof', write: false, logLevel: 'silent', absWorkingDir: root });
  const workerBytes = Buffer.from(worker.outputFiles[0].contents);
  const sriJson = Buffer.from(JSON.stringify({ 'lifeline.js': sri(jsBytes), 'lifeline.css': sri(cssBytes) }, null, 2) + '\n');
  return { ...(await desk()), 'lifeline.js': jsBytes, 'lifeline.css': cssBytes, 'sri.json': sriJson, ...(await compressed('lifeline.js', jsBytes)), ...(await compressed('lifeline.css', cssBytes)), 'pow-worker.js': workerBytes, ...(await compressed('pow-worker.js', workerBytes)) };
}

/**
 * The coordinator desk (`lifeline desk`): a second entry, embedded in the binary and served
 * on 127.0.0.1 only, so no size budget; reproducible the same way, its script and style
 * pre-compressed like the widget's (the desk serves them by Accept-Encoding). The page itself
 * is a few hundred bytes: a compressed copy would save nothing.
 */
async function desk() {
  const common = { bundle: true, minify: true, write: false, logLevel: 'silent', absWorkingDir: root, charset: 'utf8', legalComments: 'eof' };
  const js = await build({ ...common, entryPoints: [join(root, 'desk/main.ts')], format: 'iife', target: ['es2022'], platform: 'browser', sourcemap: false });
  const css = await build({ ...common, entryPoints: [join(root, 'desk/desk.css')] });
  const jsBytes = Buffer.from(js.outputFiles[0].contents);
  const cssBytes = Buffer.from(css.outputFiles[0].contents);
  return {
    'desk/desk.js': jsBytes,
    'desk/desk.css': cssBytes,
    'desk/index.html': readFileSync(join(root, 'desk/index.html')),
    ...(await compressed('desk/desk.js', jsBytes)),
    ...(await compressed('desk/desk.css', cssBytes)),
  };
}

/** `name.br` and `name.gz`, each checked to decode to exactly `bytes` (SRI is over those). */
async function compressed(name, bytes) {
  const br = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } });
  const gz = await gzip(bytes);
  if (!brotliDecompressSync(br).equals(bytes) || !gunzipSync(gz).equals(bytes)) throw new Error(`${name}: a compressed copy does not decode to it`);
  return { [name + '.br']: br, [name + '.gz']: gz };
}

/**
 * gzip by Zopfli: a standard gzip stream (any browser decodes it) about 7 % smaller than
 * zlib's level 9, which is what a phone without brotli downloads. Zopfli is deterministic and
 * writes no file name and a zero mtime, so the bytes depend on the input only.
 */
// blocksplittingmax: the script gains from more than Zopfli's default 15 blocks (80 to 180
// bytes gzipped, measured on this bundle, for a few tens of milliseconds); past 20 or so
// nothing changes. numiterations: 200 rather than the default 15 takes about 50 bytes more
// off the script (measured 2026-12-01: 59 665 → 59 617) for some 10 s of build.
const gzip = async (b) => Buffer.from(await zopfli.gzipAsync(b, { numiterations: 200, blocksplittingmax: 60 }));

async function main() {
  const files = await fresh();
  const total = files['lifeline.js.gz'].length + files['lifeline.css.gz'].length;
  const zlibTotal = gzipSync(files['lifeline.js'], { level: 9 }).length + gzipSync(files['lifeline.css'], { level: 9 }).length;
  if (process.argv.includes('--check')) {
    const stale = Object.entries(files).filter(([name, bytes]) => !existsSync(join(dist, name)) || !readFileSync(join(dist, name)).equals(bytes));
    if (stale.length) {
      console.error(`dist/ is not a fresh build: ${stale.map(([n]) => n).join(', ')} differ. Run npm run build and commit dist/.`);
      process.exit(1);
    }
    console.log('dist/ equals a fresh build');
  } else {
    mkdirSync(join(dist, 'desk'), { recursive: true });
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dist, name), bytes);
  }
  for (const name of ['lifeline.js', 'lifeline.css', 'pow-worker.js', 'desk/desk.js', 'desk/desk.css']) console.log(`${name}: ${files[name].length} bytes, ${files[name + '.gz'].length} bytes gzipped, ${files[name + '.br'].length} bytes brotli`);
  console.log(`total gzipped: ${(total / 1024).toFixed(1)} KiB (budget ${BUDGET / 1024} KiB; zlib level 9 would be ${(zlibTotal / 1024).toFixed(1)} KiB)`);
  console.log(JSON.parse(files['sri.json']));
  if (total >= BUDGET) {
    console.error('over the size budget');
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
