import { describe, expect, it } from 'vitest';
import { hlsLayout, hlsPaths } from './hls.js';

describe('hlsLayout', () => {
  it('serves each file at its path on disk', () => {
    expect(hlsPaths.master('r1')).toBe('/hls/r1/master.m3u8');
    expect(hlsPaths.media('r1', '720p')).toBe('/hls/r1/720p/index.m3u8');
    expect(hlsPaths.vodMaster('r1', 'b1')).toBe('/vod/r1/b1/master.m3u8');
    expect(hlsPaths.master('r1')).toBe(`/${hlsLayout.liveDir('r1')}/${hlsLayout.master}`);
  });

  it('keeps the folders under their roots', () => {
    expect(hlsLayout.liveDir('r1').startsWith(`${hlsLayout.liveRoot}/`)).toBe(true);
    expect(hlsLayout.recordingDir('r1', 'b1').startsWith(`${hlsLayout.recordingsRoot}/`)).toBe(true);
    expect(hlsLayout.segment('b1', 7)).toBe('b1-7.m4s');
    expect(hlsLayout.part('b1', 30)).toBe('b1-p30.m4s');
    expect(hlsLayout.init('b1', 7)).toBe('b1-init7.mp4');
  });
});
