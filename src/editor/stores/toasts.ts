/** Short messages at the canvas's edge: why a wire was refused, what an import found. */
import { defineStore } from 'pinia';
import { ref } from 'vue';

export interface Toast { id: number; kind: 'info' | 'error'; text: string }

export const useToasts = defineStore('toasts', () => {
  const list = ref<Toast[]>([]);
  let next = 1;
  function show(text: string, kind: Toast['kind'] = 'info', ms = kind === 'error' ? 8000 : 4000) {
    const id = next++;
    list.value = [...list.value.slice(-4), { id, kind, text }];
    setTimeout(() => dismiss(id), ms);
  }
  function dismiss(id: number) { list.value = list.value.filter((t) => t.id !== id); }
  return { list, show, dismiss };
});
