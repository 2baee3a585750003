// A live broadcast for the compositor benchmarks: one ingest, one transcoder, bots on stage
// (each looping the pre-encoded bot clip: no encoding), and ways to read what is on air.
import { rmSync } from 'node:fs';
import { Queue } from 'bullmq';
import { Bot } from '../tests/dist/bot/Bot.js';
import { botClip } from '../tests/dist/helpers/botClip.js';
import { startIngest } from './ingestProcess.mjs';
import { startTranscoder } from './transcoderProcess.mjs';
import { BENCH_REDIS_URL, sleep } from './lib.mjs';

/** Polls `fn` every `everyMs` until it returns a truthy value; null after `timeoutMs`. */
export async function poll(fn, timeoutMs, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) return null;
    await sleep(everyMs);
  }
}

const hasVideo = (peer) => peer.producers.some((p) => p.kind === 'video');

/**
 * Starts ingest + transcoder, puts `bots` bots on stage and goes live; resolves once the
 * picture on air has every bot. Everything it starts is ended by `close()` (and, should the
 * benchmark die, bots' FFmpeg processes by their pids at exit).
 */
export async function startLiveRoom({ bots: count, name = 'bench', ingestEnv = {}, transcoderEnv = {} }) {
  const ingest = await startIngest(ingestEnv);
  const transcoder = startTranscoder(
    ingest.dataDir,
    { LOG_LEVEL: 'info', ...transcoderEnv },
    { capture: true },
  );
  const queue = new Queue('composite', { connection: { url: BENCH_REDIS_URL } });
  const webm = await botClip('Bot');
  const onStage = [];
  let made = 0;
  const killBots = () => {
    // The benchmark is dying: its ingest and transcoder go too (the transcoder's FFmpeg dies with it).
    for (const pid of [transcoder.pid, ingest.pid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (const bot of onStage) {
      try {
        if (bot.ffmpegPid > 0) process.kill(bot.ffmpegPid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  process.once('exit', killBots);

  const { id: roomId } = await ingest.api('POST', '/api/rooms', { name });
  const info = () => ingest.api('GET', `/api/rooms/${roomId}`);
  const room = {
    ingest,
    transcoder,
    roomId,
    broadcastId: null,
    bots: onStage,
    info,
    live: async () => (await info()).live,
    /** A new bot on stage; resolves when GET /api/rooms/:id shows it with its camera: { bot, visibleAt, actedAt }. */
    async addBot() {
      made++;
      const actedAt = Date.now();
      const { token } = await ingest.api('POST', `/api/rooms/${roomId}/tokens`, {
        role: 'cohost',
        name: `Bot ${made}`,
      });
      const bot = await Bot.start({ url: ingest.url, token, name: `Bot ${made}`, webm });
      onStage.push(bot);
      const visibleAt = await poll(
        async () =>
          (await info()).stage.some((p) => p.peerId === bot.peerId && hasVideo(p)) ? Date.now() : null,
        30_000,
      );
      return { bot, actedAt, visibleAt };
    },
    /** The bot leaves; resolves when GET /api/rooms/:id no longer shows it: { bot, visibleAt, actedAt }. */
    async removeBot(bot) {
      const actedAt = Date.now();
      const peerId = bot.peerId;
      await bot.stop();
      onStage.splice(onStage.indexOf(bot), 1);
      const visibleAt = await poll(
        async () => ((await info()).stage.some((p) => p.peerId === peerId) ? null : Date.now()),
        30_000,
      );
      return { bot, actedAt, visibleAt };
    },
    /** The composite job's progress (BullMQ): session (FFmpeg runs), quality, behindSeconds, speed. */
    async progress() {
      const job = await queue.getJob(`${roomId}.${room.broadcastId ?? ''}`);
      const value = job?.progress;
      return typeof value === 'object' && value !== null ? value : null;
    },
    /** URL of one rung's public media playlist (by its height, from the master playlist). */
    async variantUrl(height = 720) {
      const base = `${ingest.url}/hls/${roomId}/`;
      const master = await poll(
        async () => {
          const res = await fetch(`${base}master.m3u8`);
          return res.ok ? res.text() : null;
        },
        60_000,
        200,
      );
      if (!master) throw new Error('no master playlist');
      const lines = master.split('\n');
      const at = lines.findIndex((l) => l.includes(`RESOLUTION=`) && l.includes(`x${height},`));
      if (at < 0) throw new Error(`no ${height}p rung in the master playlist`);
      return new URL(lines[at + 1].trim(), base).href;
    },
    /** The transcoder's log lines (pino JSON, parsed) with msg matching `pattern`. */
    logs(pattern) {
      return transcoder.lines
        .map((l) => {
          try {
            return JSON.parse(l);
          } catch {
            return null;
          }
        })
        .filter((l) => l && pattern.test(l.msg ?? ''));
    },
    async close() {
      await ingest.api('POST', `/api/rooms/${roomId}/broadcast`, { action: 'stop' }).catch(() => undefined);
      await poll(async () => ['ended', 'idle', 'error'].includes((await room.live()).state), 15_000, 250);
      for (const bot of [...onStage]) await bot.stop();
      onStage.length = 0;
      await queue.close();
      await transcoder.stop();
      await ingest.stop();
      process.removeListener('exit', killBots);
      if (process.env.KEEP_BENCH_DATA) console.log(`kept ${ingest.dataDir}`);
      else rmSync(ingest.dataDir, { recursive: true, force: true });
    },
  };

  try {
    for (let i = 0; i < count; i++) await room.addBot();
    const start = await ingest.api('POST', `/api/rooms/${roomId}/broadcast`, { action: 'start' });
    room.broadcastId = start.live?.broadcastId ?? null;
    const peerIds = onStage.map((b) => b.peerId);
    const onAir = await poll(
      async () => {
        const live = await room.live();
        return live.state === 'live' &&
          live.layout?.tiles === count &&
          peerIds.every((p) => live.layout.peerIds.includes(p))
          ? live
          : null;
      },
      90_000,
      200,
    );
    if (!onAir) throw new Error(`the broadcast did not go live with ${count} tiles`);
    room.broadcastId ??= onAir.broadcastId;
  } catch (error) {
    await room.close();
    throw error;
  }
  return room;
}
