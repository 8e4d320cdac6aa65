/**
 * Structured logs: one JSON object per line, the shape CloudWatch Logs Insights queries well. The sink is
 * injectable so tests can read what was logged and local mode can stay quiet.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogSink = (line: string) => void;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line. */
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  readonly service: string;
  /** @default `LOG_LEVEL` from the environment, else `info` */
  readonly level?: LogLevel;
  /** @default a line to stdout */
  readonly sink?: LogSink;
  readonly now?: () => number;
}

export function createLogger(opts: LoggerOptions, base: Record<string, unknown> = {}): Logger {
  const envLevel = process.env.LOG_LEVEL?.toLowerCase();
  const level: LogLevel = opts.level ?? (envLevel && envLevel in ORDER ? (envLevel as LogLevel) : 'info');
  const sink = opts.sink ?? ((line: string) => process.stdout.write(line + '\n'));
  const now = opts.now ?? Date.now;
  const emit = (l: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[l] < ORDER[level]) return;
    sink(JSON.stringify({ level: l, time: new Date(now()).toISOString(), service: opts.service, message, ...base, ...fields }, errorReplacer));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...opts, level }, { ...base, ...fields }),
  };
}

/** Errors log as their name and message only: stack traces and SDK request details stay out of logs. */
function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger({ service: 'silent', sink: () => undefined });
