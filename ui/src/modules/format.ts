// How times and sizes read in the portal: "5 min ago", local date and time.
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" })
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" })

const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 30],
  ["month", 12],
  ["year", Number.POSITIVE_INFINITY],
]

export function timeAgo(iso: string | null, now = Date.now()): string {
  if (!iso) return "never"
  let value = (Date.parse(iso) - now) / 1000
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit)
    value /= size
  }
  return dateTime(iso)
}

export const dateTime = (iso: string | null): string => (iso ? dateTimeFormat.format(new Date(iso)) : "—")

export const memory = (mib: number): string => (mib >= 1024 ? `${+(mib / 1024).toFixed(1)} GiB` : `${mib} MiB`)
