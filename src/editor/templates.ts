/** The shipped templates, read with the same parser as any imported file. */
import { parseGraph, type GraphDoc } from '../graph';

const texts = import.meta.glob<string>('../../templates/*.json', { query: '?raw', import: 'default', eager: true });

export interface TemplateEntry {
  key: string;
  /** Gallery section: the papers' pipelines, or the collapse lab's ablations (file names collapse-*). */
  group: 'Papers' | 'Collapse lab';
  doc: GraphDoc;
}

export const templates: TemplateEntry[] = Object.entries(texts).flatMap(([path, text]) => {
  const r = parseGraph(text);
  const key = path.replace(/^.*\/(.+)\.json$/, '$1');
  // A broken template is a bug the test suite catches; the gallery just leaves it out.
  return r.ok ? [{ key, group: key.startsWith('collapse-') ? ('Collapse lab' as const) : ('Papers' as const), doc: r.doc }] : [];
});

export const templateGroups = (['Papers', 'Collapse lab'] as const).map((group) => ({ group, entries: templates.filter((t) => t.group === group) }));
