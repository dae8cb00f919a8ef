/**
 * Import and export of documents in the browser. Export writes exactly what
 * the CLI writes (serializeGraph); import reads with the CLI's parser, so the
 * same file gives the same messages everywhere.
 */
import { MAX_DOCUMENT_CHARS, parseGraph, problemLine, type GraphDoc, type ParseResult } from '../../graph';

export type ImportResult = { ok: true; doc: GraphDoc } | { ok: false; messages: string[] };

/** Bytes: a UTF-8 file over the parser's character limit cannot be a document. */
const MAX_IMPORT_BYTES = MAX_DOCUMENT_CHARS;

export function readDocumentText(text: string, source: string): ImportResult {
  return importResultOf(parseGraph(text), source);
}

/**
 * The parser's verdict as an import's: each refusal one line naming its source (a file, "pasted text", "link"),
 * then where in it (the editor's problemLine, not the CLI's "error document:" report), then the code.
 */
export function importResultOf(r: ParseResult, source: string): ImportResult {
  return r.ok ? { ok: true, doc: r.doc } : { ok: false, messages: r.errors.map((p) => `${source}: ${problemLine(p)} [${p.code}]`) };
}

/** Reads a picked or dropped file; a file over the limit is refused from its size, before any of it is read. */
export async function readDocumentFile(file: File): Promise<ImportResult> {
  if (file.size > MAX_IMPORT_BYTES) {
    return { ok: false, messages: [`${file.name}: ${(file.size / 1e6).toFixed(1)} MB is too large for a graph document (the limit is ${MAX_IMPORT_BYTES / 1e6} MB)`] };
  }
  return readDocumentText(await file.text(), file.name);
}
