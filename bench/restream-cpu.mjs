// CPU cost of one restream destination: the transcoder's restream FFmpeg (its command line
// from transcoder/dist, stream copy into FLV) fed a 720p30 2.5 Mbit/s top rung part by part
// at real-time pace, as the playlist writer publishes them, pushing to a local nginx-rtmp
// (Debian's libnginx-mod-rtmp). Prints the FFmpeg's CPU (% of one core) over the run, read
// from /proc. Needs `npm run build`, ffmpeg and nginx with the RTMP module.
// BENCH_RESTREAM_SECONDS (default 30).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineNote } from './lib.mjs';

const { buildRestreamArgs } = await import(
  new URL('../transcoder/dist/restream/buildRestreamArgs.js', import.meta.url).href
);
const SECONDS = Number(process.env.BENCH_RESTREAM_SECONDS ?? 30);
const PART_S = 0.5;
const dir = mkdtempSync(join(tmpdir(), 'restream-bench-'));
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
const cpuTicks = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The top rung as the compositor writes it: fMP4 parts of 0.5 s, a key frame every 2 s.
console.error(`encoding a ${SECONDS} s 720p clip…`);
execFileSync('ffmpeg', [
  ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30'],
  ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(SECONDS + 2)],
  ...['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-b:v', '2500k'],
  ...['-force_key_frames', 'expr:gte(t,n_forced*2)', '-c:a', 'aac', '-b:a', '128k', '-ac', '2'],
  ...['-f', 'hls', '-hls_time', String(PART_S), '-hls_list_size', '0', '-hls_segment_type', 'fmp4'],
  ...['-hls_fmp4_init_filename', 'init.mp4', '-hls_flags', 'split_by_time'],
  ...['-hls_segment_filename', join(dir, 'p%d.m4s'), join(dir, 'top.m3u8')],
]);
const parts = readdirSync(dir)
  .filter((f) => /^p\d+\.m4s$/.test(f))
  .sort((a, b) => Number(a.slice(1, -4)) - Number(b.slice(1, -4)));

const port = await freePort();
writeFileSync(
  join(dir, 'nginx.conf'),
  `load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
daemon off; master_process off; pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'error.log')} warn;
events { worker_connections 64; }
rtmp { server { listen 127.0.0.1:${port}; application live { live on; record off; } } }
`,
);
const nginx = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
for (let i = 0; i < 50; i++) {
  const up = await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket.end() && true)).on('error', () =>
      resolve(false),
    );
  });
  if (up) break;
  await sleep(100);
}

const ffmpeg = spawn('ffmpeg', buildRestreamArgs(`rtmp://127.0.0.1:${port}/live/bench`), {
  stdio: ['pipe', 'ignore', 'inherit'],
});
ffmpeg.stdin.write(readFileSync(join(dir, 'init.mp4')));
const startTicks = cpuTicks(ffmpeg.pid);
const started = Date.now();
let fed = 0;
for (const [i, part] of parts.entries()) {
  if (i * PART_S >= SECONDS) break;
  ffmpeg.stdin.write(readFileSync(join(dir, part)));
  fed += PART_S;
  await sleep(Math.max(0, started + (i + 1) * PART_S * 1000 - Date.now()));
}
const wallS = (Date.now() - started) / 1000;
const cpuS = (cpuTicks(ffmpeg.pid) - startTicks) / ticksPerSecond;
ffmpeg.stdin.end();
await new Promise((resolve) => ffmpeg.once('exit', resolve));
nginx.kill('SIGKILL');
rmSync(dir, { recursive: true, force: true });

console.log(machineNote());
console.log(
  `restream FFmpeg (stream copy, 720p30 2.5 Mbit/s + AAC 128 kbit/s → nginx-rtmp): ` +
    `${((cpuS / wallS) * 100).toFixed(1)}% of one core (${cpuS.toFixed(2)} s CPU over ${wallS.toFixed(1)} s, ${fed} s of media)`,
);
