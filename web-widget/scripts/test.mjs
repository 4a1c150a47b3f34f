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
// The end-to-end files spend most of their time waiting on the relay's and the widget's
// timers (a quarter of one core, measured): two run side by side, each with its own relay,
// browser and ports. The performance budgets are judged on measured times, so that file runs
// alone, after the others.
const judgedAlone = (f) => f.endsWith('e2e-performance.test.mjs');
const e2eArgs = ['--test', '--test-force-exit', '--test-reporter=spec'];
if (!process.argv.includes('--unit')) {
  run('widget end-to-end (Chromium, real relay), two files at a time', [...e2eArgs, '--test-concurrency=2', ...e2e.filter((f) => !judgedAlone(f))]);
  run('widget performance budgets (alone)', [...e2eArgs, '--test-concurrency=1', ...e2e.filter(judgedAlone)]);
}
