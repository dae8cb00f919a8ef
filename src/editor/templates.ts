/** The shipped templates, read with the same parser as any imported file. */
import { parseGraph, type GraphDoc, type LossFamily } from '../graph';
import { expectedOutcome, families, familyOf } from '../nodes/families';

const texts = import.meta.glob<string>('../../templates/*.json', { query: '?raw', import: 'default', eager: true });

export interface TemplateEntry {
  key: string;
  /** Gallery section: the papers' pipelines, or the collapse lab's ablations (file names collapse-*). */
  group: 'Papers' | 'Collapse lab';
  /** What keeps its losses from collapsing (familyOf). */
  family: LossFamily | undefined;
  /** An ablation's expected outcome: the sentence of its description that starts "Expected:". */
  expected: string | undefined;
  doc: GraphDoc;
}

export const templates: TemplateEntry[] = Object.entries(texts).flatMap(([path, text]) => {
  const r = parseGraph(text);
  const key = path.replace(/^.*\/(.+)\.json$/, '$1');
  // A broken template is a bug the test suite catches; the gallery just leaves it out.
  if (!r.ok) return [];
  const group = key.startsWith('collapse-') ? ('Collapse lab' as const) : ('Papers' as const);
  return [{ key, group, family: familyOf(r.doc), expected: expectedOutcome(r.doc.description), doc: r.doc }];
});

/** The papers' pipelines, then the collapse lab by family (a family without an ablation yet is left out). */
export const paperTemplates = templates.filter((t) => t.group === 'Papers');
export const collapseLab = families
  .map((f) => ({ ...f, entries: templates.filter((t) => t.group === 'Collapse lab' && t.family === f.family) }))
  .filter((f) => f.entries.length > 0);
