/** The default of an exhaustive switch: a new case that is not handled fails to type-check here. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}
