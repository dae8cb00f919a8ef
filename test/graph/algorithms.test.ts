import { describe, expect, it } from 'vitest';
import { adjacency, findCycles, reachable, topologicalOrder } from '../../src/graph';

const g = (ids: string, links: string) =>
  adjacency(ids.split(''), links.split(' ').filter(Boolean).map((l) => ({ from: l[0], to: l[1] })));

describe('graph algorithms', () => {
  it('orders a DAG with every node after its predecessors, ties in document order', () => {
    const graph = g('abcde', 'ab ac bd cd de');
    const { order, blocked } = topologicalOrder(graph);
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(blocked).toEqual([]);
    const late = g('dcba', 'ab bc cd');
    expect(topologicalOrder(late).order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('leaves nodes on or behind a cycle out of the order', () => {
    const { order, blocked } = topologicalOrder(g('abcde', 'ab bc cb cd ae'));
    expect(order).toEqual(['a', 'e']);
    expect(blocked).toEqual(['b', 'c', 'd']);
  });

  it('finds each cycle once, with its ids along the cycle', () => {
    const cycles = findCycles(g('abcdef', 'ab bc ca cd de ed ff'));
    expect(cycles).toHaveLength(3);
    expect(cycles).toEqual(expect.arrayContaining([['a', 'b', 'c'], ['d', 'e'], ['f']]));
    expect(findCycles(g('abc', 'ab bc'))).toEqual([]);
  });

  it('handles a long chain without recursion', () => {
    const n = 50_000;
    const ids = Array.from({ length: n }, (_, i) => `n${i}`);
    const graph = adjacency(ids, ids.slice(1).map((id, i) => ({ from: ids[i], to: id })).concat([{ from: ids[n - 1], to: ids[0] }]));
    const cycles = findCycles(graph);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(n);
    expect(cycles[0].slice(0, 3)).toEqual(['n0', 'n1', 'n2']);
  });

  it('reachable follows steps transitively', () => {
    const graph = g('abcd', 'ab bc');
    expect(reachable(['a'], (id) => graph.out.get(id)!)).toEqual(new Set(['b', 'c']));
    expect(reachable(['c'], (id) => graph.in.get(id)!)).toEqual(new Set(['b', 'a']));
  });
});
