import { describe, expect, it } from 'vitest';
import { rtcpBye } from './rtcp.js';

describe('rtcpBye', () => {
  it('is an empty receiver report followed by a BYE for the source', () => {
    expect(rtcpBye(0xdeadbeef).toString('hex')).toBe('80c90001deadbeef' + '81cb0001deadbeef');
  });
});
