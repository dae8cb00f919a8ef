/** canvas/native-signal.ts: Rete's Signal.emit as a native async function does what Rete's own does. */
import { describe, expect, it } from 'vitest';
import { Scope, Signal } from 'rete';
import { useNativeSignals } from '../../src/editor/canvas/native-signal';

const rete = Signal.prototype.emit;

/** Two scopes, one inside the other, with sync, async and stopping pipes; two signals at once. What happens, in order. */
async function scenario(): Promise<string[]> {
  const log: string[] = [];
  const outer = new Scope<unknown>('outer');
  const inner = new Scope<unknown>('inner');
  outer.addPipe((c) => { log.push(`outer sees ${String(c)}`); return c === 'stop' ? undefined : c; });
  outer.use(inner);
  inner.addPipe(async (c) => { await Promise.resolve(); log.push(`inner sees ${String(c)}`); return `${String(c)}!`; });
  inner.addPipe((c) => { log.push(`inner then ${String(c)}`); return c; });
  outer.addPipe((c) => { log.push(`outer last ${String(c)}`); return c; });
  const results = await Promise.all(['a', 'stop', 'b'].map((c) => outer.emit(c)));
  log.push(`results ${results.map(String).join(' ')}`);
  return log;
}

describe('native signals', () => {
  it('runs each pipe in turn on the one before\'s result, stops at undefined, and interleaves concurrent signals as Rete does', async () => {
    const before = await scenario();
    expect(before.at(-1)).toBe('results a! undefined b!');
    expect(before.filter((l) => l.includes('stop'))).toEqual(['outer sees stop']);
    useNativeSignals();
    try {
      expect(Signal.prototype.emit).not.toBe(rete);
      expect(await scenario()).toEqual(before);
    } finally {
      Signal.prototype.emit = rete;
    }
  });

  it('relies on Rete keeping its pipes in `pipes`, in the order added (a Rete upgrade that moves them fails here)', () => {
    const signal = new Signal<unknown>();
    const a = (c: unknown) => c;
    const b = (c: unknown) => c;
    signal.addPipe(a);
    signal.addPipe(b);
    expect((signal as unknown as { pipes: unknown[] }).pipes).toEqual([a, b]);
  });
});
