import { resolve } from 'node:path';
import { DEFAULT_RESTREAM_TIMINGS, type RestreamTimings } from '../restream/RestreamOutput.js';

const seconds = (raw: string | undefined, fallback: number): number => {
  const n = Number(raw);
  return raw !== undefined && Number.isFinite(n) && n > 0 ? n * 1000 : fallback;
};

/** Transcoder settings, from the environment (see README). */
export interface TranscoderConfig {
  /** `REDIS_URL`, default `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** `STAGECAST_DATA_DIR`, default `./data`: HLS in `hls/<roomId>`, recordings in `vod/`. */
  dataDir: string;
  /** `STAGECAST_TRANSCODER_IP`, default `127.0.0.1`: where ingest sends RTP. */
  host: string;
  /** `STAGECAST_TRANSCODER_CONCURRENCY`, default 2: broadcasts one process composites at once. */
  concurrency: number;
  /** `LOG_LEVEL`, default `info`. */
  logLevel: string;
  /**
   * `STAGECAST_EMPTY_STAGE_TIMEOUT_S`, default 300: a broadcast with nobody on stage (or no
   * ingest holding its room) for this long ends by itself, recording included.
   */
  emptyStageTimeoutMs: number;
  /** `FFMPEG_PATH`, default `ffmpeg` from the PATH. */
  ffmpegPath?: string;
  /** Restream retries and time-outs (see `RestreamTimings`). */
  restream: RestreamTimings;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): TranscoderConfig {
  const concurrency = Number(env.STAGECAST_TRANSCODER_CONCURRENCY ?? 2);
  const emptyStageS = Number(env.STAGECAST_EMPTY_STAGE_TIMEOUT_S ?? 300);
  return {
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    dataDir: resolve(env.STAGECAST_DATA_DIR ?? './data'),
    host: env.STAGECAST_TRANSCODER_IP ?? '127.0.0.1',
    concurrency: Number.isInteger(concurrency) && concurrency > 0 ? concurrency : 2,
    logLevel: env.LOG_LEVEL ?? 'info',
    emptyStageTimeoutMs: (Number.isFinite(emptyStageS) && emptyStageS > 0 ? emptyStageS : 300) * 1000,
    ...(env.FFMPEG_PATH ? { ffmpegPath: env.FFMPEG_PATH } : {}),
    restream: {
      ...DEFAULT_RESTREAM_TIMINGS,
      retryMaxMs: seconds(env.STAGECAST_RESTREAM_RETRY_MAX_S, DEFAULT_RESTREAM_TIMINGS.retryMaxMs),
      connectTimeoutMs: seconds(
        env.STAGECAST_RESTREAM_CONNECT_TIMEOUT_S,
        DEFAULT_RESTREAM_TIMINGS.connectTimeoutMs,
      ),
    },
  };
}
