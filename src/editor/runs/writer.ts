/**
 * Writes one run into the history as it goes: its entry, and the records
 * logged since the last write as one new chunk (batched by the caller, every
 * second or so, never per step). A failed write (a full quota) loses
 * nothing: the records wait in memory and go with the next write.
 */
import type { MetricsRecord } from '../../runtime/compare/runs';
import type { RunsDb } from './db';
import type { RunMeta } from './record';

export type WriteResult = { ok: true } | { ok: false; error: unknown };

export class RunWriter {
  private seq = 0;
  private pending: MetricsRecord[] = [];
  /** Everything logged, written or not: what the panel shows and exports while writes fail. */
  readonly records: MetricsRecord[] = [];
  private queue: Promise<WriteResult> = Promise.resolve({ ok: true });

  constructor(private readonly db: RunsDb, public meta: RunMeta) {}

  append(records: MetricsRecord[]): void {
    this.pending.push(...records);
    this.records.push(...records);
  }

  /** Records not yet stored. */
  get unsaved(): number {
    return this.pending.length;
  }

  /** Writes the entry and the pending records (one write at a time, in order). */
  flush(): Promise<WriteResult> {
    this.queue = this.queue.then(async () => {
      const batch = this.pending.slice();
      const meta = { ...this.meta, updatedAt: Date.now() };
      try {
        await this.db.put(meta, batch.length ? { seq: this.seq, records: batch } : undefined);
      } catch (error) {
        return { ok: false, error };
      }
      if (batch.length) this.seq++;
      this.pending.splice(0, batch.length);
      return { ok: true };
    });
    return this.queue;
  }
}

/** A full quota, in the words of IndexedDB (and of browsers that say it otherwise). */
export const isQuotaError = (e: unknown) => e instanceof DOMException && (e.name === 'QuotaExceededError' || e.name === 'NS_ERROR_DOM_QUOTA_REACHED');
