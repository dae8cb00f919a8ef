/**
 * The run history in IndexedDB: `runs` (one entry per run, its figures and
 * status), `metrics` (its log in chunks, appended as it goes, never
 * rewritten) and `weights` (its encoder.safetensors, where kept). A chunk is
 * written in the same transaction as its run's entry: both or neither.
 */
import type { MetricsRecord } from '../../runtime/compare/runs';
import type { RunMeta } from './record';

export interface RunsDb {
  list(): Promise<RunMeta[]>;
  put(meta: RunMeta, chunk?: { seq: number; records: MetricsRecord[] }): Promise<void>;
  /** The run's chunks, in order. */
  chunks(id: string): Promise<MetricsRecord[][]>;
  remove(id: string): Promise<void>;
  putWeights(id: string, bytes: Uint8Array): Promise<void>;
  weights(id: string): Promise<Uint8Array | undefined>;
}

const NAME = 'siamese-studio-runs';
type Store = 'runs' | 'metrics' | 'weights';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore('runs', { keyPath: 'id' });
      db.createObjectStore('metrics', { keyPath: ['run', 'seq'] });
      db.createObjectStore('weights', { keyPath: 'run' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** One transaction; resolves with what `body` returns once it has committed (a full quota rejects here, as QuotaExceededError). */
function transaction<T>(db: IDBDatabase, stores: Store[], mode: IDBTransactionMode, body: (t: IDBTransaction) => () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = db.transaction(stores, mode);
    const result = body(t);
    t.oncomplete = () => resolve(result());
    t.onabort = () => reject(t.error ?? new Error('the transaction was aborted'));
    t.onerror = () => undefined; // onabort follows with the error
  });
}

/** A chunk's key range: [id, any seq]. */
const chunksOf = (id: string) => IDBKeyRange.bound([id, -Infinity], [id, Infinity]);

export function indexedRunsDb(): RunsDb {
  let db: Promise<IDBDatabase> | undefined;
  const connection = () => (db ??= open());
  return {
    async list() {
      return transaction(await connection(), ['runs'], 'readonly', (t) => {
        const r = t.objectStore('runs').getAll();
        return () => r.result as RunMeta[];
      });
    },
    async put(meta, chunk) {
      await transaction(await connection(), ['runs', 'metrics'], 'readwrite', (t) => {
        t.objectStore('runs').put(meta);
        if (chunk) t.objectStore('metrics').put({ run: meta.id, seq: chunk.seq, records: chunk.records });
        return () => undefined;
      });
    },
    async chunks(id) {
      return transaction(await connection(), ['metrics'], 'readonly', (t) => {
        const r = t.objectStore('metrics').getAll(chunksOf(id));
        return () => (r.result as { records: MetricsRecord[] }[]).map((c) => c.records);
      });
    },
    async remove(id) {
      await transaction(await connection(), ['runs', 'metrics', 'weights'], 'readwrite', (t) => {
        t.objectStore('runs').delete(id);
        t.objectStore('metrics').delete(chunksOf(id));
        t.objectStore('weights').delete(id);
        return () => undefined;
      });
    },
    async putWeights(id, bytes) {
      await transaction(await connection(), ['weights'], 'readwrite', (t) => {
        t.objectStore('weights').put({ run: id, bytes });
        return () => undefined;
      });
    },
    async weights(id) {
      return transaction(await connection(), ['weights'], 'readonly', (t) => {
        const r = t.objectStore('weights').get(id);
        return () => (r.result as { bytes: Uint8Array } | undefined)?.bytes;
      });
    },
  };
}
