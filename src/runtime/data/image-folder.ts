/**
 * A folder of images as a dataset, decoded and resized in the browser
 * (createImageBitmap + OffscreenCanvas: works in a Web Worker). Each image is
 * centre-cropped to a square and resized to size×size; one channel is the
 * luma (ITU-R BT.601). Labels, used only by the kNN evaluation, are the first
 * sub-folder under the chosen one ("pets/cat/1.jpg" → "cat"); images directly
 * in it get label 0.
 */
import type { Dataset } from './dataset';
import { DataError } from './idx';

export interface ImageFile { path: string; bytes: Uint8Array }

const IMAGE = /\.(png|jpe?g|gif|webp|bmp|avif)$/i;

export async function decodeImageFolder(files: readonly ImageFile[], size: number, channels: 1 | 3): Promise<Dataset & { classNames: string[]; skipped: string[] }> {
  const images = files.filter((f) => IMAGE.test(f.path));
  if (images.length === 0) throw new DataError(`image folder: no images among ${files.length} files (looked for ${IMAGE.source})`);
  const classOf = (path: string) => { const parts = path.split('/'); return parts.length > 2 ? parts[1] : ''; };
  const classNames = [...new Set(images.map((f) => classOf(f.path)))].sort();
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new DataError('image folder: no 2D canvas to decode images with');
  const pixels = new Uint8Array(images.length * size * size * channels);
  const labels = new Uint8Array(images.length);
  const skipped: string[] = [];
  let n = 0;
  for (const file of images) {
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(new Blob([file.bytes as BlobPart]));
    } catch {
      skipped.push(file.path);
      continue;
    }
    const side = Math.min(bitmap.width, bitmap.height);
    ctx.clearRect(0, 0, size, size);
    ctx.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, size, size);
    bitmap.close();
    const rgba = ctx.getImageData(0, 0, size, size).data;
    const out = n * size * size * channels;
    for (let p = 0; p < size * size; p++) {
      const [r, g, b] = [rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2]];
      if (channels === 1) pixels[out + p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      else pixels.set([r, g, b], out + 3 * p);
    }
    labels[n++] = Math.min(255, classNames.indexOf(classOf(file.path)));
  }
  if (n === 0) throw new DataError(`image folder: none of the ${images.length} images could be decoded`);
  const split = { images: pixels.subarray(0, n * size * size * channels), labels: labels.subarray(0, n), count: n, height: size, width: size, channels };
  return { name: `image folder (${classNames.length} classes)`, train: split, test: split, classes: Math.max(classNames.length, 1), classNames, skipped };
}
