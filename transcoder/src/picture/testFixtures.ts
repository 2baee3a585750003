import type { StageTile } from '@stagecast/protocol';

// Shared by the unit tests; tsconfig.build.json leaves this file out of the build.

/** A camera tile of person `i` on stage. */
export const tile = (i: number, over: Partial<StageTile> = {}): StageTile => ({
  peerId: `p${i}`,
  name: `Person ${i}`,
  source: 'camera',
  videoProducerId: `v${i}`,
  ...over,
});

/** FFmpeg's av_get_token: one token up to an unescaped `term` character; `\\` escapes, '…' quotes. */
export function getToken(input: string, from: number, terms: string): { token: string; next: number } {
  let i = from;
  while (input[i] === ' ') i++;
  let out = '';
  let lastLiteral = 0;
  for (; i < input.length && !terms.includes(input[i]!); i++) {
    const c = input[i]!;
    if (c === '\\' && i + 1 < input.length) {
      out += input[++i];
      lastLiteral = out.length;
    } else if (c === "'") {
      for (i++; i < input.length && input[i] !== "'"; i++) out += input[i];
      lastLiteral = out.length;
    } else {
      out += c;
    }
  }
  // Trailing unescaped whitespace is dropped.
  while (out.length > lastLiteral && out.endsWith(' ')) out = out.slice(0, -1);
  return { token: out, next: i };
}
