/**
 * Structured log lines with a level, one per line, to stderr (or any sink).
 * text:  2026-11-23T19:40:00.123Z INFO  collector Collected: requests 2, events 4 (new 4), 3 ms
 * json:  {"time":"…","level":"info","component":"collector","msg":"Collected: requests 2, events 4 (new 4), 3 ms"}
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(component: string): Logger;
}

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  component?: string;
  sink?: (line: string) => void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(options: LoggerOptions): Logger {
  const sink = options.sink ?? ((line: string) => process.stderr.write(line + '\n'));
  const min = RANK[options.level];
  const component = options.component ?? 'inflow';
  const write = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[level] < min) return;
    sink(options.format === 'json' ? jsonLine(level, component, msg, fields) : textLine(level, component, msg, fields));
  };
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (name) => createLogger({ ...options, sink, component: name }),
  };
}

function textLine(level: LogLevel, component: string, msg: string, fields?: LogFields): string {
  let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${component} ${msg}`;
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      const text = String(value);
      line += ` ${key}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
    }
  }
  return line;
}

function jsonLine(level: LogLevel, component: string, msg: string, fields?: LogFields): string {
  return JSON.stringify({ time: new Date().toISOString(), level, component, msg, ...fields });
}

/** A logger that drops everything: for tests and library callers that bring none. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
