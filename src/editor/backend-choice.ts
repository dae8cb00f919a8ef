/**
 * The backend the person chose for runs (auto, webgpu, webgl, wasm, cpu),
 * remembered in localStorage as the layout and theme are. A remembered choice
 * this browser cannot start (WebGPU chosen on another machine or under other
 * flags) falls back to auto with a message; Train waits for that check, so a
 * reload never leads to a run that fails on its backend.
 */
import { ref, watch, type Ref } from 'vue';
import { BACKEND_CHOICES, type BackendChoice } from '../runtime/tf/backends';
import { useToasts } from './stores/toasts';

const KEY = 'siamese-studio.backend';

/** What the page can find out about a backend without starting tfjs (the worker starts it, on an OffscreenCanvas for WebGL). */
export interface BackendProbe {
  wasm(): boolean;
  webgl2(): boolean;
  gpuAdapter(): Promise<boolean>;
}

export const browserProbe: BackendProbe = {
  wasm: () => typeof WebAssembly === 'object',
  webgl2: () => { try { return !!new OffscreenCanvas(1, 1).getContext('webgl2'); } catch { return false; } },
  gpuAdapter: async () => { try { return !!(await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter()); } catch { return false; } },
};

/** The remembered choice, or auto where there is none or it is not one of the choices. */
export function savedBackendChoice(storage: Pick<Storage, 'getItem'>): BackendChoice {
  const saved = storage.getItem(KEY);
  return BACKEND_CHOICES.find((c) => c === saved) ?? 'auto';
}

/** Why this browser cannot start `choice`, or undefined where it can (as far as the page can tell). */
export async function unavailableBecause(choice: BackendChoice, probe: BackendProbe): Promise<string | undefined> {
  switch (choice) {
    case 'auto':
    case 'cpu':
      return undefined;
    case 'wasm':
      return probe.wasm() ? undefined : 'no WebAssembly';
    case 'webgl':
      return probe.webgl2() ? undefined : 'no WebGL 2';
    case 'webgpu':
      return (await probe.gpuAdapter()) ? undefined : 'no WebGPU adapter';
  }
}

/**
 * The choice as a ref that remembers itself, and `checking` while the
 * remembered one is being tried (the Train button waits for it).
 */
export function rememberedBackendChoice(storage: Pick<Storage, 'getItem' | 'setItem'> = localStorage, probe = browserProbe): { choice: Ref<BackendChoice>; checking: Ref<boolean> } {
  const saved = savedBackendChoice(storage);
  const choice = ref<BackendChoice>(saved);
  const checking = ref(saved !== 'auto');
  watch(choice, (c) => storage.setItem(KEY, c));
  if (checking.value) {
    void unavailableBecause(saved, probe).then((why) => {
      checking.value = false;
      if (!why || choice.value !== saved) return; // available, or the person chose another meanwhile
      choice.value = 'auto';
      useToasts().show(`The remembered backend ${saved} is not available in this browser (${why}): auto instead.`, 'error');
    });
  }
  return { choice, checking };
}
