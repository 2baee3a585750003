// Compositor CPU and quality for 1, 4 and 9 camera-like tiles, driven directly (no ingest):
// the transcoder's own SlotRelay and CompositeRun (transcoder/dist), the production FFmpeg
// command line (9 video and 10 audio slots, as ingest asks for a 9-person stage; 3-rung
// ladder, quality step 0), fed by one sender FFmpeg per source looping a pre-encoded
// 1280x720 VP8 clip at 30 fps (`-re -stream_loop -1 -c copy`).
//
// - CPU: utime + stime of FFmpeg from /proc/<pid>/stat over a 20 s window after warm-up;
//   the busiest thread too (FFmpeg 5.1 runs the filter graph on its main thread).
// - speed: media time written / wall time over the window.
// - PSNR: a second CompositeRun whose FFmpeg (bench/ffmpegWithReference.mjs) has one more
//   branch of the ladder's `split` (the composite before scaling and encoding), encoded
//   losslessly (x264 -qp 0); the 720p rung's segments are compared with it frame by frame.
// - capacity: the same arguments fed from a file instead of RTP, as fast as FFmpeg goes:
//   how much faster than real time it could run (the headroom).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createHash } from 'node:crypto';
import { pino } from 'pino';
import {
  CompositeRun,
  PortPool,
  SlotRelay,
  buildFfmpegArgs,
  buildScene,
  compositeSize,
  computeLayout,
  runPaths,
  sceneCommands,
} from '../transcoder/dist/index.js';
import { SESSION_PLAYLIST } from '../transcoder/dist/ffmpeg/buildFfmpegArgs.js';
import { freeTcpPort } from '../transcoder/dist/core/PortPool.js';
import { qualitySteps } from '../transcoder/dist/quality/quality.js';
import {
  cpuSelfSeconds,
  machineCpu,
  markdownTable,
  saveSection,
  sleep,
  threadSeconds,
  waitForQuiet,
  codeVersion,
  compositeBenchJob,
  exitOnSignals,
} from './lib.mjs';

const TILES = (process.env.BENCH_TILES ?? '1,4,9').split(',').map(Number);
const WARM_UP_S = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);
const WINDOW_S = Number(process.env.BENCH_CPU_SECONDS ?? 20);
const PSNR_S = Number(process.env.BENCH_PSNR_SECONDS ?? 14);
/** Media seconds of the capacity run (files read as fast as FFmpeg goes). */
const CAPACITY_S = Number(process.env.BENCH_CAPACITY_SECONDS ?? 20);
/** Frames skipped at the start of the PSNR comparison: sources wait for a key frame (1 s GOP). */
const PSNR_SKIP_FRAMES = 90;
const FRAME_RATE = 30;
const logger = pino({ level: 'silent' });
const job = compositeBenchJob('cpu', FRAME_RATE);
const step = qualitySteps(FRAME_RATE)[0];
const started = new Set();
process.once('exit', () => {
  for (const child of started) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Gone.
    }
  }
});

/**
 * The camera-like clip: testsrc2 (moving, sharp edges, colour) with light temporal noise
 * like a webcam's, 1280x720 at 30 fps, VP8 realtime at 2 Mbit/s with a 1 s GOP (the copy
 * cannot answer key frame requests), plus an Opus tone. Made once, kept in the temp dir.
 */
async function cameraClip() {
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=1280x720:rate=${FRAME_RATE},noise=alls=6:allf=t`,
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    '10',
    '-c:v',
    'libvpx',
    '-deadline',
    'realtime',
    '-cpu-used',
    '4',
    '-b:v',
    '2000k',
    '-g',
    '30',
    '-c:a',
    'libopus',
    '-ac',
    '2',
    '-ar',
    '48000',
    '-b:a',
    '48k',
    '-f',
    'webm',
  ];
  const dir = join(tmpdir(), 'stagecast-bench-clips');
  mkdirSync(dir, { recursive: true });
  const file = join(
    dir,
    `camera720-${createHash('sha256').update(JSON.stringify(args)).digest('hex').slice(0, 12)}.webm`,
  );
  if (existsSync(file)) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  await runFfmpeg([...args, tmp]);
  writeFileSync(file, readFileSync(tmp));
  rmSync(tmp, { force: true });
  return file;
}

function runFfmpeg(args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    started.add(child);
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c) => (err += c));
    child.once('exit', (code) => {
      started.delete(child);
      if (code === 0) resolve(err);
      else reject(new Error(`ffmpeg ${code}: ${err.slice(-500)}`));
    });
  });
}

/** One source: the clip looped in real time as RTP, video and audio, to the relay's feed sockets. */
function startSender(clip, video, audio) {
  const rtp = (p) => `rtp://127.0.0.1:${p.rtpPort}?rtcpport=${p.rtcpPort}&pkt_size=1200`;
  const child = spawn(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      '-re',
      '-stream_loop',
      '-1',
      '-i',
      clip,
      '-map',
      '0:v:0',
      '-c:v',
      'copy',
      '-payload_type',
      '101',
      '-f',
      'rtp',
      rtp(video),
      '-map',
      '0:a:0',
      '-c:a',
      'copy',
      '-payload_type',
      '100',
      '-f',
      'rtp',
      rtp(audio),
    ],
    { stdio: 'ignore' },
  );
  started.add(child);
  return child;
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
  started.delete(child);
}

