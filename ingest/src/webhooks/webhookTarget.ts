import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * Addresses a webhook must never be sent to: link-local networks, where clouds answer their
 * instance metadata (credentials included) to any local process, and AWS's IPv6 metadata.
 */
const METADATA_NETWORKS = new BlockList();
METADATA_NETWORKS.addSubnet('169.254.0.0', 16, 'ipv4');
METADATA_NETWORKS.addSubnet('fe80::', 10, 'ipv6');
METADATA_NETWORKS.addAddress('fd00:ec2::254', 'ipv6');

/** Names the clouds give their metadata services. */
const METADATA_HOSTS = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('0.0.0.0', 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addAddress('::', 'ipv6');

/** Where this ingest answers: its port on this machine, and its public URL. */
export interface IngestSelf {
  port: () => number;
  publicUrl?: string | undefined;
}

/**
 * Why a webhook URL (already checked to be absolute http(s)) points somewhere it must not, or
 * null. Checked on what the URL says at registration: hostnames are not resolved here, so a
 * name that resolves to a metadata address later is not caught (see the README).
 */
export function refusedWebhookTarget(url: URL, self: IngestSelf): string | null {
  const host = url.hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  const family = isIP(host);
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (METADATA_HOSTS.has(host) || (family !== 0 && METADATA_NETWORKS.check(host, type)))
    return 'a link-local or cloud metadata address';
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (self.publicUrl && url.origin === new URL(self.publicUrl).origin) return 'this server itself';
  if (port !== self.port()) return null;
  const local =
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    (family !== 0 && (LOOPBACK.check(host, type) || ownAddresses().has(host)));
  return local ? 'this server itself' : null;
}

/** This machine's own interface addresses. */
function ownAddresses(): Set<string> {
  return new Set(
    Object.values(networkInterfaces())
      .flat()
      .map((info) => info?.address.toLowerCase())
      .filter((address) => address !== undefined),
  );
}
