// Matches a URL against an install's http allowlist of URL prefixes (same origin, path under the prefix).
// A prefix whose host is `*` (https://*) admits any host and port of that scheme: for plugins whose
// destinations an admin chooses at run time (webhooks); the core's SSRF guard still keeps them public.
const parse = (url: string): URL | undefined => {
  try {
    return new URL(url)
  } catch {
    return undefined
  }
}

export const urlAllowed = (url: string, allow: readonly string[]): boolean => {
  const target = parse(url)
  if (target === undefined || (target.protocol !== "https:" && target.protocol !== "http:")) return false
  // Credentials in a URL would let a plugin address another account at an allowed origin.
  if (target.username !== "" || target.password !== "") return false
  return allow.some((entry) => {
    const prefix = parse(entry)
    if (prefix === undefined) return false
    if (prefix.hostname === "*") {
      if (prefix.protocol !== target.protocol) return false
    } else if (prefix.origin !== target.origin) return false
    const base = prefix.pathname.endsWith("/") ? prefix.pathname : `${prefix.pathname}/`
    return target.pathname === prefix.pathname || target.pathname.startsWith(base)
  })
}
