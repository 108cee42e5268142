// A sign-in's user agent as people recognise it: "Chrome on Linux", "Firefox on Windows".
const BROWSERS: [RegExp, string][] = [
  [/Edg\//, "Edge"],
  [/OPR\//, "Opera"],
  [/Firefox\//, "Firefox"],
  [/Chrom(e|ium)\//, "Chrome"],
  [/Safari\//, "Safari"],
  [/curl\//, "curl"],
]
const SYSTEMS: [RegExp, string][] = [
  [/Android/, "Android"],
  [/iPhone|iPad|iPod/, "iOS"],
  [/Windows/, "Windows"],
  [/Mac OS X|Macintosh/, "macOS"],
  [/CrOS/, "ChromeOS"],
  [/Linux/, "Linux"],
]

export function deviceOf(userAgent: string): string {
  if (!userAgent.trim()) return "Unknown device"
  const browser = BROWSERS.find(([re]) => re.test(userAgent))?.[1]
  const system = SYSTEMS.find(([re]) => re.test(userAgent))?.[1]
  if (browser && system) return `${browser} on ${system}`
  // Anything else (an API client, a script): its own first word is the most telling.
  return browser ?? system ?? userAgent.split(/[\s/]/)[0]?.slice(0, 40) ?? "Unknown device"
}
