/**
 * The role-link code from `/host/<code>` (or `/embed/host/<code>`). The ingest server serves
 * this page for those paths only, so anything else is a mistyped or truncated link.
 */
export function codeFromPath(pathname: string): string | null {
  const match = /\/host\/([A-Za-z0-9_-]{1,128})\/?$/.exec(pathname);
  return match?.[1] ?? null;
}
