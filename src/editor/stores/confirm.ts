/** One pending question at a time, answered by ConfirmDialog. */
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';

interface Pending { message: string; action: string; resolve(ok: boolean): void }

export const useConfirm = defineStore('confirm', () => {
  const pending = shallowRef<Pending | undefined>();
  function ask(message: string, action = 'OK'): Promise<boolean> {
    pending.value?.resolve(false);
    return new Promise((resolve) => { pending.value = { message, action, resolve }; });
  }
  function answer(ok: boolean) {
    const p = pending.value;
    pending.value = undefined;
    p?.resolve(ok);
  }
  return { pending, ask, answer };
});
