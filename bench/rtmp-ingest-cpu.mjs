// `node bench/rtmp-ingest-cpu.mjs [seconds]`: the CPU of one RTMP ingest transcode (the
// ingest's own FFmpeg arguments, buildRtmpIngestArgs) for a 1280x720 30 fps H.264 + AAC
// publisher, as OBS sends by default, read at its own pace. Prints the share of one core.
// Build the ingest first (`npx turbo run build`).
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRtmpIngestArgs } from '../ingest/dist/ingress/rtmp/rtmpArgs.js';

const seconds = Number(process.argv[2] ?? 30);
const dir = mkdtempSync(join(tmpdir(), 'stagecast-rtmp-bench-'));
const clip = join(dir, 'obs.flv');
// Encoded beforehand: the publisher's own encode is not the ingest's cost.
// prettier-ignore
const made = spawnSync('ffmpeg', [
  '-hide_banner', '-loglevel', 'error',
  '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=30:duration=${seconds + 5}`,
  '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds + 5}`,
  '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '2500k', '-g', '60', '-pix_fmt', 'yuv420p',
  '-c:a', 'aac', '-b:a', '128k', '-f', 'flv', clip,
]);
if (made.status !== 0) throw new Error(`clip: ${made.stderr}`);

// Somewhere for the RTP to go (a closed port would make FFmpeg's sends fail).
const sockets = await Promise.all(
  [0, 1, 2, 3].map(
    () =>
      new Promise((resolve) => {
        const s = createSocket('udp4');
        s.on('message', () => undefined);
        s.bind(0, '127.0.0.1', () => resolve(s));
      }),
  ),
);
const [v, vr, a, ar] = sockets.map((s) => s.address().port);
const args = buildRtmpIngestArgs({
  source: clip,
  video: { ip: '127.0.0.1', port: v, rtcpPort: vr, ssrc: 1111, payloadType: 101 },
  audio: { ip: '127.0.0.1', port: a, rtcpPort: ar, ssrc: 2222, payloadType: 100 },
});
// Paced like a live publisher; -rw_timeout is for network inputs only.
const input = args.indexOf('-i');
args.splice(input, 0, '-re');
args.splice(args.indexOf('-rw_timeout'), 2);
const ffmpeg = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'inherit'] });
const ticks = () => {
  const fields = readFileSync(`/proc/${ffmpeg.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100 Hz)
};
await new Promise((resolve) => setTimeout(resolve, 3000)); // past start-up
const t0 = ticks();
const w0 = Date.now();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
const used = (ticks() - t0) / 100;
const wall = (Date.now() - w0) / 1000;
ffmpeg.kill('SIGKILL');
for (const s of sockets) s.close();
rmSync(dir, { recursive: true, force: true });
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(
  JSON.stringify({
    bench: 'rtmp-ingest-cpu',
    input: '1280x720 30 fps H.264 + AAC',
    output: 'VP8 640x360 30 fps 900 kb/s + Opus 96 kb/s',
    seconds: wall,
    coreShare: Number((used / wall).toFixed(3)),
    loadAverage: load,
  }),
);
