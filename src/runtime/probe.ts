/**
 * The probe set on which the effective rank is measured (docs/semantics.md,
 * "Metrics and the collapse rule"): never the training batch, whose B samples
 * cap the rank at B − 1 (a healthy run at batch 16 would read as collapsed).
 *
 * The images: the first PROBE_SIZE (512) of the dataset's test split — the
 * images the kNN monitor's queries start with, held out from training. Where
 * a dataset has no held-out split (the browser's embedded Fashion-MNIST, its
 * 10k test split, which it also trains on; an image folder) its one split is
 * both, and the probe is still its first 512; a smaller set is probed whole.
 * Fashion-MNIST's full and embedded sets share the same t10k file, so the CLI,
 * the browser and the exported script probe the same 512 images.
 *
 * One view, un-augmented, prepared as the kNN features are: bytes / 255,
 * resized bilinearly to the encoder's input where the sizes differ; through
 * the online encoder and projector in eval mode (BatchNorm's running
 * statistics, left unchanged). No tfjs here: the exporter reads PROBE_SIZE.
 */
import { head, type Dataset, type ImageSet } from './data/dataset';

export const PROBE_SIZE = 512;

export const probeSet = (dataset: Dataset): ImageSet => head(dataset.test, PROBE_SIZE);
