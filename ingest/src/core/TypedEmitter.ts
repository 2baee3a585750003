import { EventEmitter } from 'node:events';

type EventMap = Record<string, unknown[]>;

/**
 * EventEmitter with a typed event map. `safeEmit` never lets a listener's exception
 * escape into the emitter (mediasoup's EnhancedEventEmitter does the same).
 */
export class TypedEmitter<E extends EventMap> {
  private readonly emitter = new EventEmitter();

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
        this.emitter.emit('listenerError', error, event);
      }
    }
  }

  protected removeAllListeners(): void {
    this.emitter.removeAllListeners();
  }
}
