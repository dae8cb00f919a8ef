/** The toast queue: three shown, repeats merged with a count, infos expire, errors stay until dismissed. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { INFO_TOAST_MS, useToasts } from '../../src/editor/stores/toasts';

describe('toasts', () => {
  beforeEach(() => { setActivePinia(createPinia()); vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });
  const shown = () => useToasts().visible.map((t) => `${t.kind}:${t.text}×${t.count}`);

  it('shows the newest three, oldest first, and says how many wait behind them', () => {
    const toasts = useToasts();
    for (const n of [1, 2, 3, 4, 5]) toasts.show(`error ${n}`, 'error');
    expect(shown()).toEqual(['error:error 3×1', 'error:error 4×1', 'error:error 5×1']);
    expect(toasts.waiting).toBe(2);
    toasts.dismiss(toasts.visible[2].id);
    expect(shown()).toEqual(['error:error 2×1', 'error:error 3×1', 'error:error 4×1']);
    expect(toasts.waiting).toBe(1);
  });

  it('merges an identical message into one toast with a count, moved to the newest place', () => {
    const toasts = useToasts();
    toasts.show('refused: features → images', 'error');
    toasts.show('Imported "BYOL"');
    toasts.show('refused: features → images', 'error');
    toasts.show('refused: features → images', 'error');
    toasts.show('refused: features → images'); // same text, other kind: its own toast
    expect(shown()).toEqual(['info:Imported "BYOL"×1', 'error:refused: features → images×3', 'info:refused: features → images×1']);
  });

  it('lets infos expire (a repeat restarts the clock) and keeps errors until dismissed', () => {
    const toasts = useToasts();
    toasts.show('kept', 'error');
    toasts.show('passing');
    vi.advanceTimersByTime(INFO_TOAST_MS - 1000);
    toasts.show('passing');
    vi.advanceTimersByTime(INFO_TOAST_MS - 1000);
    expect(shown()).toEqual(['error:kept×1', 'info:passing×2']);
    vi.advanceTimersByTime(1000);
    expect(shown()).toEqual(['error:kept×1']);
    vi.advanceTimersByTime(10 * 60_000);
    expect(shown()).toEqual(['error:kept×1']);
    toasts.dismiss(toasts.visible[0].id);
    expect(shown()).toEqual([]);
  });
});
