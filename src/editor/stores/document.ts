/**
 * The document store: the one source of truth. Everything the editor shows is
 * derived from `doc`; the Rete canvas will be a projection of it.
 */
import { defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import type { GraphDoc } from '../../graph';
import { validate } from '../../nodes';
import { templates } from '../templates';

export const useDocumentStore = defineStore('document', () => {
  const doc = shallowRef<GraphDoc>(structuredClone(templates.find((t) => t.key === 'simsiam')?.doc ?? templates[0].doc));
  const validation = computed(() => validate(doc.value));

  function loadTemplate(key: string) {
    const entry = templates.find((t) => t.key === key);
    if (!entry) throw new Error(`no template "${key}"`);
    doc.value = structuredClone(entry.doc);
  }

  return { doc, validation, loadTemplate };
});
