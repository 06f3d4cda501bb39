// georange's one error type on the JavaScript side. Every failure the package reports is a
// `GeoRangeError` with a stable `code` (the same words as the Rust `Error::code` and the Python
// package's errors) and, for a bad coordinate, the caller's `row`: branch on those, never on
// the message.

/** The codes the package's errors carry. */
export const ERROR_CODES = Object.freeze([
  'io', 'bad_file', 'pair_mismatch', 'bad_coordinate', 'invalid_argument', 'backend',
  'device_lost', 'unavailable', 'disposed', 'integrity', 'network', 'worker_failed', 'aborted',
]);

export class GeoRangeError extends Error {
  /**
   * @param {string} message one line
   * @param {string} code one of ERROR_CODES
   * @param {{row?: number, column?: string, cause?: unknown}} [details]
   */
  constructor(message, code, { row, column, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'GeoRangeError';
    this.code = code;
    if (row !== undefined) this.row = row;
    if (column !== undefined) this.column = column;
  }
}

/**
 * `e` as a GeoRangeError. An error from the wasm module or a worker already carries `code`
 * (and `row`: the core is told where each batch starts, so it names the caller's row);
 * anything else (a trap, a bug) is a `backend` error.
 */
export function asGeoRangeError(e) {
  if (e instanceof GeoRangeError) return e;
  const code = ERROR_CODES.includes(e?.code) ? e.code : 'backend';
  const row = Number.isInteger(e?.row) ? e.row : undefined;
  return new GeoRangeError(String(e?.message ?? e), code, { row, cause: e });
}

/** An `invalid_argument` error about the caller's options. */
export const invalid = (message) => new GeoRangeError(message, 'invalid_argument');

/** A `disposed` error: the model was disposed before or during a call. */
export const disposed = (during = '') => new GeoRangeError(`GeoRange: the model was disposed${during}`, 'disposed');

/** An `aborted` error: the caller's `AbortSignal` fired (its reason is the cause). */
export const aborted = (what, signal) => new GeoRangeError(`${what}: aborted`, 'aborted', { cause: signal?.reason });

/** An error as a worker posts it: plain fields that survive structured cloning. */
export const toMessage = (e) => ({ message: String(e?.message ?? e), code: e?.code, row: e?.row });
