// The real `lifeline console` binary in a pseudo-terminal, for browser suites that need a
// colleague on the terminal: `script(1)` gives it a terminal, keys are written to it as a
// keyboard would, and what it drew is replayed onto a grid so a test reads what a person
// would see (ratatui redraws only changed cells, so the raw stream is not the screen).
// The same approach as the Rust suites' `tests/common/terminal.rs` and `screen.rs`.
import { spawn } from 'node:child_process';

const WAIT_MS = 20000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** What a terminal of `rows` × `cols` shows after `output` (text, cursor moves, clears). */
export function replay(output, rows, cols) {
  const cells = Array.from({ length: rows }, () => Array(cols).fill(' '));
  let row = 0;
  let col = 0;
  const chars = [...output];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\x1b') {
      // Two-character escapes (charset, save/restore cursor) draw nothing.
      if (chars[++i] !== '[') continue;
      let params = '';
      let last = null;
      while (++i < chars.length) {
        if (chars[i] >= '\x40' && chars[i] <= '\x7e') {
          last = chars[i];
          break;
        }
        params += chars[i];
      }
      if ((last === 'H' || last === 'f') && !params.startsWith('?')) {
        const n = params.split(';').map((p) => Math.max(Number.parseInt(p, 10) || 1, 1) - 1);
        row = Math.min(n[0] ?? 0, rows - 1);
        col = n[1] ?? 0;
      } else if (last === 'J' && params === '2') for (const r of cells) r.fill(' ');
    } else if (c === '\r') col = 0;
    else if (c === '\n') row = Math.min(row + 1, rows - 1);
    else if (c >= ' ') {
      if (col < cols) cells[row][col] = c;
      col++;
    }
  }
  return cells.map((r) => r.join('').trimEnd());
}

/**
 * `lifeline console` (its arguments after `console`) in a `cols` × `rows` terminal.
 * Returns helpers to type keys and wait for text; `stop()` kills it.
 */
export function terminalConsole(binary, args, { cols = 110, rows = 32 } = {}) {
  const quoted = [binary, 'console', ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const proc = spawn('script', ['-qefc', `stty cols ${cols} rows ${rows}; exec ${quoted}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
  let output = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (d) => (output += d));
  const screen = () => replay(output, rows, cols);
  const self = {
    proc,
    screen,
    /** Everything it printed so far (prompts before the full-screen UI start). */
    shown: () => output,
    /** Waits until some row of the screen shows `text` whole (or matches a RegExp). */
    async untilOnScreen(text, timeout = WAIT_MS) {
      const until = Date.now() + timeout;
      const found = () => screen().some((r) => (typeof text === 'string' ? r.includes(text) : text.test(r)));
      while (!found()) {
        if (Date.now() > until || proc.exitCode !== null) throw new Error(`the console never showed ${text}; it shows:\n${screen().join('\n')}`);
        await sleep(50);
      }
    },
    /** Waits until the printed stream holds `text` `times` times (a prompt asked again). */
    async untilShown(text, times = 1) {
      const until = Date.now() + WAIT_MS;
      while (output.split(text).length - 1 < times) {
        if (Date.now() > until || proc.exitCode !== null) throw new Error(`the console never printed ${text}:\n${output}`);
        await sleep(50);
      }
    },
    /** Types `keys` one at a time, as a person would (the key reader sees each alone). */
    async type(keys) {
      for (const key of keys) {
        proc.stdin.write(key);
        await sleep(20);
      }
    },
    /** Chooses the idle lock's passphrase (asked twice), then goes on duty with Ctrl-D. */
    async signInOnDuty(passphrase = 'terminal passphrase') {
      await self.untilShown('Choose a passphrase');
      // The prompt switches the terminal to raw mode just after printing itself.
      await sleep(300);
      await self.type(passphrase + '\r');
      await self.untilShown('Type it again');
      await sleep(300);
      await self.type(passphrase + '\r');
      await self.untilOnScreen('Off duty. Ctrl-D goes on duty');
      await self.type('\x04');
      await self.untilOnScreen('ON DUTY');
    },
    stop() {
      if (proc.exitCode === null) proc.kill();
    },
  };
  return self;
}
