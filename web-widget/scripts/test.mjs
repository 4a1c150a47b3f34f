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
// The slow-phone budgets are judged: that file runs alone, on an otherwise idle machine. The
// others mostly wait on the relay and on timers, so two files run at once (each file's tests
// one after another), which takes about three minutes off the suite.
const alone = e2e.filter((f) => f.endsWith('e2e-performance.test.mjs'));
const together = e2e.filter((f) => !alone.includes(f));
if (!process.argv.includes('--unit')) {
  const node = ['--test', '--test-force-exit', '--test-reporter=spec'];
  if (alone.length) run('widget end-to-end: the slow-phone budgets (Chromium, real relay)', [...node, '--test-concurrency=1', ...alone]);
  run('widget end-to-end (Chromium, real relay)', [...node, '--test-concurrency=2', ...together]);
}
