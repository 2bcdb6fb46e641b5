/**
 * Logger port (DESIGN §4.6): structured, injected per component with `child({component})`, never global.
 * pino's Logger satisfies it; tests pass `captureLogger()` or `nullLogger`.
 */
export interface Logger {
  child(bindings: Record<string, unknown>): Logger;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  bindings: Record<string, unknown>;
  obj: object | undefined;
  msg: string | undefined;
}

/** A logger that keeps records in memory, for tests that assert on what was logged. */
export function captureLogger(records: LogRecord[] = [], bindings: Record<string, unknown> = {}): Logger & { records: LogRecord[] } {
  const at =
    (level: LogRecord['level']) =>
    (obj: object | string, msg?: string): void => {
      if (typeof obj === 'string') records.push({ level, bindings, obj: undefined, msg: obj });
      else records.push({ level, bindings, obj, msg });
    };
  return {
    records,
    child: (b) => captureLogger(records, { ...bindings, ...b }),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}

export const nullLogger: Logger = {
  child: () => nullLogger,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
