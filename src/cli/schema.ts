import { nodeKinds, documentJsonSchema } from '../nodes';
import { CliError, type Io } from './io';

export function schemaCommand(args: string[], io: Io): number {
  if (args.length) throw new CliError(`schema takes no arguments, got "${args[0]}"`);
  io.out(JSON.stringify(documentJsonSchema(nodeKinds), null, 2));
  return 0;
}
