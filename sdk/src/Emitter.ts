type EventMap = Record<string, unknown[]>;
type Listener<A extends unknown[]> = (...args: A) => void;
// Listeners are stored untyped; `on` and `emit` keep the event map's types at the edges.
type AnyListener = (...args: unknown[]) => void;

/** A tiny typed event emitter that works in browsers and Node. Listener errors are isolated. */
export class Emitter<E extends EventMap> {
  private readonly listeners = new Map<keyof E, Set<AnyListener>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as AnyListener);
    return () => this.off(event, listener);
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const off = this.on(event, (...args: E[K]) => {
      off();
      listener(...args);
    });
    return off;
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    this.listeners.get(event)?.delete(listener as AnyListener);
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        listener(...args);
      } catch (error) {
        // A faulty listener must not break the SDK's own state updates.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  protected removeAllListeners(): void {
    this.listeners.clear();
  }
}
