/**
 * The window's layout: palette and inspector folded to rails or open, and the
 * run dock's height, collapsed or expanded to full width. Remembered in
 * localStorage. While a run is live the canvas keeps its room: a run folds
 * the palette, and the inspector too where the window is narrower than
 * WIDE_WINDOW. When the run ends the inspector it folded opens again (unless
 * the person opened or folded it meanwhile); the palette stays folded, so the
 * dashboard keeps its width for reading the results, until it is opened.
 */
import { defineStore } from 'pinia';
import { reactive, watch } from 'vue';

const KEY = 'siamese-studio.layout';
/** Below this width, inspector + palette + canvas ≥ 55 % cannot all fit beside a run's dock. */
const WIDE_WINDOW = 1600;
const DOCK_MIN = 120;
/** The dock's height before the person sets one: a fifth of the window, legible charts, the canvas first. */
const defaultDockHeight = (windowHeight: number) => Math.round(Math.min(320, Math.max(160, 0.2 * windowHeight)));
/** The dock never takes more than this share of the window's height. */
const dockMax = (windowHeight: number) => Math.max(DOCK_MIN, Math.round(0.6 * windowHeight));

interface Layout { paletteFolded: boolean; inspectorFolded: boolean; dockHeight?: number; dockCollapsed: boolean; dockWide: boolean }
type Panel = 'paletteFolded' | 'inspectorFolded';

function loaded(): Layout {
  const base: Layout = { paletteFolded: false, inspectorFolded: false, dockCollapsed: false, dockWide: false };
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Layout>;
    for (const k of ['paletteFolded', 'inspectorFolded', 'dockCollapsed', 'dockWide'] as const) if (typeof saved[k] === 'boolean') base[k] = saved[k];
    if (typeof saved.dockHeight === 'number' && Number.isFinite(saved.dockHeight)) base.dockHeight = saved.dockHeight;
  } catch { /* a broken entry: the defaults */ }
  return base;
}

export const useLayout = defineStore('layout', () => {
  const state = reactive(loaded());
  watch(state, () => localStorage.setItem(KEY, JSON.stringify(state)), { deep: true });
  /** Panels the current run folded, to open again when it ends. */
  const foldedByRun = new Set<Panel>();

  const toggle = (panel: Panel) => { state[panel] = !state[panel]; foldedByRun.delete(panel); };
  const dockHeight = (windowHeight: number) => Math.min(dockMax(windowHeight), Math.max(DOCK_MIN, state.dockHeight ?? defaultDockHeight(windowHeight)));
  return {
    state,
    togglePalette: () => toggle('paletteFolded'),
    toggleInspector: () => toggle('inspectorFolded'),
    dockHeight,
    setDockHeight(px: number, windowHeight: number) { state.dockHeight = Math.round(Math.min(dockMax(windowHeight), Math.max(DOCK_MIN, px))); },
    /**
     * A view that needs `px` more of the dock (the embedding's scatter) grows
     * it, within the dock's limits; the returned undo puts the person's height
     * back — unless they resized the dock meanwhile, which then stands.
     */
    growDock(px: number, windowHeight: number): () => void {
      const before = state.dockHeight;
      state.dockHeight = Math.round(Math.min(dockMax(windowHeight), dockHeight(windowHeight) + Math.max(0, px)));
      const grown = state.dockHeight;
      return () => { if (state.dockHeight === grown) state.dockHeight = before; };
    },
    /** A run began (live: true) or ended, in a window `width` wide. */
    runLive(live: boolean, width: number) {
      if (live) {
        state.paletteFolded = true;
        if (width < WIDE_WINDOW && !state.inspectorFolded) { state.inspectorFolded = true; foldedByRun.add('inspectorFolded'); }
      } else {
        for (const panel of foldedByRun) state[panel] = false;
        foldedByRun.clear();
      }
    },
  };
});
