import { isIP } from 'node:net';

/** Where the HTTP endpoint listens: `--http`, config `http.listen`, env CLOUDTRAIL_SLACK_HTTP. */
export interface ListenAddress {
  host: string;
  /** 0 asks the system for a free port (tests). */
  port: number;
}

/** A bare port means this host only: the endpoint shows region health and alert summaries, not for the world. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

export const LISTEN_EXPECTED = 'a port like 9464, or host:port like 127.0.0.1:9464, 0.0.0.0:9464 or [::1]:9464';

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * `9464` → 127.0.0.1:9464; `0.0.0.0:9464`, `localhost:9464`, `[::1]:9464` as given. Returns undefined for anything
 * else (no scheme, no path, a port from 0 to 65535 in decimal).
 */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const value = text.trim();
  const port = (digits: string | undefined) => {
    if (digits === undefined || !/^\d{1,5}$/.test(digits)) return undefined;
    const n = Number(digits);
    return n <= 65_535 ? n : undefined;
  };
  if (/^\d+$/.test(value)) {
    const p = port(value);
    return p === undefined ? undefined : { host: DEFAULT_LISTEN_HOST, port: p };
  }
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(value);
  if (bracketed) {
    const p = port(bracketed[2]);
    const host = bracketed[1] ?? '';
    return p !== undefined && isIP(host) === 6 ? { host, port: p } : undefined;
  }
  const colon = value.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const host = value.slice(0, colon);
  const p = port(value.slice(colon + 1));
  if (p === undefined) return undefined;
  return isIP(host) === 4 || (isIP(host) === 0 && HOST_NAME.test(host)) ? { host, port: p } : undefined;
}

/** For logs and the demo: http://127.0.0.1:9464, http://[::1]:9464. */
export function formatListenUrl(address: ListenAddress): string {
  const host = isIP(address.host) === 6 ? `[${address.host}]` : address.host;
  return `http://${host}:${address.port}`;
}
