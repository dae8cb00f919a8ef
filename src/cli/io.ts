import { terminalSafe } from './terminal';

/** Where the CLI writes, so tests can run commands in-process. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** stdout and stderr, every line through terminalSafe: the one point where text reaches the terminal. */
export const processIo: Io = {
  out: (line) => process.stdout.write(`${terminalSafe(line)}\n`),
  err: (line) => process.stderr.write(`${terminalSafe(line)}\n`),
};

/** A user-facing failure: one line, an exit code, no stack. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}