const waitUntil = async (check, ms, what) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
};

function stageOf(tiles) {
  return {
    roomName: job.roomName,
    tiles: Array.from({ length: tiles }, (_, k) => ({
      peerId: `p${k}`,
      name: `Camera ${k + 1}`,
      source: 'camera',
      videoProducerId: `v${k}`,
    })),
    audioProducerIds: Array.from({ length: tiles }, (_, k) => `a${k}`),
    activeSpeakerPeerId: null,
    layout: { mode: 'grid', pinnedPeerId: null },
    version: 1,
  };
}

async function measure(tiles, clip, workDir) {
  const live = new Set();
  const relay = await SlotRelay.create(
    '127.0.0.1',
    job.slots,
    {
      onSlotLive: (kind, index) => live.add(`${kind}${index}`),
      onSlotQuiet: (kind, index) => live.delete(`${kind}${index}`),
      onKeyFrameWanted: () => undefined,
    },
    logger,
  );
  const { width, height } = compositeSize(job.ladder);
  const layout = computeLayout(stageOf(tiles), width, height);
  const slotOf = new Map(Array.from({ length: tiles }, (_, k) => [`v${k}`, k]));
  // At a quality step's frame rate (its framestep filters on), as the job commands it.
  const sceneNow = (frameStep = 1) =>
    buildScene(
      layout,
      {
        videoSlots: job.slots.video,
        videoSlotOf: (id) => slotOf.get(id),
        isLive: (k) => relay.isLive('video', k),
      },
      frameStep,
    );
  const senders = [];
  const ports = new PortPool();
  const progress = [];
  try {
    // 1. The CPU run: CompositeRun exactly as the job starts it (the picture before any source is live, then commands).
    const dir = join(workDir, `cpu-${tiles}`);
    relay.untarget();
    const run = await CompositeRun.start({
      id: `cpu-${tiles}`,
      job,
      quality: step,
      scene: sceneNow(),
      dir,
      logFile: join(workDir, `cpu-${tiles}.log`),
      host: '127.0.0.1',
      ports,
      ssrcs: { video: relay.ssrcs('video'), audio: relay.ssrcs('audio') },
      logger,
      onExit: () => undefined,
      // Each progress block (about one a second) with the wall time it arrived: speed is the slope of media time over wall time.
      onProgress: (_run, p) => progress.push({ at: Date.now(), out: p.outTimeMs }),
    });
    relay.target(run.slotPorts);
    for (let k = 0; k < tiles; k++) {
      const video = await relay.addFeed(`v${k}`, 'video');
      const audio = await relay.addFeed(`a${k}`, 'audio');
      relay.assign('video', k, `v${k}`);
      relay.assign('audio', k, `a${k}`);
      senders.push(startSender(clip, video, audio));
    }
    await waitUntil(
      () => Array.from({ length: tiles }, (_, k) => live.has(`video${k}`)).every(Boolean),
      20_000,
      'every source live',
    );
    const scene = sceneNow();
    const failures = await run.apply(sceneCommands(run.scene, scene), scene, 15_000);
    if (failures.length > 0) throw new Error(`FFmpeg refused commands: ${JSON.stringify(failures)}`);
    await sleep(WARM_UP_S * 1000);
    const before = {
      at: Date.now(),
      cpu: cpuSelfSeconds(run.pid),
      threads: threadSeconds(run.pid),
      out: run.progress.outTimeMs,
      senders: senders.map((s) => cpuSelfSeconds(s.pid) ?? 0),
      relay: process.cpuUsage(),
      machine: machineCpu(),
    };
    await sleep(WINDOW_S * 1000);
    const after = {
      at: Date.now(),
      cpu: cpuSelfSeconds(run.pid),
      threads: threadSeconds(run.pid),
      out: run.progress.outTimeMs,
      senders: senders.map((s) => cpuSelfSeconds(s.pid) ?? 0),
      relay: process.cpuUsage(before.relay),
      machine: machineCpu(),
    };
    const wall = (after.at - before.at) / 1000;
    const perThread = [...after.threads]
      .map(([tid, t]) => ({
        tid: Number(tid),
        name: t.name,
        cores: (t.seconds - (before.threads.get(tid)?.seconds ?? 0)) / wall,
      }))
      .sort((a, b) => b.cores - a.cores);
    const busiest = perThread[0] ?? { name: '?', cores: 0 };
    const exitedEarly = run.exited;
    await run.stop();
    const log = readFileSync(join(workDir, `cpu-${tiles}.log`), 'utf8');
    const cores = (after.cpu - before.cpu) / wall;
    const row = {
      tiles,
      ffmpegCores: round(cores),
      speed: round(slope(progress.filter((p) => p.at >= before.at && p.at <= after.at)), 3),
      // The slowest 5 s of the window (FFmpeg reports about once a second).
      minSpeed5s: round(
        Math.min(
          ...progress
            .filter((p) => p.at >= before.at && p.at <= after.at - 5000)
            .map((p) => slope(progress.filter((q) => q.at >= p.at && q.at <= p.at + 5000)))
            .filter(Number.isFinite),
        ),
        3,
      ),
      // Output that fell further behind the wall clock during the window (ms; 0 = kept up).
      fellBehindMs: Math.round(
        lagNear(progress, after.at - 3000, after.at) - lagNear(progress, before.at, before.at + 3000),
      ),
      busiestThread: busiest.name,
      busiestThreadCores: round(busiest.cores),
      threads: after.threads.size,
      topThreadsCores: perThread.slice(0, 4).map((t) => round(t.cores)),
      sendersCores: round(after.senders.reduce((s, v, i) => s + v - (before.senders[i] ?? 0), 0) / wall),
      relayCores: round((after.relay.user + after.relay.system) / 1e6 / wall),
      // Everything the machine ran in the window (FFmpeg, senders, this process, anyone else) and the hypervisor's steal.
      machineBusyCores: round((after.machine.busy - before.machine.busy) / wall),
      // CPU that was none of this benchmark's (another process on the machine): above ~0.2 core the row is disturbed.
      othersCores: round(
        (after.machine.busy - before.machine.busy) / wall -
          cores -
          after.senders.reduce((a, v, i) => a + v - (before.senders[i] ?? 0), 0) / wall -
          (after.relay.user + after.relay.system) / 1e6 / wall,
      ),
      stealPct: round(((after.machine.steal - before.machine.steal) / wall / cpus().length) * 100, 1),
      lateRtpWarnings: (log.match(/dropping old packet|received too late/g) ?? []).length,
      decodeErrors: (log.match(/Error while decoding|Invalid data|corrupt/gi) ?? []).length,
      exitedEarly,
    };
    // Real time: media time kept up with the wall clock over the window (the regression's noise is well under 1%).
    row.realTime = row.speed !== null && row.speed >= 0.99 && row.fellBehindMs <= 500;

    // 2. The PSNR run: the same arguments plus a lossless copy of the composite from the same split.
    relay.untarget();
    Object.assign(row, await psnrRun(relay, tiles, scene, join(workDir, `psnr-${tiles}`), ports));
    // 3. Capacity: the same graph and encoders fed from files as fast as FFmpeg goes.
    Object.assign(row, await capacityRun(tiles, scene, clip, join(workDir, `capacity-${tiles}`)));
    // Headroom: how much faster than real time the same graph and ladder can run. Thread CPU
    // cannot tell: FFmpeg's main thread also waits on its decoders and encoders every frame.
    row.headroomPct = row.capacitySpeed === null ? null : Math.round((row.capacitySpeed - 1) * 100);
    // Short of the goal's 15% at full quality: which of the compositor's cheaper quality steps would have it.
    if ((row.headroomPct ?? 0) < 15) {
      row.capacityByQualityStep = [{ level: 0, frameRate: step.frameRate, capacitySpeed: row.capacitySpeed }];
      for (const lower of qualitySteps(FRAME_RATE).slice(1)) {
        const c = await capacityRun(
          tiles,
          sceneNow(lower.frameStep),
          clip,
          join(workDir, `capacity-${tiles}-q${lower.level}`),
          lower,
        );
        row.capacityByQualityStep.push({
          level: lower.level,
          frameRate: lower.frameRate,
          topPreset: lower.topPreset,
          capacitySpeed: c.capacitySpeed,
          capacityCores: c.capacityCores,
        });
        if ((c.capacitySpeed ?? 0) >= 1.15) break;
      }
    }
    return row;
  } finally {
    for (const s of senders) await stopChild(s);
    relay.close();
  }
}

