/** The Train strip's words: a tiny run's workload is a figure that means something; a disabled button says why. */
import { describe, expect, it } from 'vitest';
import { evaluateRefusal, pauseTitle, stopTitle, workloadText } from '../../src/editor/document/run-words';

describe('the Train strip\'s words', () => {
  it('a run under one epoch reads as images and a share of one epoch (two significant digits)', () => {
    expect(workloadText(3, 16, 10_000)).toBe('48 images, 0.48 % of an epoch');
    expect(workloadText(1, 1, 10_000)).toBe('1 image, 0.01 % of an epoch');
    expect(workloadText(50, 128, 10_000)).toBe('6,400 images, 64 % of an epoch');
    expect(workloadText(600, 256, 10_000)).toBe('≈ 15.4 epochs');
    expect(workloadText(100, 100, 10_000)).toBe('≈ 1.0 epochs');
  });

  it('Evaluate says why it is disabled, and nothing when it is not', () => {
    expect(evaluateRefusal({ status: 'idle', steps: 0, probeRunning: false })).toMatch(/^Train first/);
    expect(evaluateRefusal({ status: 'running', steps: 5, probeRunning: false })).toMatch(/after the run ends/);
    expect(evaluateRefusal({ status: 'stopped', steps: 0, probeRunning: false })).toMatch(/before its first step/);
    expect(evaluateRefusal({ status: 'completed', steps: 3, probeRunning: true })).toBe('The linear probe is running');
    expect(evaluateRefusal({ status: 'completed', steps: 3, probeRunning: false })).toBe(undefined);
  });

  it('Pause and Stop say what they do or why not', () => {
    expect(pauseTitle('running')).toMatch(/^Pause the run/);
    expect(pauseTitle('idle')).toMatch(/^No run to pause/);
    expect(stopTitle(true)).toMatch(/^Stop the run/);
    expect(stopTitle(false)).toMatch(/^No run to stop/);
  });
});
