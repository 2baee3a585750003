import { createSubscriber } from 'svelte/reactivity';

/**
 * The current time as reactive state that only ticks while something on screen reads it
 * (elapsed live time, hand waiting times, countdowns), so an idle page runs no timer.
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

/** Whole seconds from now until `until` (ms since the epoch), never negative. */
export function secondsUntil(until: number, now: number): number {
  return Math.max(0, Math.ceil((until - now) / 1000));
}