/** Least-squares slope of media time (ms) over wall time (ms): 1 = real time. */
function slope(points) {
  if (points.length < 3) return Number.NaN;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.at, 0) / n;
  const my = points.reduce((a, p) => a + p.out, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.at - mx) * (p.out - my), 0);
  const sxx = points.reduce((a, p) => a + (p.at - mx) ** 2, 0);
  return sxy / sxx;
}

/** Median of wall − media time over the progress blocks between `from` and `to` (its absolute value means nothing, its change does). */
function lagNear(points, from, to) {
  const lags = points
    .filter((p) => p.at >= from && p.at <= to)
    .map((p) => p.at - p.out)
    .sort((a, b) => a - b);
  return lags[Math.floor(lags.length / 2)] ?? Number.NaN;
}

/**
 * Capacity: the production arguments with the slots' RTP input replaced by one file holding
 * the same streams (video slots first, then audio): the sources' clip in the used slots, a
 * black 160x90 VP8 (the relay's filler) and Opus silence in the others, looped and read as
 * fast as FFmpeg goes; every output stops after CAPACITY_S of media. Speed = media time /
 * wall time: how much faster than real time this graph and ladder can run here (headroom =
 * speed − 1). Decoding, graph and encoders are the production ones; only the RTP
 * depacketising is missing.
 */
