/**
 * Each request's logger, made only when the request logs something: Fastify makes a child of the
 * server's logger for every request (its id bound), which with pino's redaction and serializers
 * costs about a microsecond. At LOG_LEVEL=warn or above (the benchmarks run so) a request that goes
 * well logs nothing, and then no child is made; at info, the default, Fastify logs every request's
 * two lines and the child is made for them as before. The child here holds the bindings and makes
 * the real one at the first line at an enabled level; lines below the level cost a level check.
 */
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>;

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];

class LazyChild {
  private real: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean },
    private readonly bindings: Bindings,
  ) {}

  private logger(): FastifyBaseLogger {
    return (this.real ??= this.parent.child(this.bindings));
  }

  private line(level: Level, args: unknown[]): void {
    if (this.real === undefined && this.parent.isLevelEnabled?.(level) === false) return;
    const logger = this.logger();
    Reflect.apply(logger[level], logger, args);
  }

  get level(): string {
    return (this.real ?? this.parent).level;
  }

  set level(level: string) {
    this.logger().level = level;
  }

  fatal(...a: unknown[]): void {
    this.line('fatal', a);
  }
  error(...a: unknown[]): void {
    this.line('error', a);
  }
  warn(...a: unknown[]): void {
    this.line('warn', a);
  }
  info(...a: unknown[]): void {
    this.line('info', a);
  }
  debug(...a: unknown[]): void {
    this.line('debug', a);
  }
  trace(...a: unknown[]): void {
    this.line('trace', a);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.logger().child(bindings, options);
  }
}

/** Fastify's childLoggerFactory: lazy when the route sets no level or serializers of its own. */
export const lazyChildLogger: ChildLoggerFactory = function (logger, bindings, options) {
  if (Object.keys(options).length > 0) return logger.child(bindings, options);
  return new LazyChild(logger, bindings);
};
