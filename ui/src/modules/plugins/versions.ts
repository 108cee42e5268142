// Which marketplace entries offer an installed plugin a newer version: the Plugins page's Upgrade button.
import type { MarketplaceEntry } from "@streamspace/schemas"

/** major.minor.patch as numbers; a pre-release or build suffix sorts with its release (manifests are plain semver). */
const parts = (version: string) => version.split(/[-+]/)[0]?.split(".").map(Number) ?? []

/** > 0 when a is newer than b, < 0 when older, 0 when the same release. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [parts(a), parts(b)]
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/** An entry is an upgrade when its plugin is installed at an older version. */
export const isUpgrade = (entry: MarketplaceEntry) =>
  entry.installedVersion !== null && compareVersions(entry.version, entry.installedVersion) > 0
