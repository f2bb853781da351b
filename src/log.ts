/** Structured logging with pino: one root logger, a child per concern (`logger.child({ module })`). */
import { destination, pino, type Logger as PinoLogger } from 'pino';
import type { LogLevel } from './config.js';

export type Logger = PinoLogger;

/**
 * Creates the root logger; writes JSON lines to stderr so stdout stays free for command output.
 * @param level - minimum level; `silent` in tests
 */
export function createLogger(level: LogLevel = 'info'): Logger {
  return pino({ level, base: { app: 'cdg' } }, destination(2));
}
