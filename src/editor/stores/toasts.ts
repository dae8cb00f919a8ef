/**
 * Short messages in the canvas's top-right corner: why a wire was refused,
 * what an import found. The newest three show; the same message again adds
 * to its count instead of stacking. Infos go after a few seconds; errors stay
 * until dismissed (older ones wait behind the three shown).
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';

export interface Toast { id: number; kind: 'info' | 'error'; text: string; count: number }

const VISIBLE_TOASTS = 3;
export const INFO_TOAST_MS = 5000;
/** Waiting errors beyond this many are dropped, oldest first: a runaway loop must not grow the page. */
const KEPT_TOASTS = 30;

export const useToasts = defineStore('toasts', () => {
  const list = ref<Toast[]>([]);
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  let next = 1;

  function expireLater(t: Toast) {
    clearTimeout(timers.get(t.id));
    if (t.kind === 'info') timers.set(t.id, setTimeout(() => dismiss(t.id), INFO_TOAST_MS));
  }
  function show(text: string, kind: Toast['kind'] = 'info') {
    const same = list.value.find((t) => t.text === text && t.kind === kind);
    const toast = same ? { ...same, count: same.count + 1 } : { id: next++, kind, text, count: 1 };
    list.value = [...list.value.filter((t) => t.id !== toast.id), toast].slice(-KEPT_TOASTS);
    expireLater(toast);
  }
  function dismiss(id: number) {
    clearTimeout(timers.get(id));
    timers.delete(id);
    list.value = list.value.filter((t) => t.id !== id);
  }
  const visible = computed(() => list.value.slice(-VISIBLE_TOASTS));
  const waiting = computed(() => Math.max(0, list.value.length - VISIBLE_TOASTS));
  return { list, visible, waiting, show, dismiss };
});
