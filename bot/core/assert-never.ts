/** The `default` of an exhaustive `switch`: a compile error when a case is missing, a throw if one ever arrives. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
