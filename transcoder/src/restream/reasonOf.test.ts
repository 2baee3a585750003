import { describe, expect, it } from 'vitest';
import { reasonOf } from './RestreamOutput.js';

describe('reasonOf', () => {
  it("keeps FFmpeg's error text without its level and context prefixes", () => {
    expect(
      reasonOf(
        '[error] [tcp @ 0x55d1c2a3b4c0] Connection to tcp://127.0.0.1:1935?tcp_nodelay=0 failed: Connection refused',
      ),
    ).toBe('Connection to tcp://127.0.0.1:1935?tcp_nodelay=0 failed: Connection refused');
    expect(reasonOf('[fatal] rtmp://host/live/••••abcd: Broken pipe')).toBe(
      'rtmp://host/live/••••abcd: Broken pipe',
    );
  });

  it('ignores warnings and plain lines', () => {
    expect(reasonOf('[warning] Non-monotonous DTS')).toBeNull();
    expect(reasonOf('frame=10')).toBeNull();
  });
});
