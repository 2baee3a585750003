/**
 * A random id for idempotent chat sends. `crypto.randomUUID` exists only in secure contexts,
 * and a self-hosted server may be reached over plain HTTP on a LAN.
 */
export function newId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
