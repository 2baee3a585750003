// How far the picture is behind the wall clock, idle and with a busy loop holding one core:
// a live broadcast with 3 bots (ingest + one transcoder + bots looping the pre-encoded clip).
// For each new 720p segment: (time it is first listed) − (PROGRAM-DATE-TIME + duration), i.e.
// the delay beyond the segment itself; and the compositor's quality step (`live.quality`).
import { startLiveRoom, poll } from './liveRoom.mjs';
import {
  markdownTable,
  PlaylistPoller,
  saveSection,
  sleep,
  startBusyLoop,
  stats,
  waitForQuiet,
  codeVersion,
  exitOnSignals,
} from './lib.mjs';

const BOTS = Number(process.env.BENCH_BEHIND_BOTS ?? 3);
const PHASE_S = Number(process.env.BENCH_BEHIND_SECONDS ?? 60);
const SEGMENT_SECONDS = 2;

exitOnSignals();
const machine = await waitForQuiet();
const codeAtStart = codeVersion();
console.log(`machine: ${JSON.stringify(machine)}`);
const room = await startLiveRoom({
  bots: BOTS,
  name: 'behind live',
  ingestEnv: { STAGECAST_SEGMENT_SECONDS: String(SEGMENT_SECONDS) },
});
const phases = [];
try {
  const playlist = new PlaylistPoller(await room.variantUrl(720), 100).start();
  await poll(async () => playlist.fresh.length >= 2, 30_000, 200);
  // Past the compositor's own warm-up (its governor does not judge a run's first seconds).
  await sleep(10_000);
  for (const name of ['baseline', 'busy loop']) {
    const hog = name === 'busy loop' ? startBusyLoop(120) : null;
    const from = Date.now();
    const startSeq = Math.max(-1, ...playlist.segments.map((s) => s.seq));
    const samples = [];
    try {
      while (Date.now() - from < PHASE_S * 1000) {
        const live = await room.live().catch(() => null);
        const progress = await room.progress().catch(() => null);
        samples.push({
          atS: Math.round((Date.now() - from) / 100) / 10,
          quality: live?.quality?.level ?? null,
          frameRate: live?.quality?.frameRate ?? null,
          speed: live?.speed ?? null,
          behindS: progress?.behindSeconds ?? null,
          runs: progress?.session ?? null,
        });
        await sleep(1000);
      }
    } finally {
      hog?.stop();
    }
    const to = Date.now();
    const segments = playlist.segments.filter(
      (s) => s.seq > startSeq && s.seenAt <= to && s.programDateTime !== null,
    );
    const behind = segments.map((s) => s.seenAt - (s.programDateTime + s.duration * 1000));
    const b = stats(behind);
    const levels = samples.map((s) => s.quality).filter((v) => v !== null);
    const phase = {
      phase: name,
      segments: segments.length,
      behindP50Ms: b.p50,
      behindP95Ms: b.p95,
      behindMaxMs: b.max,
      behindMinMs: b.min,
      qualityLevels: [...new Set(levels)].join(' → ') || null,
      qualityAtEnd: samples.at(-1)?.quality ?? null,
      frameRateAtEnd: samples.at(-1)?.frameRate ?? null,
      speedP50: stats(
        samples.map((s) => s.speed),
        2,
      ).p50,
      speedMin: stats(
        samples.map((s) => s.speed),
        2,
      ).min,
      governorBehindMaxS: stats(
        samples.map((s) => s.behindS),
        1,
      ).max,
      ffmpegRuns: samples.length ? (samples.at(-1).runs ?? 0) - (samples[0].runs ?? 0) + 1 : null,
      discontinuities: segments.filter((s) => s.discontinuity).length,
      load1AtEnd: Number((await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
      log: room
        .logs(/quality|restarting FFmpeg|exited unexpectedly|not taken the layout/)
        .filter((l) => l.time >= from && l.time <= to)
        .map((l) => ({
          atS: Math.round((l.time - from) / 100) / 10,
          msg: l.msg,
          verdict: l.verdict,
          level: l.level,
          behind: l.behind,
          reason: l.reason,
        })),
      perSegmentMs: segments.map((s, i) => ({
        seq: s.seq,
        behindMs: behind[i],
        duration: s.duration,
        discontinuity: s.discontinuity,
      })),
      samples,
    };
    phases.push(phase);
    const { perSegmentMs, samples: _s, ...brief } = phase;
    console.log(JSON.stringify(brief));
  }
  playlist.stop();
} finally {
  await room.close();
}
const goalMs = 1000;
const hogPhase = phases.find((p) => p.phase === 'busy loop');
saveSection('behindLive', {
  description: `ingest + one transcoder + ${BOTS} bots looping a pre-encoded 640x360 VP8 clip, ${SEGMENT_SECONDS} s segments, 720p playlist polled every 100 ms; behind = time a segment is first listed − (its PROGRAM-DATE-TIME + its duration); ${PHASE_S} s idle (baseline), then ${PHASE_S} s with \`timeout 120 sh -c 'while :; do :; done'\` holding one core; quality = live.quality.level (0 = full) sampled every second`,
  machine,
  code: { atStart: codeAtStart, atEnd: codeVersion() },
  bots: BOTS,
  segmentSeconds: SEGMENT_SECONDS,
  goal: `≤ ${goalMs} ms behind beyond the segment itself under the busy loop`,
  goalMet: hogPhase ? hogPhase.behindMaxMs !== null && hogPhase.behindMaxMs <= goalMs : null,
  goalMetAtP95: hogPhase ? hogPhase.behindP95Ms !== null && hogPhase.behindP95Ms <= goalMs : null,
  phases,
});
console.log(
  markdownTable(phases, [
    { key: 'phase', label: 'phase' },
    { key: 'segments', label: 'segments' },
    { key: 'behindP50Ms', label: 'behind p50 (ms)' },
    { key: 'behindP95Ms', label: 'behind p95 (ms)' },
    { key: 'behindMaxMs', label: 'behind max (ms)' },
    { key: 'qualityLevels', label: 'quality steps' },
    { key: 'speedMin', label: 'speed min' },
  ]),
);
process.exit(0);
