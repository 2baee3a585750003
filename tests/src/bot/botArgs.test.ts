import { describe, expect, it } from 'vitest';
import { buildBotClipArgs } from '../helpers/botClip.js';
import { buildBotFfmpegArgs, type BotMedia } from './botArgs.js';

const targets: Pick<BotMedia, 'videoTarget' | 'audioTarget'> = {
  videoTarget: { ip: '127.0.0.1', port: 40000, rtcpPort: 40001, ssrc: 11, payloadType: 101 },
  audioTarget: { ip: '127.0.0.1', port: 40002, rtcpPort: 40003, ssrc: 22, payloadType: 100 },
};

describe('buildBotFfmpegArgs', () => {
  it('copies a clip in real time, looped, without encoding', () => {
    const args = buildBotFfmpegArgs({
      name: 'Robo',
      video: 'testsrc',
      audio: 'sine',
      webm: '/c/robo.webm',
      ...targets,
    });
    // prettier-ignore
    expect(args).toEqual([
      '-hide_banner', '-loglevel', 'error',
      '-re', '-stream_loop', '-1', '-i', '/c/robo.webm',
      '-map', '0:v:0', '-c:v', 'copy',
      '-ssrc', '11', '-payload_type', '101', '-f', 'rtp', 'rtp://127.0.0.1:40000?rtcpport=40001&pkt_size=1200',
      '-map', '0:a:0', '-c:a', 'copy',
      '-ssrc', '22', '-payload_type', '100', '-f', 'rtp', 'rtp://127.0.0.1:40002?rtcpport=40003&pkt_size=1200',
    ]);
  });

  it('asks for progress lines only when a period is given', () => {
    const media: BotMedia = { name: 'Robo', video: 'testsrc', audio: 'sine', ...targets };
    expect(buildBotFfmpegArgs(media)).not.toContain('-stats');
    const args = buildBotFfmpegArgs({ ...media, statsPeriodS: 5 });
    expect(args.slice(0, 6)).toEqual(['-hide_banner', '-loglevel', 'error', '-stats', '-stats_period', '5']);
    expect(args).toContain('libvpx');
  });
});

describe('buildBotClipArgs', () => {
  it('encodes 10 s of VP8 + Opus WebM with the name read from a file', () => {
    const args = buildBotClipArgs({ nameFile: 'n.txt', output: 'out.tmp' });
    expect(args.slice(-3)).toEqual(['-f', 'webm', 'out.tmp']);
    expect(args[args.indexOf('-t') + 1]).toBe('10');
    expect(args[args.indexOf('-vf') + 1]).toContain('textfile=n.txt:expansion=none:'); // a % in a name is drawn, not expanded
    expect(args[args.indexOf('-c:v') + 1]).toBe('libvpx');
    expect(args[args.indexOf('-c:a') + 1]).toBe('libopus');
  });
});
