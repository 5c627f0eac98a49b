// The logging interface dbkit writes to; pino (and most structured loggers) satisfy it as they are.

/** One log method: pino's `(object, message)` calling convention. */
export type LogFn = (details: Record<string, unknown>, message: string) => void;

/**
 * The logger dbkit accepts. A pino logger fits as is.
 *
 * @example
 * ```ts
 * import pino from 'pino'
 * const logger: Logger = pino()
 * ```
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const noop: LogFn = () => undefined;

/**
 * A logger that drops everything: the default, so a library never writes to stdout unasked.
 *
 * @example
 * ```ts
 * const logger = options.logger ?? silentLogger
 * ```
 */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
