import { createSubscriber } from 'svelte/reactivity';

/**
 * The current time as reactive state that only ticks while something on screen reads it
 * (elapsed live time, hand waiting times), so an idle page runs no timer.
 */
export class Clock {
  readonly #subscribe: () => void;

  constructor(intervalMs = 1000) {
    this.#subscribe = createSubscriber((update) => {
      const timer = setInterval(update, intervalMs);
      return () => clearInterval(timer);
    });
  }

  get now(): number {
    this.#subscribe();
    return Date.now();
  }
}
