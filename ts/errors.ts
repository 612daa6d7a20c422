/**
 * Typed errors. Every error diffrg raises on purpose is a `DiffrgError` with a stable `code`;
 * subclasses let callers branch with `instanceof`. Messages say what was wrong and where
 * (file, line, field).
 */

export type ErrorCode =
  | 'ERR_INVALID_INPUT'
  | 'ERR_PARSE'
  | 'ERR_NOT_FINITE'
  | 'ERR_TOO_LARGE'
  | 'ERR_ABORTED'
  | 'ERR_NO_CONVERGENCE'
  | 'ERR_IO'
  | 'ERR_INTERNAL';

export class DiffrgError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Arguments or data violate the documented contract (shapes, ranges, ids). */
export class InvalidInputError extends DiffrgError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_INPUT', message, options);
  }
}

/** A file could not be parsed; the message names the file and line (or byte offset). */
export class ParseError extends DiffrgError {
  readonly file?: string;
  readonly line?: number;
  constructor(message: string, where: { file?: string; line?: number } = {}, options?: { cause?: unknown }) {
    const loc = where.file ? `${where.file}${where.line !== undefined ? `:${where.line}` : ''}: ` : '';
    super('ERR_PARSE', loc + message, options);
    this.file = where.file;
    this.line = where.line;
  }
}

/** NaN or infinite values where finite numbers are required. */
export class NotFiniteError extends DiffrgError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NOT_FINITE', message, options);
  }
}

/** The problem needs more memory than allowed; the message suggests an alternative. */
export class TooLargeError extends DiffrgError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TOO_LARGE', message, options);
  }
}

/** The operation was cancelled through its AbortSignal. `name` is 'AbortError' as in the DOM. */
export class AbortError extends DiffrgError {
  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super('ERR_ABORTED', message, options);
    this.name = 'AbortError';
  }
}

/** An iterative method stopped before reaching its tolerance. */
export class NoConvergenceError extends DiffrgError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NO_CONVERGENCE', message, options);
  }
}

/** A file could not be read or written. */
export class IoError extends DiffrgError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_IO', message, options);
  }
}

/** A bug in diffrg (including a Rust panic caught at the boundary). Please report it. */
export class InternalError extends DiffrgError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INTERNAL', message, options);
  }
}

const CTORS: Record<ErrorCode, (m: string, cause: unknown) => DiffrgError> = {
  ERR_INVALID_INPUT: (m, cause) => new InvalidInputError(m, { cause }),
  ERR_PARSE: (m, cause) => new ParseError(m, {}, { cause }),
  ERR_NOT_FINITE: (m, cause) => new NotFiniteError(m, { cause }),
  ERR_TOO_LARGE: (m, cause) => new TooLargeError(m, { cause }),
  ERR_ABORTED: (m, cause) => new AbortError(m, { cause }),
  ERR_NO_CONVERGENCE: (m, cause) => new NoConvergenceError(m, { cause }),
  ERR_IO: (m, cause) => new IoError(m, { cause }),
  ERR_INTERNAL: (m, cause) => new InternalError(m, { cause }),
};

/**
 * Converts an error thrown by the native addon (message `"ERR_CODE|text"`) into the matching
 * typed error. Anything else is returned unchanged.
 */
export function fromNative(err: unknown): unknown {
  if (err instanceof DiffrgError || !(err instanceof Error)) return err;
  const m = /^(ERR_[A-Z_]+)\|([\s\S]*)$/.exec(err.message);
  if (!m) return err;
  const ctor = CTORS[m[1] as ErrorCode];
  return ctor ? ctor(m[2], err) : new InternalError(m[2], { cause: err });
}
