// Writes schemas/generated/plugin-manifest.schema.json from the TypeBox manifest shape.
import { pluginManifestJsonSchema } from "../src/plugin-manifest-json-schema.ts"

const target = new URL("../generated/plugin-manifest.schema.json", import.meta.url)
await Bun.write(target, pluginManifestJsonSchema())
console.log(`wrote ${target.pathname}`)
