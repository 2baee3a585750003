export interface NginxRtmpSettings {
  /** Where nginx writes its pid and error log. */
  dir: string;
  /** The module shipped by Debian's libnginx-mod-rtmp. */
  modulePath: string;
  host: string;
  port: number;
  /** Base of the ingest's callbacks (on the loopback, with the process's callback secret in the path). */
  callbackBase: string;
}

/** Debian's path of nginx-rtmp. */
export const NGINX_RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

/**
 * The RTMP front's nginx.conf: one `live` application that asks the ingest before accepting a
 * publisher (`on_publish`: a 2xx admits the stream key, anything else closes the connection
 * before any media work), tells it when the publisher stops, and asks again every few seconds
 * (`on_update`) so that a revoked key cuts the publisher off. Only the loopback may play,
 * which is where the ingest's FFmpeg reads the stream: publishers' keys never play anything.
 */
export function buildNginxRtmpConf(s: NginxRtmpSettings): string {
  const listen = s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
  // The ingest's FFmpeg plays from the address it reaches the front on (see rtmpPlayHost).
  const player = rtmpPlayHost(s.host);
  return `load_module ${s.modulePath};
daemon off;
worker_processes 1;
pid ${s.dir}/nginx.pid;
error_log ${s.dir}/error.log warn;
events { worker_connections 256; }
rtmp {
  server {
    listen ${listen};
    chunk_size 4096;
    notify_method post;
    application live {
      live on;
      record off;
      allow publish all;
      allow play ${player};
      deny play all;
      on_publish ${s.callbackBase}/publish;
      on_publish_done ${s.callbackBase}/done;
      on_update ${s.callbackBase}/update;
      notify_update_timeout 5s;
      notify_update_strict on;
      drop_idle_publisher 15s;
    }
  }
}
`;
}

/** Where the ingest's FFmpeg reads streams from: the listen address, or the loopback for any. */
export function rtmpPlayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}
