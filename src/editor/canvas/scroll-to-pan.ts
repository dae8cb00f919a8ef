/**
 * The canvas's view moves only by the area's transform. Its container is
 * overflow: hidden, which still scrolls when the browser reveals an element
 * inside it (a focused field, find-in-page, scrollIntoView): the graph, the
 * minimap and the toasts would shift with no scrollbar to bring them back, the
 * graph's left part hidden under the sidebar. Such a scroll is turned into the
 * same pan, so what the browser revealed stays where it put it.
 */
import type { AreaPlugin } from 'rete-area-plugin';
import type { Schemes } from './scheme';

/** Returns the function that stops it. */
export function scrollToPan(container: HTMLElement, area: AreaPlugin<Schemes, any>): () => void {
  const onScroll = () => {
    const { scrollLeft: dx, scrollTop: dy } = container;
    if (!dx && !dy) return;
    container.scrollLeft = 0;
    container.scrollTop = 0;
    const { x, y } = area.area.transform;
    void area.area.translate(x - dx, y - dy);
  };
  container.addEventListener('scroll', onScroll);
  return () => container.removeEventListener('scroll', onScroll);
}
