/** The backend choice is remembered across reloads; one this browser cannot start falls back to auto, saying so. */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { rememberedBackendChoice, savedBackendChoice, unavailableBecause, type BackendProbe } from '../../src/editor/backend-choice';
import { useToasts } from '../../src/editor/stores/toasts';

const KEY = 'siamese-studio.backend';
const memory = (entries: Record<string, string> = {}) => {
  const map = new Map(Object.entries(entries));
  return { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => { map.set(k, v); }, map };
};
const probe = (has: { wasm?: boolean; webgl2?: boolean; gpu?: boolean }): BackendProbe => ({
  wasm: () => has.wasm ?? false,
  webgl2: () => has.webgl2 ?? false,
  gpuAdapter: async () => has.gpu ?? false,
});
const settled = async () => { for (let i = 0; i < 3; i++) { await Promise.resolve(); await nextTick(); } };

describe('the remembered backend choice', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('reads a saved choice back; nothing, junk or a removed backend name is auto', () => {
    expect(savedBackendChoice(memory({ [KEY]: 'wasm' }))).toBe('wasm');
    expect(savedBackendChoice(memory({ [KEY]: 'webgpu' }))).toBe('webgpu');
    for (const junk of [undefined, '', 'tensorflow', 'WASM', '{"a":1}']) expect(savedBackendChoice(memory(junk === undefined ? {} : { [KEY]: junk })), String(junk)).toBe('auto');
  });

  it('says why a backend cannot start here, and never for auto or cpu', async () => {
    const none = probe({});
    expect(await unavailableBecause('auto', none)).toBeUndefined();
    expect(await unavailableBecause('cpu', none)).toBeUndefined();
    expect(await unavailableBecause('wasm', none)).toBe('no WebAssembly');
    expect(await unavailableBecause('webgl', none)).toBe('no WebGL 2');
    expect(await unavailableBecause('webgpu', none)).toBe('no WebGPU adapter');
    const all = probe({ wasm: true, webgl2: true, gpu: true });
    for (const c of ['wasm', 'webgl', 'webgpu'] as const) expect(await unavailableBecause(c, all), c).toBeUndefined();
  });

  it('saves each change and brings it back on the next load (an available one: no message)', async () => {
    const storage = memory();
    const first = rememberedBackendChoice(storage, probe({ wasm: true }));
    expect(first.choice.value).toBe('auto');
    expect(first.checking.value).toBe(false);
    first.choice.value = 'wasm';
    await settled();
    expect(storage.map.get(KEY)).toBe('wasm');
    const again = rememberedBackendChoice(storage, probe({ wasm: true }));
    expect(again.choice.value).toBe('wasm');
    await settled();
    expect(again.choice.value).toBe('wasm');
    expect(again.checking.value).toBe(false);
    expect(useToasts().list).toEqual([]);
  });

  it('a remembered backend this browser lacks: checking until tried, then auto (saved so), with a message naming it and why', async () => {
    const storage = memory({ [KEY]: 'webgpu' });
    const r = rememberedBackendChoice(storage, probe({ wasm: true }));
    expect(r.checking.value).toBe(true);
    await settled();
    expect(r.checking.value).toBe(false);
    expect(r.choice.value).toBe('auto');
    expect(storage.map.get(KEY)).toBe('auto');
    expect(useToasts().list.map((t) => [t.kind, t.text])).toEqual([['error', 'The remembered backend webgpu is not available in this browser (no WebGPU adapter): auto instead.']]);
  });

  it('a choice made while the remembered one is tried is kept', async () => {
    const storage = memory({ [KEY]: 'webgpu' });
    const r = rememberedBackendChoice(storage, probe({ wasm: true }));
    r.choice.value = 'wasm';
    await settled();
    expect(r.choice.value).toBe('wasm');
    expect(storage.map.get(KEY)).toBe('wasm');
    expect(useToasts().list).toEqual([]);
  });
});
