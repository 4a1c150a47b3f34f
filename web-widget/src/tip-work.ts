// A tip's slow work that does not depend on its words (docs/protocol.md §6, §7, §9.9): a
// fresh receipt code stretched into its keys, and a proof-of-work solved for a tip seed. It
// starts when the visitor starts writing, so "Send" waits only for the sealing and one
// request; sent at once, it waits for what is left. The stretching and the search cost what
// they always did: they are overlapped with the writing, never cut.
//
// A send whose answer never came (the line dropped after the relay had it, F-57) keeps its
// code: the same words sent again are the same tip, and the relay's 409 for that code says it
// was filed, so the visitor gets that one code, not a second tip under a second code.
//
// It must never send anything of the tip before "Send" (only `GET /v1/pow`, which carries
// nothing), let the receipt code outlive a cancel (it is wiped), or search on once the
// visitor has left the tip form (the search would compete with a chat's).
import { Receipt } from './crypto/receipt';
import type { ReceiptKeys } from './crypto/receipt';
import { sealTip } from './crypto/sealed_tip';
import { CANCELLED } from './pow-solver';
import { forget, Relay, SEED_USABLE_MS, TipError } from './tips';
import type { Screen, State } from './state';


type Solved = { seed: string; nonce: number; at: number };

export class TipWork {
  private receipt: Receipt | null = null;
  private keys: Promise<ReceiptKeys> | null = null;
  private pow: Promise<Solved> | null = null;
  private readonly stop = new AbortController();
  private renew?: ReturnType<typeof setTimeout>;
  private stretched = 0;
  private searched = 0;
  private shown: (fraction: number) => void = () => {};
  /** Sealed and on its way: too late to call back. */
  filing = false;
  /** The words (category and text) of a send under this code that got no 200: the relay may hold them. */
  private sent?: string;

  constructor(
    private readonly relay: Relay,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts the stretching and the search, once; later calls do nothing. */
  start(): void {
    if (this.keys || this.stop.signal.aborted) return;
    this.stretch();
    this.solve();
  }

  private stretch(): void {
    this.receipt?.wipe();
    const receipt = (this.receipt = Receipt.generate());
    this.stretched = 0;
    this.keys = this.relay.derive(receipt);
    this.keys.then(() => this.report((this.stretched = 1), this.searched), () => {});
  }

  private solve(): void {
    clearTimeout(this.renew);
    this.searched = 0;
    this.pow = this.relay.proofOfWork((p) => this.report(this.stretched, (this.searched = p)), this.stop.signal).then((s) => ({ ...s, at: this.now() }));
    // still writing after 240 s: a fresh seed, solved while they write on
    // (Not once the work was cancelled: a renewal set after `cancel` would search for ever.)
    this.pow.then(() => {
      if (!this.stop.signal.aborted) this.renew = setTimeout(() => this.solve(), SEED_USABLE_MS);
    }, () => {});
  }

  private report(stretched: number, searched: number): void {
    this.shown(0.3 * stretched + 0.7 * searched);
  }

  /** Seals the words and files the tip under the prepared receipt; returns the receipt to show. */
  async send(inbox: Uint8Array, text: string, category: string | undefined, progress: (fraction: number) => void): Promise<Receipt> {
    this.start();
    this.filing = false;
    this.shown = progress;
    this.report(this.stretched, this.searched);
    const words = `${category}\0${text}`;
    // Other words than those sent unanswered: another tip, so another code.
    if (this.sent && this.sent !== words) {
      this.keys!.then(forget, () => {});
      this.stretch();
      this.sent = undefined;
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const keys = await this.keys!;
      // A search that failed (offline while writing) or a seed too old is done again now.
      let pow = await this.pow!.catch(() => null);
      this.stillWanted();
      if (!pow || this.now() - pow.at > SEED_USABLE_MS) {
        this.solve();
        pow = await this.pow!;
      }
      clearTimeout(this.renew);
      // Past here the tip goes out: Back is no longer offered, and a cancel no longer heard.
      this.stillWanted();
      this.filing = true;
      this.shown(1);
      const sealed = sealTip(this.relay.orgFp, inbox, { replyKey: keys.tipsterPublic, category: category || undefined, text });
      try {
        await this.relay.fileTip(pow, keys.lookupId, sealed);
      } catch (e) {
        if (!(e instanceof TipError && e.status === 409)) {
          // Kept for the next Send; its seed may be spent, so another is solved meanwhile.
          this.sent = words;
          this.filing = false;
          this.solve();
          throw e;
        }
        // A 409 comes before the proof-of-work is spent (§9.9). After an unanswered send
        // under this code, it is that send, filed; on a first send, an astronomically
        // unlikely collision: another code, the same seed.
        if (!this.sent) {
          forget(keys);
          this.stretch();
          continue;
        }
      }
      forget(keys);
      const receipt = this.receipt!;
      this.receipt = null;
      return receipt;
    }
    throw new Error('could not file the tip');
  }

  private stillWanted(): void {
    if (this.stop.signal.aborted) throw new Error(CANCELLED);
  }

  /** Stops the search and wipes the code and its keys; the work is done with. */
  cancel(): void {
    this.stop.abort();
    clearTimeout(this.renew);
    this.receipt?.wipe();
    this.receipt = null;
    this.keys?.then(forget, () => {});
  }
}

/** Leaving the tip form and its progress screen ends the work (Back from progress ends it too, tip.ts). */
export function leaveTip(state: State, next: Screen): void {
  if (!next.startsWith('tip')) dropTipWork(state);
}

export function dropTipWork(state: State): void {
  state.tipWork?.cancel();
  state.tipWork = null;
}
