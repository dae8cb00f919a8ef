/**
 * The embedding view's data, from the training worker: the probe set's 2-D
 * PCA at each rank step (encoder features and projector output), its labels
 * and class names (with the run's first one), and a UMAP asked for on
 * demand — its progress, its points, or why it ended without them.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { EmbeddingSpace, FromWorker, PcaOut } from '../../runtime/worker/protocol';
import { useTraining } from './training';

export type EmbeddingMessage = Extract<FromWorker, { type: 'embedding' | 'umap-progress' | 'umap' | 'umap-failed' }>;

export type UmapState =
  | { state: 'running'; space: EmbeddingSpace; epoch: number; epochs: number }
  | { state: 'done'; space: EmbeddingSpace; step: number; points: Float32Array }
  | { state: 'failed'; space: EmbeddingSpace; message: string; cancelled: boolean };

/** UMAP's epochs unless the view asks for others (umap-js's own default for a set of 512). */
export const UMAP_EPOCHS = 500;

export const useEmbedding = defineStore('embedding', () => {
  const pca = shallowRef<{ step: number; features: PcaOut; z: PcaOut }>();
  const labels = shallowRef<Uint8Array>();
  const classNames = shallowRef<string[]>([]);
  const umap = shallowRef<UmapState>();
  /** The request whose replies count: an older one's late replies are ignored. */
  let umapId = 0;
  const space = ref<EmbeddingSpace>('features');
  const method = ref<'pca' | 'umap'>('pca');
  /** The dock shows the embedding view instead of the charts (the dock's "embedding" button). */
  const shown = ref(false);

  function onMessage(m: EmbeddingMessage) {
    switch (m.type) {
      case 'embedding':
        if (m.labels) labels.value = m.labels;
        if (m.classNames) classNames.value = m.classNames;
        pca.value = { step: m.step, features: m.features, z: m.z };
        return;
      case 'umap-progress':
        if (m.id === umapId && umap.value) umap.value = { state: 'running', space: umap.value.space, epoch: m.epoch, epochs: m.epochs };
        return;
      case 'umap':
        if (m.id === umapId && umap.value) umap.value = { state: 'done', space: umap.value.space, step: m.step, points: m.points };
        return;
      case 'umap-failed':
        if (m.id === umapId && umap.value) umap.value = { state: 'failed', space: umap.value.space, message: m.message, cancelled: m.cancelled };
        return;
    }
  }

  return {
    pca, labels, classNames, umap, space, method, shown, onMessage,
    /** UMAP of the shown space, in the run's worker. */
    runUmap(epochs = UMAP_EPOCHS) {
      umapId++;
      umap.value = { state: 'running', space: space.value, epoch: 0, epochs };
      useTraining().toWorker({ type: 'umap', id: umapId, space: space.value, epochs });
    },
    cancelUmap() {
      if (umap.value?.state === 'running') useTraining().toWorker({ type: 'umap-cancel' });
    },
    /** A new run (or none): nothing of the last one's embedding stays. */
    reset() {
      pca.value = undefined;
      labels.value = undefined;
      classNames.value = [];
      umap.value = undefined;
      umapId++;
    },
  };
});
