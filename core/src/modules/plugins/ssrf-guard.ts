// The SSRF guard on plugins' http.fetch: resolve the host, refuse non-public addresses, connect to the address checked.
import { lookup } from "node:dns/promises"
import { HostCallError } from "@streamspace/plugin-runtime/host"
import ipaddr from "ipaddr.js"

type Address = ipaddr.IPv4 | ipaddr.IPv6

/** What an operator allowed despite being private (PLUGIN_HTTP_ALLOW_PRIVATE): host names and CIDR ranges. */
export interface PrivateAllowance {
  hosts: ReadonlySet<string>
  ranges: readonly [Address, number][]
}

export class AllowanceError extends Error {}

/** Parses `10.0.0.0/8, 127.0.0.1, [::1], hooks.internal`: CIDRs, single addresses, host names. */
export const parseAllowance = (entries: readonly string[]): PrivateAllowance => {
  const hosts = new Set<string>()
  const ranges: [Address, number][] = []
  for (const raw of entries) {
    const entry = raw
      .trim()
      .toLowerCase()
      .replace(/^\[(.*)\]$/, "$1")
    if (entry === "") continue
    if (entry.includes("/")) {
      try {
        ranges.push(ipaddr.parseCIDR(entry))
      } catch {
        throw new AllowanceError(`"${raw}" is not a CIDR range such as 10.0.0.0/8 or fd00::/8.`)
      }
    } else if (ipaddr.isValid(entry)) {
      const address = ipaddr.parse(entry)
      ranges.push([address, address.kind() === "ipv4" ? 32 : 128])
    } else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(entry)) {
      hosts.add(entry)
    } else {
      throw new AllowanceError(`"${raw}" is neither an address, a CIDR range nor a host name.`)
    }
  }
  return { hosts, ranges }
}

/** An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is judged as the IPv4 address it reaches. */
const unmapped = (address: Address): Address =>
  address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address

/**
 * Only global unicast is public. Everything else ipaddr.js names is refused: loopback, private (RFC 1918),
 * unique local (fc00::/7), link-local (169.254/16 with the cloud metadata address, fe80::/10), CGNAT
 * (100.64/10), unspecified (0.0.0.0, ::), multicast, broadcast, reserved, and the v6 forms that embed
 * an IPv4 address (6to4, Teredo, NAT64) since that address may be private.
 */
const rangeOf = (address: Address): string => unmapped(address).range()

const inAllowedRange = (address: Address, allowance: PrivateAllowance): boolean => {
  const candidates = [address, unmapped(address)]
  return allowance.ranges.some(([base, bits]) =>
    candidates.some((a) => a.kind() === base.kind() && (a as ipaddr.IPv4).match(base as ipaddr.IPv4, bits)),
  )
}

export type Resolver = (hostname: string) => Promise<string[]>
const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true })).map((r) => r.address)

/** The address to connect to, checked; throws HOST_PERMISSION_DENIED for a non-public one the operator did not allow. */
export const checkedAddress = async (
  url: URL,
  allowance: PrivateAllowance,
  resolve: Resolver = systemResolver,
): Promise<string> => {
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase()
  let addresses: string[]
  if (ipaddr.isValid(hostname)) addresses = [hostname]
  else {
    try {
      addresses = await resolve(hostname)
    } catch (error) {
      throw new HostCallError("HOST_CALL_FAILED", `${hostname} does not resolve: ${(error as Error).message}`)
    }
  }
  if (addresses.length === 0) throw new HostCallError("HOST_CALL_FAILED", `${hostname} does not resolve to any address.`)
  const namedHost = allowance.hosts.has(hostname)
  // Every address must pass, not just the first: a name with one public and one private record must not
  // reach the private one on another attempt.
  for (const text of addresses) {
    const address = ipaddr.parse(text)
    const range = rangeOf(address)
    if (range === "unicast" || namedHost || inAllowedRange(address, allowance)) continue
    throw new HostCallError(
      "HOST_PERMISSION_DENIED",
      `${url.host} resolves to ${text}, a ${range} address; plugins may only reach public addresses unless an operator allows it in PLUGIN_HTTP_ALLOW_PRIVATE.`,
    )
  }
  return addresses[0] as string
}

/**
 * fetch, pinned to the address that was checked: the URL's host is replaced by the address, the Host header
 * and TLS server name keep the original name, so a second DNS answer (rebinding) cannot redirect the
 * connection. Redirects are not followed by the caller (fetchWithLimits), so a 30x to a private address is
 * only ever a response the plugin reads.
 */
export const guardedFetch =
  (allowance: PrivateAllowance, resolve?: Resolver) =>
  async (input: string, init: RequestInit): Promise<Response> => {
    const url = new URL(input)
    const address = await checkedAddress(url, allowance, resolve)
    const pinned = new URL(url)
    pinned.hostname = address.includes(":") ? `[${address}]` : address
    const headers = new Headers(init.headers)
    headers.set("host", url.host)
    // The certificate is checked against the name, not the address (tls options given by the caller are kept).
    const given = (init as { tls?: Record<string, unknown> }).tls
    const tls = url.protocol === "https:" ? { tls: { ...given, serverName: url.hostname } } : {}
    return fetch(pinned, { ...init, headers, redirect: "manual", ...tls })
  }
