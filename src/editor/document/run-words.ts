/**
 * The Train strip's words, as pure functions of the run's state (tested in
 * Node): how much of the dataset a run sees, and why a button is disabled
 * (every disabled button says why on hover).
 */
import type { RunStatus } from '../stores/training';

/** Two significant digits, without an exponent or trailing zeros: 0.48, 3.1, 15. */
const figure = (x: number) => String(Number(x.toPrecision(2)));

/** A run's workload against a dataset of `datasetSize` images: epochs from one on, else the images and the share of one epoch. */
export function workloadText(steps: number, batchSize: number, datasetSize: number): string {
  const images = steps * batchSize;
  const epochs = images / datasetSize;
  if (epochs >= 1) return `≈ ${epochs.toFixed(1)} epochs`;
  return `${images.toLocaleString('en-US')} image${images === 1 ? '' : 's'}, ${figure(100 * epochs)} % of an epoch`;
}

interface RunState { status: RunStatus; steps: number; probeRunning: boolean }

/** Why Evaluate (the linear probe of an ended run) cannot run now; undefined when it can. */
export function evaluateRefusal({ status, steps, probeRunning }: RunState): string | undefined {
  if (probeRunning) return 'The linear probe is running';
  switch (status) {
    case 'idle': return 'Train first: Evaluate probes the encoder of a run that has ended';
    case 'starting':
    case 'running':
    case 'paused': return 'Evaluate after the run ends (Stop it, or let it complete)';
    case 'completed':
    case 'stopped':
    case 'failed': return steps > 0 ? undefined : 'The run ended before its first step: no encoder to probe';
  }
}

/** Pause's tooltip: what it does, or why it cannot. */
export function pauseTitle(status: RunStatus): string {
  switch (status) {
    case 'running': return 'Pause the run after its current step (Resume continues it)';
    case 'paused': return 'Resume the paused run';
    case 'starting': return 'The run is starting: Pause once it runs';
    case 'idle':
    case 'completed':
    case 'stopped':
    case 'failed': return 'No run to pause: Train starts one';
  }
}

/** Stop's tooltip: what it does, or why it cannot. */
export const stopTitle = (active: boolean) => (active
  ? 'Stop the run: its dashboard and encoder stay (Evaluate probes it)'
  : 'No run to stop: Train starts one');
