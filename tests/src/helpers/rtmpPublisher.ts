import { spawn, type ChildProcess } from 'node:child_process';

export interface RtmpPublisher {
  ffmpeg: ChildProcess;
  /** FFmpeg's exit code once it ends. */
  exited: Promise<number | null>;
  /** What FFmpeg wrote to stderr (errors only). */
  log: string[];
}

/**
 * An RTMP publisher as OBS is one: FFmpeg sending a test pattern and a tone as H.264 + AAC in
 * FLV, at the source's own pace, until it is cut off or killed.
 */
export function publishRtmp(url: string, picture = { size: '640x360', rate: 30 }): RtmpPublisher {
  const log: string[] = [];
  // prettier-ignore
  const ffmpeg = spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'error',
    '-re', '-f', 'lavfi', '-i', `testsrc=size=${picture.size}:rate=${picture.rate}`,
    '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
    '-g', String(picture.rate * 2),
    '-c:a', 'aac', '-b:a', '96k',
    '-f', 'flv', url,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  ffmpeg.stderr?.setEncoding('utf8').on('data', (text: string) => log.push(text));
  const exited = new Promise<number | null>((resolve) => ffmpeg.once('exit', (code) => resolve(code)));
  return { ffmpeg, exited, log };
}
