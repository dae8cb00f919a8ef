/**
 * IDX files (LeCun's MNIST format, used by Fashion-MNIST): a big-endian
 * header — two zero bytes, a type code (0x08: unsigned bytes), the number of
 * dimensions — then one 32-bit size per dimension, then the data. Gzipped or
 * raw. Bytes in, arrays out: usable in Node and in the browser.
 */
export class DataError extends Error {}

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** The most data one IDX file may hold (Fashion-MNIST's largest: 47 MB). */
export const MAX_IDX_BYTES = 1 << 30;

/** The dimensions and total length an IDX header gives, or undefined while `bytes` is shorter than the header. */
function idxHeader(bytes: Uint8Array, file: string): { dims: number[]; header: number; size: number } | undefined {
  if (bytes.length < 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = (magic >> 8) & 0xff;
  const rank = magic & 0xff;
  if (magic >>> 16 !== 0 || rank < 1 || rank > 4) throw new DataError(`${file}: not an IDX file (magic number 0x${magic.toString(16).padStart(8, '0')})`);
  if (type !== 0x08) throw new DataError(`${file}: IDX data of type 0x${type.toString(16)} is not supported (expected unsigned bytes, 0x08)`);
  const header = 4 + 4 * rank;
  if (bytes.length < header) return undefined;
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  if (size > MAX_IDX_BYTES) throw new DataError(`${file}: the header says ${dims.join('×')} = ${size} bytes of data; at most ${MAX_IDX_BYTES} are read`);
  return { dims, header, size };
}

export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const head = idxHeader(bytes, file);
  if (!head) throw new DataError(bytes.length < 4 ? `${file}: too short to be an IDX file (${bytes.length} bytes)` : `${file}: truncated IDX header`);
  const { dims, header, size } = head;
  if (bytes.length - header < size) {
    throw new DataError(`${file}: truncated: the header says ${dims.join('×')} = ${size} bytes of data, the file has ${bytes.length - header}`);
  }
  return { dims, data: bytes.subarray(header, header + size) };
}

const isGzip = (bytes: Uint8Array) => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/**
 * An IDX file, gzipped or raw. A gzipped one is decompressed as a stream
 * that stops where its header says the data ends, so a gzip bomb costs at
 * most what the header claims (itself capped at MAX_IDX_BYTES).
 */
export async function readIdx(bytes: Uint8Array, file: string): Promise<IdxArray> {
  if (!isGzip(bytes)) return parseIdx(bytes, file);
  const reader = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  let wanted: number | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.length;
      if (wanted === undefined) {
        const head = idxHeader(concat(chunks, Math.min(length, 4 + 4 * 4)), file);
        if (head) wanted = head.header + head.size;
      }
      if (wanted !== undefined && length >= wanted) break;
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${file}: corrupt gzip data (${(e as Error).message})`);
  } finally {
    void reader.cancel().catch(() => {});
  }
  return parseIdx(concat(chunks, Math.min(length, wanted ?? length)), file);
}

/** The first `n` bytes of a list of chunks, as one array. */
function concat(chunks: Uint8Array[], n: number): Uint8Array {
  if (chunks.length && chunks[0].length >= n) return chunks[0].subarray(0, n);
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    if (at >= n) break;
    const part = c.subarray(0, n - at);
    out.set(part, at);
    at += part.length;
  }
  return out;
}
