/**
 * Where `dialogue serve` says it can be reached (src/server/addresses.ts), for a machine's
 * interfaces as os.networkInterfaces() gives them: one address as it is; every interface as the
 * address for this machine and each one other machines may use.
 */
import type { NetworkInterfaceInfo } from "node:os";
import { describe, expect, it } from "vitest";
import { isAllInterfaces, reachOf } from "../../src/server/addresses.js";

const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({ address, netmask: "255.255.255.0", family: "IPv4", mac: "02:00:00:00:00:01", internal, cidr: `${address}/24` });
const v6 = (address: string, internal = false): NetworkInterfaceInfo => ({ address, netmask: "ffff:ffff:ffff:ffff::", family: "IPv6", mac: "02:00:00:00:00:01", internal, cidr: `${address}/64`, scopeid: 0 });
const MACHINE = {
  lo: [v4("127.0.0.1", true), v6("::1", true)],
  eth0: [v4("192.0.2.2"), v6("fd00::2"), v6("fe80::fc:ff:fe00:1")],
  wlan0: [v4("10.1.2.3")],
};

describe("where dialogue serve says it can be reached", () => {
  it("on one address: that address, as the server says it listens there", () => {
    expect(reachOf("127.0.0.1", 8080, "http://127.0.0.1:8080", MACHINE)).toEqual({ all: false, local: "http://127.0.0.1:8080", others: [] });
    expect(reachOf("192.0.2.2", 8080, "http://192.0.2.2:8080", MACHINE)).toEqual({ all: false, local: "http://192.0.2.2:8080", others: [] });
  });

  it("on 0.0.0.0: loopback for this machine, and every other IPv4 address of it for the others", () => {
    expect(reachOf("0.0.0.0", 8080, "http://127.0.0.1:8080", MACHINE)).toEqual({ all: true, local: "http://127.0.0.1:8080", others: ["http://192.0.2.2:8080", "http://10.1.2.3:8080"] });
  });

  it("on ::: IPv4 and IPv6 alike, IPv6 in brackets, link-local left out (a URL would need its zone)", () => {
    expect(reachOf("::", 9000, "http://[::1]:9000", MACHINE)).toEqual({
      all: true,
      local: "http://[::1]:9000",
      others: ["http://192.0.2.2:9000", "http://10.1.2.3:9000", "http://[fd00::2]:9000"],
    });
  });

  it("a machine with loopback only has no address for the others", () => {
    expect(reachOf("0.0.0.0", 8080, "http://127.0.0.1:8080", { lo: MACHINE.lo })).toEqual({ all: true, local: "http://127.0.0.1:8080", others: [] });
  });

  it("knows every interface from one", () => {
    expect(["0.0.0.0", "::", "[::]"].map(isAllInterfaces)).toEqual([true, true, true]);
    expect(["127.0.0.1", "localhost", "::1", "192.0.2.2"].map(isAllInterfaces)).toEqual([false, false, false, false]);
  });
});
