/**
 * Backend choice: the order is WebGPU, then WebGL, WASM, CPU; the
 * user may force one. tf.setBackend returns false (does not throw) when a
 * backend fails to initialise, so every attempt is checked.
 */
import type * as tfc from '@tensorflow/tfjs-core';

export const BACKEND_CHOICES = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export const AUTO_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

export interface BackendSelection {
  name: string;
  /** Why this one: forced, or which better ones were unavailable. */
  reason: string;
}

/**
 * `avoid` names backends that `auto` passes over, with the reason (in Node, a
 * WebGPU adapter that is a software renderer is slower than wasm).
 */
export async function selectBackend(tf: typeof tfc, choice: BackendChoice, avoid: Record<string, string> = {}): Promise<BackendSelection> {
  const registered = Object.keys(tf.engine().registryFactory);
  const tryOne = async (name: string) => {
    if (!registered.includes(name)) return false;
    try {
      const ok = await tf.setBackend(name);
      // The cpu backend advertises tfjs-node on first use in Node; choosing cpu here is deliberate.
      if (ok && name === 'cpu') (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
      return ok;
    } catch {
      return false;
    }
  };
  if (choice !== 'auto') {
    if (await tryOne(choice)) return { name: choice, reason: 'chosen' };
    throw new Error(`backend "${choice}" is not available here${registered.includes(choice) ? ' (it failed to initialise)' : ''}; available: ${registered.join(', ')}`);
  }
  const skipped: string[] = [];
  for (const name of AUTO_ORDER) {
    if (avoid[name]) {
      skipped.push(`${name}: ${avoid[name]}`);
      continue;
    }
    if (await tryOne(name)) return { name, reason: skipped.length ? `best available (${skipped.join('; ')})` : 'best available' };
    skipped.push(`${name}: unavailable`);
  }
  throw new Error('no tfjs backend could be initialised');
}
