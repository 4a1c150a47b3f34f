// Starts a real `lifeline serve` on a free loopback port with a fresh data dir, the Rust
// e2e coordinator (examples/e2e-coordinator.rs), and Debian's Chromium through playwright-core.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

export const widgetDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repo = join(widgetDir, '..');
// Overridable to build and run a clean checkout elsewhere while this tree is mid-edit.
const cargoRepo = process.env.LIFELINE_E2E_REPO ?? repo;
const target = process.env.LIFELINE_E2E_TARGET_DIR ?? process.env.CARGO_TARGET_DIR ?? join(cargoRepo, 'target');
export const shots = join(widgetDir, 'test-results', 'screenshots');

export function buildRust() {
  // A no-op when `cargo test` already built them; rebuilds when dist/ changed (include_bytes!).
  const r = spawnSync('cargo', ['build', '--quiet', '--bin', 'lifeline', '--example', 'e2e-coordinator'], { cwd: cargoRepo, stdio: 'inherit', env: { ...process.env, CARGO_TARGET_DIR: target } });
  if (r.status !== 0) throw new Error('cargo build failed');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function startRelay(extraEnv = {}) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'lifeline-e2e-'));
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    LIFELINE_SERVER_LISTEN: `127.0.0.1:${port}`,
    LIFELINE_SERVER_DATA_DIR: dataDir,
    // Test files run in parallel: no metrics listener, so no shared port to fight over.
    LIFELINE_SERVER_METRICS_LISTEN: '',
    LIFELINE_WIDGET_NEUTRAL_URL: `${base}/healthz`,
    ...extraEnv,
  };
  const proc = spawn(join(target, 'debug', 'lifeline'), ['serve'], { cwd: cargoRepo, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    if (proc.exitCode !== null) throw new Error('relay exited: ' + stderr);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    base,
    dataDir,
    keys: join(dataDir, 'keys'),
    stop() {
      proc.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The Rust coordinator: `await coord.cmd('send hello')` → parsed JSON answer. */
export async function startCoordinator(relay) {
  const proc = spawn(join(target, 'debug', 'examples', 'e2e-coordinator'), [`ws://127.0.0.1:${relay.port}/v1/coordinator`, relay.keys], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout });
  const waiting = [];
  const ready = [];
  lines.on('line', (l) => {
    const v = JSON.parse(l);
    const w = waiting.shift();
    if (w) w(v);
    else ready.push(v);
  });
  const next = () => (ready.length ? Promise.resolve(ready.shift()) : new Promise((r) => waiting.push(r)));
  const hello = await next();
  if (!hello.ok) throw new Error('coordinator: ' + JSON.stringify(hello));
  return {
    alias: hello.alias,
    async cmd(line) {
      proc.stdin.write(line + '\n');
      const v = await next();
      if (v.error) throw new Error(`coordinator ${line}: ${v.error}`);
      return v;
    },
    stop() {
      proc.stdin.end('quit\n');
      setTimeout(() => proc.kill(), 500).unref();
    },
  };
}

export async function launchBrowser() {
  const userDataDir = mkdtempSync(join(tmpdir(), 'lifeline-chromium-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 1,
    isMobile: true,
    hasTouch: true,
  });
  return {
    context: browser,
    async close() {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function launchPlain() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

export function screenshotDir() {
  mkdirSync(shots, { recursive: true });
  return shots;
}

export { existsSync };
