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

export async function maybeGunzip(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new DataError(`${file}: corrupt gzip data (${(e as Error).message})`);
  }
}

export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) throw new DataError(`${file}: too short to be an IDX file (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = (magic >> 8) & 0xff;
  const rank = magic & 0xff;
  if (magic >>> 16 !== 0 || rank < 1 || rank > 4) throw new DataError(`${file}: not an IDX file (magic number 0x${magic.toString(16).padStart(8, '0')})`);
  if (type !== 0x08) throw new DataError(`${file}: IDX data of type 0x${type.toString(16)} is not supported (expected unsigned bytes, 0x08)`);
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw new DataError(`${file}: truncated IDX header`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - header < size) {
    throw new DataError(`${file}: truncated: the header says ${dims.join('×')} = ${size} bytes of data, the file has ${bytes.length - header}`);
  }
  return { dims, data: bytes.subarray(header, header + size) };
}
