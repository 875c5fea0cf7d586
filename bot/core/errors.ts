/** Domain errors carry a stable `code`; the HTTP and chat surfaces map codes to answers. */
export abstract class SchedError extends Error {
  abstract readonly code: string;
}

/** A conditional write lost: someone else changed the item first (or it already exists). */
export class ConflictError extends SchedError {
  readonly code = 'conflict';
}

export class NotFoundError extends SchedError {
  readonly code = 'not_found';
}

/** User input that cannot be accepted; `problems` lists every reason at once. */
export class ValidationError extends SchedError {
  readonly code = 'invalid';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** Turns anything thrown into an Error, once, at a boundary. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown));
}