async function capacityRun(tiles, scene, clip, dir, quality = step) {
  mkdirSync(dir, { recursive: true });
  for (const r of job.ladder) mkdirSync(join(dir, runPaths.rendition(r.name)), { recursive: true });
  const slots = await slotsFile(tiles, clip);
  const args = buildFfmpegArgs(job, quality, scene, await freeTcpPort());
  const graph = args[args.indexOf('-filter_complex') + 1] ?? '';
  if (!graph.includes('[0:v:0]'))
    throw new Error('capacity run: the graph does not read its slots from one input');
  const head = args.slice(0, args.indexOf('-y') + 1);
  const tail = args.slice(args.indexOf('-filter_complex'));
  const input = ['-reinit_filter', '0', '-stream_loop', '-1', '-i', slots];
  // Every output (each `-f hls`) stops after CAPACITY_S seconds of media.
  const outputs = tail.flatMap((a, i) =>
    a === '-f' && tail[i + 1] === 'hls' ? ['-t', String(CAPACITY_S), a] : [a],
  );
  const child = spawn('ffmpeg', [...head, ...input, ...outputs], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  started.add(child);
  const points = [];
  let cpu = 0;
  const startedAt = Date.now();
  child.stdout.setEncoding('utf8').on('data', (c) => {
    for (const m of c.matchAll(/^out_time_us=(\d+)$/gm))
      points.push({ at: Date.now(), out: Number(m[1]) / 1000 });
  });
  const sampler = setInterval(() => (cpu = cpuSelfSeconds(child.pid) ?? cpu), 250);
  const timer = setTimeout(() => child.kill('SIGKILL'), CAPACITY_S * 4000);
  await new Promise((r) => child.once('exit', r));
  clearTimeout(timer);
  clearInterval(sampler);
  started.delete(child);
  const wall = (Date.now() - startedAt) / 1000;
  // Past the start-up (opening the input, first key frames): the steady rate.
  const steady = points.filter((p) => p.out >= 2000);
  return {
    capacitySpeed: round(slope(steady), 2),
    capacityCores: round(cpu / wall),
    capacityWallS: round(wall, 1),
  };
}

/** One Matroska file with every slot's stream (copied, no encoding), made once per tile count. */
async function slotsFile(tiles, clip) {
  const dir = join(tmpdir(), 'stagecast-bench-clips');
  const filler = join(dir, 'filler-160x90-15fps.webm');
  if (!existsSync(filler)) {
    await runFfmpeg([
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'color=black:s=160x90:r=15',
      '-t',
      '10',
      '-c:v',
      'libvpx',
      '-b:v',
      '50k',
      '-g',
      '1',
      '-f',
      'webm',
      `${filler}.tmp`,
    ]);
    renameSync(`${filler}.tmp`, filler);
  }
  const silence = join(dir, 'silence-opus.webm');
  if (!existsSync(silence)) {
    await runFfmpeg([
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'anullsrc=r=48000:cl=stereo',
      '-t',
      '10',
      '-c:a',
      'libopus',
      '-b:a',
      '48k',
      '-f',
      'webm',
      `${silence}.tmp`,
    ]);
    renameSync(`${silence}.tmp`, silence);
  }
  const file = join(
    dir,
    `slots-${tiles}of${job.slots.video}v${job.slots.audio}a-${basename(clip, '.webm')}.mkv`,
  );
  if (existsSync(file)) return file;
  const maps = [];
  for (let k = 0; k < job.slots.video; k++) maps.push('-map', k < tiles ? '0:v:0' : '1:v:0');
  for (let j = 0; j < job.slots.audio; j++) maps.push('-map', j < tiles ? '0:a:0' : '2:a:0');
  await runFfmpeg([
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-i',
    clip,
    '-i',
    filler,
    '-i',
    silence,
    ...maps,
    '-c',
    'copy',
    '-t',
    '10',
    '-f',
    'matroska',
    `${file}.tmp`,
  ]);
  renameSync(`${file}.tmp`, file);
  return file;
}

/**
 * The PSNR run: CompositeRun as in production, with `ffmpegWithReference.mjs` as its FFmpeg
 * (the same arguments plus a lossless copy of the composite from the ladder's `split`).
 */
async function psnrRun(relay, tiles, scene, dir, ports) {
  const reference = join(dir, 'reference.nut');
  mkdirSync(dir, { recursive: true });
  process.env.BENCH_REFERENCE_OUT = reference;
  let run;
  try {
    run = await CompositeRun.start({
      id: `psnr-${tiles}`,
      job,
      quality: step,
      scene,
      dir,
      logFile: join(dir, 'ffmpeg.log'),
      host: '127.0.0.1',
      ports,
      ssrcs: { video: relay.ssrcs('video'), audio: relay.ssrcs('audio') },
      logger,
      ffmpegPath: new URL('./ffmpegWithReference.mjs', import.meta.url).pathname,
      onExit: () => undefined,
      onProgress: () => undefined,
    });
  } finally {
    delete process.env.BENCH_REFERENCE_OUT;
  }
  try {
    relay.target(run.slotPorts);
    await sleep(PSNR_S * 1000);
  } finally {
    await run.stop(8000);
    relay.untarget();
  }
  const log = readFileSync(join(dir, 'ffmpeg.log'), 'utf8');
  // Frame by frame: both sides renumbered in one time base (framesync rounds mixed time bases onto neighbouring frames).
  const align = `trim=start_frame=${PSNR_SKIP_FRAMES},settb=1/${FRAME_RATE},setpts=N`;
  const top = job.ladder.find((r) => r.height === compositeSize(job.ladder).height);
  const out = await runFfmpeg([
    '-hide_banner',
    '-nostats',
    '-i',
    join(dir, runPaths.rendition(top.name), SESSION_PLAYLIST),
    '-i',
    reference,
    '-lavfi',
    `[0:v]${align}[enc];[1:v]${align}[ref];[enc][ref]psnr=shortest=1:stats_file=${join(dir, 'psnr.log')}`,
    '-f',
    'null',
    '-',
  ]);
  const m = out.match(
    /PSNR y:([\d.]+|inf) u:([\d.]+|inf) v:([\d.]+|inf) average:([\d.]+|inf) min:([\d.]+|inf)/,
  );
  const perFrame = readFileSync(join(dir, 'psnr.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => Number(l.match(/psnr_y:([\d.]+|inf)/)?.[1]));
  return {
    psnrY: m ? round(Number(m[1])) : null,
    psnrAvg: m ? round(Number(m[4])) : null,
    psnrMinFrame: m ? round(Number(m[5])) : null,
    psnrFrames: perFrame.length,
    psnrFramesBelow30: perFrame.filter((v) => v < 30).length,
    psnrRunLateRtpWarnings: (log.match(/dropping old packet|received too late/g) ?? []).length,
  };
}

const round = (v, d = 2) => (Number.isFinite(v) ? Number(v.toFixed(d)) : null);

exitOnSignals();
const machine = await waitForQuiet();
const codeAtStart = codeVersion();
console.log(`machine: ${JSON.stringify(machine)}`);
const clip = await cameraClip();
const workDir = mkdtempSync(join(tmpdir(), 'stagecast-bench-cpu-'));
const rows = [];
try {
  for (const [i, tiles] of TILES.entries()) {
    // Between rows only others' processes can be running (this benchmark ended its own); its own load is still decaying.
    const before = i === 0 ? machine : await waitForQuiet({ maxLoad: 2.5, maxWaitMs: 5 * 60_000 });
    const row = await measure(tiles, clip, workDir);
    row.loadAtStart = before.loadAverage.load1;
    row.disturbed = row.othersCores > 0.2 || !before.quiet;
    row.loadAtEnd = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
    rows.push(row);
    console.log(JSON.stringify(row));
  }
} finally {
  if (!process.env.KEEP_BENCH_DATA) rmSync(workDir, { recursive: true, force: true });
  else console.log(`kept ${workDir}`);
}
const four = rows.find((r) => r.tiles === 4);
const nine = rows.find((r) => r.tiles === 9);
const goals = {
  fourTiles: four
    ? {
        goal: '≤ 0.75 core at PSNR ≥ 38 dB (720p rung)',
        cores: four.ffmpegCores,
        psnrY: four.psnrY,
        met: four.ffmpegCores <= 0.75 && (four.psnrY ?? 0) >= 38,
      }
    : null,
  nineTiles: nine
    ? {
        goal: 'real time (speed ≥ 1.0) with 15% headroom',
        speed: nine.speed,
        fellBehindMs: nine.fellBehindMs,
        capacitySpeed: nine.capacitySpeed,
        headroomPct: nine.headroomPct,
        met: nine.realTime && (nine.headroomPct ?? 0) >= 15,
      }
    : null,
};
saveSection('compositorCpu', {
  description: `transcoder SlotRelay + CompositeRun (production FFmpeg arguments: 9 video and 10 audio slots, grid, 720p/480p/360p ladder at quality step 0: ${step.topPreset} top rung, ${step.lowerPreset} lower rungs), N sources each a sender FFmpeg looping a 10 s 1280x720 30 fps VP8 clip (testsrc2 + light temporal noise, libvpx realtime 2 Mbit/s, 1 s GOP) with -re -stream_loop -1 -c copy. FFmpeg CPU = utime+stime from /proc/<pid>/stat over ${WINDOW_S} s after ${WARM_UP_S} s warm-up; real time = speed ≥ 0.99 and < 0.5 s fallen behind over the window; headroom = capacity speed − 1, where capacity = the same arguments with the RTP slots replaced by the same clip (and a 160x90 VP8 filler, silence) read from files as fast as FFmpeg goes, ${CAPACITY_S} s of media; PSNR: 720p rung vs a lossless (x264 -qp 0) encode of the same run's composite taken from the ladder's split (a second CompositeRun whose FFmpeg is bench/ffmpegWithReference.mjs; frame by frame, first ${PSNR_SKIP_FRAMES} frames skipped, ${PSNR_S} s run)`,
  machine,
  code: { atStart: codeAtStart, atEnd: codeVersion() },
  rows,
  goals,
});
console.log(
  markdownTable(rows, [
    { key: 'tiles', label: 'tiles' },
    { key: 'ffmpegCores', label: 'FFmpeg cores' },
    { key: 'speed', label: 'speed' },
    { key: 'fellBehindMs', label: 'fell behind (ms)' },
    { key: 'busiestThreadCores', label: 'busiest thread (cores)' },
    { key: 'capacitySpeed', label: 'capacity speed' },
    { key: 'headroomPct', label: 'headroom %' },
    { key: 'psnrY', label: '720p PSNR-Y dB' },
    { key: 'sendersCores', label: 'senders cores' },
  ]),
);
console.log(JSON.stringify(goals));
process.exit(0);
