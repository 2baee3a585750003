import { describe, expect, it } from 'vitest';
import { buildRtmpIngestArgs } from './rtmpArgs.js';
import { buildNginxRtmpConf } from './nginxRtmpConf.js';

describe('RTMP ingest transcode and front', () => {
  it('transcodes to VP8 and Opus RTP with the producers SSRCs and payload types (golden)', () => {
    const args = buildRtmpIngestArgs({
      source: 'rtmp://127.0.0.1:1935/live/sk_key',
      video: { ip: '127.0.0.1', port: 40000, rtcpPort: 40001, ssrc: 11, payloadType: 101 },
      audio: { ip: '127.0.0.1', port: 40002, rtcpPort: 40003, ssrc: 22, payloadType: 100 },
    });
    expect(args.join(' ')).toBe(
      '-hide_banner -loglevel error -fflags nobuffer -rw_timeout 15000000 -i rtmp://127.0.0.1:1935/live/sk_key ' +
        '-map 0:v:0 -vf scale=w=640:h=360:force_original_aspect_ratio=decrease:force_divisible_by=2,fps=30 ' +
        '-c:v libvpx -deadline realtime -cpu-used 8 -lag-in-frames 0 -error-resilient 1 -b:v 900k -maxrate 900k ' +
        '-bufsize 900k -g 60 -keyint_min 60 -threads 2 -ssrc 11 -payload_type 101 -f rtp ' +
        'rtp://127.0.0.1:40000?rtcpport=40001&pkt_size=1200 ' +
        '-map 0:a:0 -c:a libopus -ar 48000 -ac 2 -b:a 96k -application lowdelay -ssrc 22 -payload_type 100 -f rtp ' +
        'rtp://127.0.0.1:40002?rtcpport=40003&pkt_size=1200',
    );
  });

  it('the front asks the ingest on publish, update and done, and lets only the ingest play', () => {
    const conf = buildNginxRtmpConf({
      dir: '/data/rtmp-front',
      modulePath: '/usr/lib/nginx/modules/ngx_rtmp_module.so',
      host: '0.0.0.0',
      port: 1935,
      callbackBase: 'http://127.0.0.1:8080/internal/rtmp/secret',
    });
    expect(conf).toContain('listen 0.0.0.0:1935;');
    expect(conf).toContain('on_publish http://127.0.0.1:8080/internal/rtmp/secret/publish;');
    expect(conf).toContain('on_update http://127.0.0.1:8080/internal/rtmp/secret/update;');
    expect(conf).toContain('on_publish_done http://127.0.0.1:8080/internal/rtmp/secret/done;');
    expect(conf).toMatch(/allow play 127\.0\.0\.1;\s+deny play all;/);
  });
});
