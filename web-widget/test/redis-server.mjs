// A real redis-server for the browser suites that fail the store under a live chat: on a free
// loopback port, append-only with fsync always (as shipped), in a throwaway directory. It must
// never be left running: `stop` is registered with `after` by the caller.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const answers = (port) =>
  new Promise((resolve) => {
    const c = createConnection({ port, host: '127.0.0.1' }, () => (c.end(), resolve(true)));
    c.on('error', () => resolve(false));
  });

/** One Redis on one port, with its data; `restartEmpty` keeps the port and loses the data. */
export async function startRedis() {
  const port = await freePort();
  let proc = null;
  let dir = null;
  const start = async () => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-e2e-redis-'));
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !(await answers(port)); i++) await new Promise((r) => setTimeout(r, 50));
  };
  const stop = () => {
    proc.kill('SIGCONT');
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    /** SIGSTOP: the store stops answering without closing a connection (a hung disk, a GC pause). */
    freeze: () => proc.kill('SIGSTOP'),
    thaw: () => proc.kill('SIGCONT'),
    /** Killed, then started again with nothing: a Redis that lost its data (a new generation). */
    async restartEmpty() {
      stop();
      await new Promise((r) => proc.once('exit', r));
      await start();
    },
    stop,
  };
}
