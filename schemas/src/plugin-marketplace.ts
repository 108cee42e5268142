// A local marketplace index (marketplace.json): plugins with their manifest, bundle path and the bundle's sha256.
import { type Static, Type } from "@sinclair/typebox"
import { Sha256 } from "./plugin-admin.ts"

export const MarketplaceIndexEntry = Type.Object(
  {
    manifest: Type.Union([Type.String({ minLength: 1 }), Type.Record(Type.String(), Type.Unknown())], {
      description: "Path of manifest.json relative to the index, or the manifest itself",
    }),
    bundle: Type.String({ minLength: 1, description: "Path of the ESM bundle relative to the index" }),
    sha256: Sha256,
  },
  { additionalProperties: false },
)
export type MarketplaceIndexEntry = Static<typeof MarketplaceIndexEntry>

export const MarketplaceIndex = Type.Object({
  plugins: Type.Array(MarketplaceIndexEntry, { maxItems: 1000 }),
})
export type MarketplaceIndex = Static<typeof MarketplaceIndex>
