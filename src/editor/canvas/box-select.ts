/**
 * Shift+drag on the canvas background: a rubber band; the nodes it touches
 * join the selection when the pointer is released.
 */
import type { AreaPlugin } from 'rete-area-plugin';
import type { Schemes, StudioNode } from './scheme';

export function boxSelect(container: HTMLElement, area: AreaPlugin<Schemes, any>, nodes: () => StudioNode[], done: (ids: string[]) => void) {
  let from: { x: number; y: number } | undefined;
  const band = document.createElement('div');
  band.className = 'selection-box';
  band.dataset.testid = 'selection-box';

  const local = (e: PointerEvent) => {
    const r = container.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const rect = (a: { x: number; y: number }, b: { x: number; y: number }) =>
    ({ left: Math.min(a.x, b.x), top: Math.min(a.y, b.y), right: Math.max(a.x, b.x), bottom: Math.max(a.y, b.y) });

  const move = (e: PointerEvent) => {
    if (!from) return;
    const r = rect(from, local(e));
    Object.assign(band.style, { left: `${r.left}px`, top: `${r.top}px`, width: `${r.right - r.left}px`, height: `${r.bottom - r.top}px` });
  };
  const up = (e: PointerEvent) => {
    if (!from) return;
    const screen = rect(from, local(e));
    from = undefined;
    band.remove();
    const { x, y, k } = area.area.transform;
    const hit = nodes().filter((n) => {
      const p = area.nodeViews.get(n.id)?.position;
      if (!p) return false;
      const left = x + p.x * k, top = y + p.y * k, right = left + n.width * k, bottom = top + n.height * k;
      return left < screen.right && right > screen.left && top < screen.bottom && bottom > screen.top;
    });
    if (hit.length) done(hit.map((n) => n.id));
  };
  window.addEventListener('pointermove', move);
  window.addEventListener('pointerup', up);

  return {
    start(e: PointerEvent) {
      from = local(e);
      move(e);
      container.appendChild(band);
    },
    destroy() {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    },
  };
}
