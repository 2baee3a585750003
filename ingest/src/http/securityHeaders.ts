/**
 * Headers of the apps' HTML. The apps load only their own scripts and style sheets (Svelte's
 * `style:` directives go through the CSSOM, which CSP does not govern); hls.js plays through
 * Media Source Extensions (a `blob:` media URL) and may start its transmuxer as a `blob:`
 * worker. `frame-ancestors` decides who may embed the apps (`STAGECAST_FRAME_ANCESTORS`).
 * `connectOrigins` are the other origins the apps may connect to: with several ingest
 * processes, a page served by one follows the room's stage to the process that holds it.
 */
export function appPageHeaders(
  frameAncestors: string,
  connectOrigins: readonly string[],
): Record<string, string> {
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    // 'self' also covers WebSockets to the same host (CSP level 3); another origin's do not
    // follow from its http(s) form, so Socket.IO's ws(s) URL is listed with it.
    ["connect-src 'self'", ...connectOrigins.flatMap((o) => [o, o.replace(/^http/, 'ws')])].join(' '),
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors}`,
  ].join('; ');
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    // Role links carry their code in the path: never send it on to other sites.
    'referrer-policy': 'no-referrer',
  };
}
