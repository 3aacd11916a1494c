/**
 * Where `dialogue serve` can be reached, said truthfully. Listening on one address (a loopback, or
 * one the user named), that address. Listening on every interface (0.0.0.0, or :: for IPv6 and
 * IPv4 alike), the address to open on this machine and each one other machines may use: every
 * interface's address but loopback and link-local ones (fe80::, which need a zone in a URL).
 */
import type { NetworkInterfaceInfo } from "node:os";

export interface Reach {
  /** listening on every interface of this machine */
  all: boolean;
  /** the address to open on this machine */
  local: string;
  /** when `all`: the addresses other machines may use, IPv4 first; may be empty */
  others: string[];
}

const ALL_V4 = "0.0.0.0";
const ALL_V6 = new Set(["::", "[::]", "::0", "0:0:0:0:0:0:0:0"]);

const urlOf = (address: string, port: number): string => `http://${address.includes(":") ? `[${address}]` : address}:${port}`;

/** 0.0.0.0 (every IPv4 interface) or :: (every interface, IPv6 and IPv4) */
export function isAllInterfaces(host: string): boolean {
  const h = host.trim();
  return h === ALL_V4 || ALL_V6.has(h);
}

/** `listening`: the address the server said it listens on (for one address, what is printed) */
export function reachOf(host: string, port: number, listening: string, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): Reach {
  if (!isAllInterfaces(host)) return { all: false, local: listening, others: [] };
  const v6 = host.trim() !== ALL_V4;
  const found = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((i) => !i.internal && (i.family === "IPv4" || (v6 && i.family === "IPv6" && !/^fe[89ab]/i.test(i.address))));
  const ordered = [...found.filter((i) => i.family === "IPv4"), ...found.filter((i) => i.family === "IPv6")];
  return { all: true, local: urlOf(v6 ? "::1" : "127.0.0.1", port), others: [...new Set(ordered.map((i) => urlOf(i.address, port)))] };
}
