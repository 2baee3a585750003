import { EventEmitter } from 'node:events';
import type { Logger } from './logger.js';

type EventMap = Record<string, unknown[]>;

/**
 * EventEmitter with a typed event map. `safeEmit` never lets a listener's exception
 * escape into the emitter (mediasoup's EnhancedEventEmitter does the same): it is logged,
 * with the emitter's logger context and the event, and the other listeners still run.
 */
export class TypedEmitter<E extends EventMap> {
  private readonly emitter = new EventEmitter();

  constructor(private readonly listenerLogger: Logger) {}

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  protected safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    for (const listener of this.emitter.listeners(event)) {
      try {
        (listener as (...a: E[K]) => void)(...args);
      } catch (error) {
        this.listenerLogger.error({ err: error, event }, 'an event listener threw');
      }
    }
  }

  protected removeAllListeners(): void {
    this.emitter.removeAllListeners();
  }
}
