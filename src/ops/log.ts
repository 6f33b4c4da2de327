import type { LogLevel } from '../config.ts';

// Logs say what happened, never what anyone wrote: an event name plus ids, counts and error
// kinds. The field type admits only scalars so that whole objects (updates, messages, rows)
// cannot be passed in by accident, and errors are reduced to their kind and code location.

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** A JSON-lines logger writing to `sink` (stderr by default). */
export function createLogger(level: LogLevel, sink: (line: string) => void = defaultSink): Logger {
  const at =
    (lvl: Exclude<LogLevel, 'silent'>) =>
    (event: string, fields: LogFields = {}) => {
      if (ORDER[lvl] < ORDER[level]) return;
      sink(JSON.stringify({ t: new Date().toISOString(), level: lvl, event, ...fields }));
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function defaultSink(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * The parts of an error that are safe to log: its class, its code, and where it was thrown.
 * Error messages are left out on purpose: libraries put request bodies and values in them.
 */
export function errorFields(error: unknown): LogFields {
  if (!(error instanceof Error)) return { errorKind: typeof error };
  const code = (error as { code?: unknown }).code;
  const frame = error.stack
    ?.split('\n')
    .slice(1)
    .find((l) => l.includes('/src/') || l.includes('/adapters/'))
    ?.trim()
    .replace(/^at\s+/, '')
    .replace(/^.*\((.*)\)$/, '$1')
    .replace(/^.*\/(src|adapters)\//, '$1/');
  return {
    errorKind: error.name,
    errorCode: typeof code === 'string' || typeof code === 'number' ? code : undefined,
    at: frame,
  };
}
