export { CodedError, isErrnoError } from './coded-error.js';
export { createLogger, normalizeLevel, type Logger, type LoggerOptions } from './logger.js';
