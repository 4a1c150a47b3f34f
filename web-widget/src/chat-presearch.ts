// The chat ticket's proof-of-work, searched ahead: once the home screen is drawn, in the
// search workers at idle time, so that "Talk" finds it solved (or nearly) and waits only for
// the socket. It sends nothing and tells the relay nothing (the ticket came with the config
// every visitor fetches); what it costs is the search, on the visitor's device, whether or not
// they ever tap "Talk" (docs/benchmarks.md, "The widget on a slow phone"). It must never
// search a ticket past its use (240 s, or once a chat took it), above `PRESEARCH_MAX_BITS`,
// while no one is on duty, after the quick exit, or on the page's own thread (embedded from
// another origin, where workers cannot start: it would slow the page for a chat that may never
// come).
import type { ChatTicket, Solver } from './chat';
import type { PublicConfig } from './tips';

/**
 * The most a ticket is searched ahead: the relay's idle 16 bits and two load steps. Above it
 * (the line busy) the search waits for "Talk": a visitor who never taps would spend up to 64
 * times the idle work.
 */
export const PRESEARCH_MAX_BITS = 18;

export class TicketSearch {
  private readonly stopper = new AbortController();
  private readonly expiry: ReturnType<typeof setTimeout>;
  private progress = 0;
  private shown: (p: number) => void = () => {};
  private readonly nonce: Promise<number>;

  constructor(
    private readonly ticket: ChatTicket & { until: number },
    solve: Solver,
  ) {
    this.nonce = solve(ticket.seed, ticket.session, ticket.difficulty, (p) => this.shown((this.progress = p)), this.stopper.signal);
    this.nonce.catch(() => {}); // stopped, or a chat takes it and sees the failure
    this.expiry = setTimeout(() => this.stop(), ticket.until - Date.now());
  }

  /** Stops the search (the workers end at once); a chat then searches afresh. */
  stop(): void {
    clearTimeout(this.expiry);
    this.stopper.abort();
  }

  /**
   * A solver that hands a chat this search for its ticket, and searches anything else afresh,
   * as it does the ticket if this search failed (no worker could start) or was stopped.
   */
  solver(fresh: Solver): Solver {
    return (seed, context, difficulty, progress, signal) => {
      const again = () => fresh(seed, context, difficulty, progress, signal);
      if (seed !== this.ticket.seed || this.stopper.signal.aborted) return again();
      clearTimeout(this.expiry); // the chat's now, and the chat has its own limit
      this.shown = progress;
      progress(this.progress);
      signal?.addEventListener('abort', () => this.stop());
      return this.nonce.catch((e) => (signal?.aborted ? Promise.reject(e) : again()));
    };
  }
}

/**
 * Starts the config's ticket's search when the page is next idle, unless a chat took it
 * first. Not while no one is on duty: the home screen then offers the tip path and the
 * numbers first, and a chat, if asked for, searches at "Talk".
 */
export function presearch(config: PublicConfig, solve: Solver): void {
  const ticket = config.ticket;
  if (!ticket || ticket.difficulty > PRESEARCH_MAX_BITS || config.onDuty === 0) return;
  const begin = () => {
    if (config.ticket === ticket && ticket.until > Date.now()) ticket.search = new TicketSearch(ticket, solve);
  };
  if (typeof requestIdleCallback === 'function') requestIdleCallback(begin, { timeout: 1000 });
  else setTimeout(begin, 0);
}
