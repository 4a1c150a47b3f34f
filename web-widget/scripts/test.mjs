// `npm test`: unit tests (crypto vectors, state machines, locales), the check that dist/ is a
// fresh reproducible build, then the end-to-end suite in Chromium against a real relay.
// `npm test -- --unit` skips the end-to-end suite.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (title, args) => {
  console.log(`\n== ${title}`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`${title}: failed`);
    process.exit(r.status ?? 1);
  }
};
const unit = readdirSync(join(root, 'test')).filter((f) => f.endsWith('.test.ts')).map((f) => join('test', f));
run('widget unit tests', ['--import', 'tsx', '--test', '--test-force-exit', '--test-reporter=dot', ...unit]);
run('dist/ equals a fresh build', ['scripts/build.mjs', '--check']);
const e2e = readdirSync(join(root, 'test')).filter((f) => /^e2e.*\.test\.mjs$/.test(f)).map((f) => join('test', f));
if (!process.argv.includes('--unit')) run('widget end-to-end (Chromium, real relay)', ['--test', '--test-force-exit', '--test-concurrency=1', '--test-reporter=spec', ...e2e]);
