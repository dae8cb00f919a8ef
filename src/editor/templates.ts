/** The shipped templates, read with the same parser as any imported file. */
import { parseGraph, type GraphDoc } from '../graph';

const texts = import.meta.glob<string>('../../templates/*.json', { query: '?raw', import: 'default', eager: true });

export interface TemplateEntry {
  key: string;
  doc: GraphDoc;
}

export const templates: TemplateEntry[] = Object.entries(texts).flatMap(([path, text]) => {
  const r = parseGraph(text);
  // A broken template is a bug the test suite catches; the gallery just leaves it out.
  return r.ok ? [{ key: path.replace(/^.*\/(.+)\.json$/, '$1'), doc: r.doc }] : [];
});
