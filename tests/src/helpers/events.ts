import { StagecastClientError } from '@stagecast/sdk';

/** Resolves with the arguments of the next matching event; subscribe before acting. */
export function nextEvent<A extends unknown[]>(
  on: (listener: (...args: A) => void) => () => void,
  match: (...args: A) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<A> {
  // Created here so that a timeout points at the line that waited.
  const timeout = new Error('event did not arrive');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(timeout);
    }, timeoutMs);
    const off = on((...args) => {
      if (!match(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    });
  });
}

/** The refusal a request ends with; fails when it succeeds or throws something else. */
export async function refusal(promise: Promise<unknown>): Promise<StagecastClientError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StagecastClientError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}
