/** Saves text as a file through the browser's download. */
export function downloadText(name: string, text: string, type = 'text/plain'): void {
  downloadBytes(name, new TextEncoder().encode(text), type);
}

/** A file name from a document name: letters, digits, '-' and '_'. */
export const fileStem = (name: string) => name.trim().replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase() || 'graph';

/** Saves bytes as a file through the browser's download. */
export function downloadBytes(name: string, bytes: Uint8Array, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
