/** Graph algorithms over node ids and directed links, independent of node kinds. */

export interface Link {
  from: string;
  to: string;
}

export interface Adjacency {
  readonly ids: readonly string[];
  readonly out: ReadonlyMap<string, readonly string[]>;
  readonly in: ReadonlyMap<string, readonly string[]>;
}

export function adjacency(ids: readonly string[], links: readonly Link[]): Adjacency {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  const inn = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const { from, to } of links) {
    if (!out.has(from) || !inn.has(to)) continue;
    out.get(from)!.push(to);
    inn.get(to)!.push(from);
  }
  return { ids, out, in: inn };
}

/**
 * Kahn's algorithm. `order` holds every node not on or behind a cycle, each
 * after all of its predecessors; `blocked` the rest (empty when acyclic).
 * Ties keep document order, so the result is deterministic.
 */
export function topologicalOrder(g: Adjacency): { order: string[]; blocked: string[] } {
  const indegree = new Map(g.ids.map((id) => [id, g.in.get(id)!.length]));
  const ready = g.ids.filter((id) => indegree.get(id) === 0);
  const order: string[] = [];
  for (let i = 0; i < ready.length; i++) {
    const id = ready[i];
    order.push(id);
    for (const next of g.out.get(id)!) {
      const d = indegree.get(next)! - 1;
      indegree.set(next, d);
      if (d === 0) ready.push(next);
    }
  }
  const placed = new Set(order);
  return { order, blocked: g.ids.filter((id) => !placed.has(id)) };
}

/**
 * The cycles of a graph as its strongly connected components of more than one
 * node, or one node with a link to itself (Tarjan 1972, iterative).
 */
export function findCycles(g: Adjacency): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  for (const root of g.ids) {
    if (index.has(root)) continue;
    const work: Array<{ id: string; next: number }> = [{ id: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const frame = work[work.length - 1];
      const succ = g.out.get(frame.id)!;
      if (frame.next < succ.length) {
        const w = succ[frame.next++];
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ id: w, next: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].id;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.id)!));
      }
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== frame.id);
        const selfLoop = g.out.get(frame.id)!.includes(frame.id);
        if (component.length > 1 || selfLoop) cycles.push(orderAlongCycle(component, g));
      }
    }
  }
  return cycles;
}

/** The component's ids in document order of their first member, then following links, for readable messages. */
function orderAlongCycle(component: string[], g: Adjacency): string[] {
  const members = new Set(component);
  const start = g.ids.find((id) => members.has(id))!;
  const ordered = [start];
  const placed = new Set(ordered);
  let at = start;
  for (;;) {
    const next = g.out.get(at)!.find((n) => members.has(n) && !placed.has(n));
    if (!next) break;
    ordered.push(next);
    placed.add(next);
    at = next;
  }
  return [...ordered, ...component.filter((id) => !placed.has(id))];
}

/** Every node reachable from `start` by following `step` (start excluded unless reached again). */
export function reachable(start: readonly string[], step: (id: string) => readonly string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...start];
  while (todo.length) {
    for (const next of step(todo.pop()!)) {
      if (!seen.has(next)) {
        seen.add(next);
        todo.push(next);
      }
    }
  }
  return seen;
}
