/**
 * safetensors (Hugging Face): an 8-byte little-endian header length, a JSON
 * header {name: {dtype, shape, data_offsets}, "__metadata__": {…}}, then the
 * raw little-endian data. Bytes in, bytes out: usable in Node and the browser.
 */
export interface NamedArray {
  data: Float32Array;
  shape: number[];
}

export class SafetensorsError extends Error {}

export function encodeSafetensors(tensors: Record<string, NamedArray>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const { data, shape } = tensors[name];
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new SafetensorsError(`${name}: shape ${shape.join('×')} holds ${size} values, got ${data.length}`);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // align the data to 8 bytes
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const name of names) {
    const { data } = tensors[name];
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, file = 'safetensors'): { tensors: Record<string, NamedArray>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new SafetensorsError(`${file}: too short to be a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = Number(view.getBigUint64(0, true));
  if (length > bytes.length - 8 || length > 100_000_000) throw new SafetensorsError(`${file}: header length ${length} exceeds the file`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  } catch {
    throw new SafetensorsError(`${file}: the header is not JSON`);
  }
  const base = 8 + length;
  const tensors: Record<string, NamedArray> = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: [begin, end] } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (dtype !== 'F32') throw new SafetensorsError(`${file}: ${name} has dtype ${dtype}; only F32 is supported`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== size * 4 || base + end > bytes.length) throw new SafetensorsError(`${file}: ${name} has bad data offsets`);
    const copy = bytes.slice(base + begin, base + end); // aligned copy
    tensors[name] = { data: new Float32Array(copy.buffer, 0, size), shape };
  }
  return { tensors, metadata };
}
