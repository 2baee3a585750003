import { describe, expect, it } from 'vitest';
import { buildRestreamArgs } from './buildRestreamArgs.js';

/** A flag and its value per line, so diffs stay readable. */
function golden(args: string[]): string {
  const lines: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const next = args[i + 1];
    if (arg.startsWith('-') && next !== undefined && !next.startsWith('-')) {
      lines.push(`${arg} ${next}`);
      i++;
    } else lines.push(arg);
  }
  return `${lines.join('\n')}\n`;
}

describe('buildRestreamArgs', () => {
  it('copies the top rung into FLV for one RTMP destination (golden)', async () => {
    await expect(golden(buildRestreamArgs('rtmp://127.0.0.1:1935/live/abc'))).toMatchFileSnapshot(
      '__golden__/rtmp-copy.txt',
    );
  });

  it('never encodes: stream copy of one video and one audio stream', () => {
    const args = buildRestreamArgs('rtmps://live.example.com/app/key');
    expect(args).not.toContain('libx264');
    expect(args).not.toContain('aac');
    expect(args.join(' ')).toContain('-map 0:v:0 -map 0:a:0 -c copy -f flv');
  });

  it('puts the target last (the adapter treats the last argument as the output)', () => {
    expect(buildRestreamArgs('rtmps://live.example.com/app/key').at(-1)).toBe(
      'rtmps://live.example.com/app/key',
    );
  });
});
