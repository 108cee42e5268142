// Matches a URL against an install's http allowlist of URL prefixes (same origin, path under the prefix).
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
    if (prefix === undefined || prefix.origin !== target.origin) return false
    const base = prefix.pathname.endsWith("/") ? prefix.pathname : `${prefix.pathname}/`
    return target.pathname === prefix.pathname || target.pathname.startsWith(base)
  })
}
