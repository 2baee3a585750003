#!/usr/bin/env node
// FFmpeg with one more output, for the compositor-cpu benchmark's PSNR run: CompositeRun
// starts this script as its FFmpeg (`ffmpegPath`), so the run is set up exactly as in
// production (slots SDP, ports, arguments); the script adds a branch to the graph's `split`
// (the composite before the ladder's scaling and encoding) and encodes it losslessly to
// $BENCH_REFERENCE_OUT. Without that variable (fluent-ffmpeg's -formats/-encoders checks)
// it is plain FFmpeg.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const args = process.argv.slice(2);
const out = process.env.BENCH_REFERENCE_OUT;
const graphAt = args.indexOf('-filter_complex') + 1;
if (out && graphAt > 0) {
  const split = args[graphAt].match(/split=(\d+)((?:\[vs\d+\])+)/);
  if (!split) {
    console.error('ffmpegWithReference: the graph has no split of the ladder to branch from');
    process.exit(2);
  }
  args[graphAt] = args[graphAt].replace(split[0], `split=${Number(split[1]) + 1}${split[2]}[vref]`);
  // The same frame clock as the ladder's outputs (`-r` and `-fps_mode vfr`): without it FFmpeg
  // would drop frames to the lower rate the graph's frame-step filters declare.
  const rate = args[args.indexOf('-r') + 1] ?? '30';
  args.push('-map', '[vref]', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0');
  args.push('-r', rate, '-fps_mode:v', 'vfr', '-f', 'nut', out);
}
// FFmpeg dies with this script (as the transcoder's FFmpeg dies with the transcoder).
const setpriv = '/usr/bin/setpriv';
const child = existsSync(setpriv)
  ? spawn(setpriv, ['--pdeathsig', 'KILL', 'ffmpeg', ...args], { stdio: 'inherit' })
  : spawn('ffmpeg', args, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
