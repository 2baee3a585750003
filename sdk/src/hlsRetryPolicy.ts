import type { LoaderConfig, LoadPolicy, RetryConfig } from 'hls.js';

/*
 * How hls.js retries one request before it reports a fatal error. Its defaults do not retry
 * a 404 or an aborted request (status 0 while `navigator.onLine`), yet a live origin returns
 * both for a few seconds when it restarts or the network drops: retry every failure, with a
 * backoff, and leave the longer outages to HlsPlayer's own bounded recovery.
 */

const retryAll: RetryConfig['shouldRetry'] = (config, retryCount) =>
  !!config && retryCount < config.maxNumRetry;

function policy(timeToFirstByteMs: number, loadMs: number, errorRetries: number): LoadPolicy {
  const loader: LoaderConfig = {
    maxTimeToFirstByteMs: timeToFirstByteMs,
    maxLoadTimeMs: loadMs,
    timeoutRetry: { maxNumRetry: 2, retryDelayMs: 0, maxRetryDelayMs: 0 },
    errorRetry: {
      maxNumRetry: errorRetries,
      retryDelayMs: 500,
      maxRetryDelayMs: 4000,
      backoff: 'exponential',
      shouldRetry: retryAll,
    },
  };
  return { default: loader };
}

/** Load policies for the hls.js config: about 10 s of retries per request. */
export const HLS_LOAD_POLICIES = {
  manifestLoadPolicy: policy(8000, 15000, 4),
  playlistLoadPolicy: policy(8000, 15000, 4),
  fragLoadPolicy: policy(8000, 60000, 4),
} as const;
