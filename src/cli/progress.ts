/** A one-line progress bar with ETA on a terminal (stderr, so stdout stays data). */
export class ProgressBar {
  private readonly started = Date.now();
  private startStep: number | undefined;

  constructor(private readonly total: number, private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(step: number, detail: string): void {
    this.startStep ??= step - 1;
    const width = 24;
    const filled = Math.round((step / this.total) * width);
    const done = step - this.startStep;
    const perStep = (Date.now() - this.started) / Math.max(done, 1);
    const eta = formatDuration(((this.total - step) * perStep) / 1000);
    this.stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${step}/${this.total} ${detail} ETA ${eta}\x1b[K`);
  }

  finish(): void {
    this.stream.write('\n');
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
