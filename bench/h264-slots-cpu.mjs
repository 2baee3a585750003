// `node bench/h264-slots-cpu.mjs`: what the compositor's idle H.264 slots cost. The production
// FFmpeg (CompositeRun, the transcoder's own SlotRelay) runs the slate of a 9-person stage
// (9 VP8 video and 10 audio slots, all carrying filler) with and without ingest's 2 H.264
// slots, alternately (A B A B …, BENCH_ROUNDS rounds) so that a busy neighbour weighs on both
// alike. CPU: utime + stime of FFmpeg from /proc/<pid>/stat over BENCH_CPU_SECONDS after
// BENCH_WARMUP_SECONDS. On a busy machine those figures move with the load (FFmpeg below real
// time does less work), so the filler's own decode is measured too: CPU seconds (FFmpeg's
// `-benchmark` utime + stime, its decoding only) for 20 s of H.264 filler (300 frames at
// 15 fps), which hardly depends on the machine's load. Writes
// bench/results/h264-slots-cpu.json and .md. Build the transcoder first (`npx turbo run build`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  CompositeRun,
  PortPool,
  SlotRelay,
  buildScene,
  compositeSize,
  computeLayout,
} from '../transcoder/dist/index.js';
import { qualitySteps } from '../transcoder/dist/quality/quality.js';
import { H264_FILLER_PAYLOAD } from '../transcoder/dist/relay/fillers.js';
import { stapAUnits } from '../transcoder/dist/relay/rtp.js';
import {
  cpuSelfSeconds,
  exitOnSignals,
  machine,
  machineNote,
  markdownTable,
  resultsDir,
  sleep,
  codeVersion,
  compositeBenchJob,
} from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WARM_UP_S = Number(process.env.BENCH_WARMUP_SECONDS ?? 8);
const WINDOW_S = Number(process.env.BENCH_CPU_SECONDS ?? 20);
const FRAME_RATE = 30;
const logger = pino({ level: 'silent' });
const job = (h264) => compositeBenchJob('h264-slots', FRAME_RATE, h264);
const round = (n, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
exitOnSignals();

async function measure(h264, workDir, index) {
  const data = job(h264);
  const relay = await SlotRelay.create(
    '127.0.0.1',
    data.slots,
    { onSlotLive: () => undefined, onSlotQuiet: () => undefined, onKeyFrameWanted: () => undefined },
    logger,
  );
  const { width, height } = compositeSize(data.ladder);
  const stage = {
    roomName: data.roomName,
    tiles: [],
    audioProducerIds: [],
    activeSpeakerPeerId: null,
    layout: { mode: 'auto', pinnedPeerId: null },
    version: 1,
  };
  const videoSlots = data.slots.video + h264;
  const scene = buildScene(computeLayout(stage, width, height), {
    videoSlots,
    videoSlotOf: () => undefined,
    isLive: () => false,
  });
  const id = `h264-${h264}-${index}`;
  const progress = [];
  let run;
  try {
    run = await CompositeRun.start({
      id,
      job: data,
      quality: qualitySteps(FRAME_RATE)[0],
      scene,
      dir: join(workDir, id),
      logFile: join(workDir, `${id}.log`),
      host: '127.0.0.1',
      ports: new PortPool(),
      ssrcs: { video: relay.ssrcs('video'), audio: relay.ssrcs('audio') },
      logger,
      onExit: () => undefined,
      onProgress: (_run, p) => progress.push({ at: Date.now(), out: p.outTimeMs }),
    });
    relay.target(run.slotPorts);
    await sleep(WARM_UP_S * 1000);
    const before = { at: Date.now(), cpu: cpuSelfSeconds(run.pid), out: run.progress.outTimeMs };
    await sleep(WINDOW_S * 1000);
    const after = { at: Date.now(), cpu: cpuSelfSeconds(run.pid), out: run.progress.outTimeMs };
    const wall = (after.at - before.at) / 1000;
    return {
      h264Slots: h264,
      videoSlots,
      ffmpegCores: round((after.cpu - before.cpu) / wall),
      speed: round((after.out - before.out) / 1000 / wall),
      exitedEarly: run.exited,
    };
  } finally {
    await run?.stop();
    relay.close();
  }
}

/** The STAP-A filler's NAL units as an Annex B stream (a start code before each). */
const fillerAnnexB = () =>
  Buffer.concat(stapAUnits(H264_FILLER_PAYLOAD).flatMap((u) => [Buffer.from([0, 0, 0, 1]), u]));

/** CPU seconds FFmpeg reports (`-benchmark`: its decoding, not its start) for `frames` filler frames, one thread; median of 5. */
function decodeSeconds(frames) {
  const input = Buffer.concat(Array.from({ length: frames }, fillerAnnexB));
  const runs = Array.from({ length: 5 }, () => {
    const run = spawnSync(
      'ffmpeg',
      ['-hide_banner', '-benchmark', '-threads', '1', '-f', 'h264', '-i', '-', '-f', 'null', '-'],
      { input, encoding: 'utf8', timeout: 30_000 },
    );
    const m = /utime=([\d.]+)s stime=([\d.]+)s/.exec(run.stderr ?? '');
    if (!m) throw new Error(`ffmpeg -benchmark: ${run.stderr}`);
    return Number(m[1]) + Number(m[2]);
  }).sort((a, b) => a - b);
  return runs[2];
}

const workDir = mkdtempSync(join(tmpdir(), 'stagecast-h264-slots-'));
const note = machineNote();
const rows = [];
try {
  for (let r = 0; r < ROUNDS; r++)
    for (const h264 of [0, 2]) {
      const row = await measure(h264, workDir, r);
      console.log(JSON.stringify(row));
      rows.push({ round: r + 1, ...row });
    }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
const fillerDecodeS = round(decodeSeconds(20 * 15), 4);
const mean = (h264) => {
  const of = rows.filter((r) => r.h264Slots === h264).map((r) => r.ffmpegCores);
  return round(of.reduce((a, b) => a + b, 0) / of.length);
};
const result = {
  description:
    `Slate of a 9-person stage (9 VP8 + 10 audio slots, all filler), 3-rung ladder, quality step 0; ` +
    `FFmpeg CPU over ${WINDOW_S} s after ${WARM_UP_S} s, without and with 2 idle H.264 slots, ${ROUNDS} alternating rounds.`,
  machine: { ...machine(), ...note },
  code: codeVersion(),
  rows,
  meanCores: { without: mean(0), with: mean(2) },
  idleH264SlotsCores: round(mean(2) - mean(0)),
  // One idle slot's decoding, in cores: CPU seconds for 20 s of filler / 20 s.
  fillerDecodeSecondsPer20s: fillerDecodeS,
  fillerDecodeCoresPerSlot: round(fillerDecodeS / 20, 5),
  measuredAt: new Date().toISOString(),
};
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'h264-slots-cpu.json'), `${JSON.stringify(result, null, 2)}\n`);
const m = result.machine;
const md = [
  '# Idle H.264 slots: compositor CPU',
  '',
  result.description,
  '',
  `Machine: \`nproc\` ${m.nproc}, ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, ${m.ffmpeg}; load average at start ${m.loadAverage.load1} / ${m.loadAverage.load5} / ${m.loadAverage.load15}.`,
  '',
  markdownTable(rows, [
    { key: 'round', label: 'round' },
    { key: 'h264Slots', label: 'H.264 slots' },
    { key: 'videoSlots', label: 'video slots' },
    { key: 'ffmpegCores', label: 'FFmpeg cores' },
    { key: 'speed', label: 'speed' },
  ]),
  '',
  `Mean: ${result.meanCores.without} cores without, ${result.meanCores.with} with (difference ${result.idleH264SlotsCores} core; ` +
    `meaningful only where speed is 1 in every row). Decoding one idle slot's filler: ${result.fillerDecodeSecondsPer20s} CPU s per 20 s ` +
    `(${result.fillerDecodeCoresPerSlot} core), FFmpeg's -benchmark, median of 5.`,
  '',
].join('\n');
writeFileSync(join(resultsDir, 'h264-slots-cpu.md'), md);
console.log(md);
