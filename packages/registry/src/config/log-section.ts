// Reads `log` (and distribution's deprecated top-level `loglevel`) into LogConfig.
import { DEFAULT_LOG_FORMATTER, DEFAULT_LOG_LEVEL } from './config-defaults.js';
import type { ConfigSection } from './config-section.js';
import { toPlain } from './config-tree.js';
import type { LogConfig, LogFormatter, LogLevel } from './registry-config.js';

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug'];
// Spellings logrus (distribution's logger) also understands.
const LEVEL_ALIASES: Readonly<Record<string, LogLevel>> = { warning: 'warn', panic: 'fatal' };
const FORMATTERS: readonly LogFormatter[] = ['json', 'text', 'logstash'];

export function readLog(root: ConfigSection): LogConfig {
  const log = root.section('log');
  let level = log.choice('level', LEVELS, LEVEL_ALIASES);
  const legacy = root.choice('loglevel', LEVELS, LEVEL_ALIASES);
  if (legacy !== undefined) {
    root.warn(
      level === undefined
        ? 'configuration key "loglevel" is deprecated; use "log.level"'
        : 'configuration key "loglevel" is deprecated and ignored because "log.level" is set',
    );
    level ??= legacy;
  }

  const fieldsNode = log.child('fields');
  if (fieldsNode !== undefined && fieldsNode.kind !== 'map') log.fail('fields', 'expected a mapping of field names to values');
  const fields = fieldsNode === undefined ? {} : (toPlain(fieldsNode) as Record<string, unknown>);

  return {
    level: level ?? DEFAULT_LOG_LEVEL,
    formatter: log.choice('formatter', FORMATTERS) ?? DEFAULT_LOG_FORMATTER,
    fields,
    accessLog: { disabled: log.section('accesslog').bool('disabled') ?? false },
  };
}
