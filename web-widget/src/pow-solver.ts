// Runs the proof-of-work search (crypto/pow.ts) in a Web Worker made from the widget's own
// script URL (same origin, so CSP `script-src 'self'` allows it and no blob: is needed), with
// progress. Where a worker cannot start (the script is cross-origin) it searches in slices on
// the main thread so the page stays responsive.
import { searchPow } from './crypto/proof_of_work';
import type { Solver } from './chat';

const SLICE = 4096;

/** Expected fraction done after `tried` attempts at this difficulty (never reaches 1). */
export function expectedProgress(tried: number, difficulty: number): number {
  return 1 - Math.exp(-tried / 2 ** difficulty);
}

/** What a solver throws when its search was called off (the visitor went back, or too slow). */
export const CANCELLED = 'pow cancelled';

export function mainThreadSolver(): Solver {
  return async (seed, context, difficulty, progress, signal) => {
    for (let from = 0; ; from += SLICE) {
      if (signal?.aborted) throw new Error(CANCELLED);
      const n = searchPow(seed, context, difficulty, from, SLICE);
      if (n >= 0) return n;
      progress(expectedProgress(from + SLICE, difficulty));
      await new Promise((r) => setTimeout(r, 0));
    }
  };
}

export function workerSolver(scriptUrl: string | null): Solver {
  const fallback = mainThreadSolver();
  return (seed, context, difficulty, progress, signal) =>
    new Promise<number>((resolve, reject) => {
      let worker: Worker;
      try {
        if (!scriptUrl || new URL(scriptUrl, location.href).origin !== location.origin) throw new Error('cross-origin');
        worker = new Worker(scriptUrl);
      } catch {
        resolve(fallback(seed, context, difficulty, progress, signal));
        return;
      }
      // Called off: the worker stops at once, so a cancelled search costs the phone nothing more.
      signal?.addEventListener('abort', () => {
        worker.terminate();
        reject(new Error(CANCELLED));
      });
      worker.onmessage = (e: MessageEvent) => {
        const d = e.data;
        if (d && d.type === 'progress') progress(expectedProgress(d.tried, difficulty));
        else if (d && d.type === 'done') {
          worker.terminate();
          resolve(d.nonce);
        }
      };
      worker.onerror = (e) => {
        e.preventDefault();
        worker.terminate();
        resolve(fallback(seed, context, difficulty, progress, signal));
      };
      worker.postMessage({ seed, context, difficulty });
    });
}

/** The worker side: the same bundle, started without a document. */
export function runWorker(scope: { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown): void }): void {
  scope.onmessage = (e: MessageEvent) => {
    const { seed, context, difficulty } = e.data;
    for (let from = 0; ; from += SLICE) {
      const n = searchPow(seed, context, difficulty, from, SLICE);
      if (n >= 0) {
        scope.postMessage({ type: 'done', nonce: n });
        return;
      }
      if ((from / SLICE) % 4 === 0) scope.postMessage({ type: 'progress', tried: from + SLICE });
    }
  };
}
