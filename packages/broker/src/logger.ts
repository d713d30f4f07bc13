/** A small leveled logger writing Kafka-style lines to stderr: `[time] LEVEL message (component)`. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  child(component: string): Logger;
}

export function createLogger(
  level: LogLevel = 'info',
  component = 'broker',
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Logger {
  const min = ORDER[level];
  const at = (lvl: LogLevel) => (message: string) => {
    if (ORDER[lvl] < min) return;
    const time = new Date().toISOString().replace('T', ' ').replace('Z', '');
    write(`[${time}] ${lvl.toUpperCase()} ${message} (${component})`);
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (c) => createLogger(level, c, write),
  };
}
