// Ambient types for `import … from "host:api"` in plugin code (add this file to the plugin's tsconfig "types").
declare module "host:api" {
  type HostModule = import("./types.ts").HostModule
  export const log: HostModule["log"]
  export const kv: HostModule["kv"]
  export const http: HostModule["http"]
  export const sessions: HostModule["sessions"]
  export const users: HostModule["users"]
  export const crypto: HostModule["crypto"]
  export const secrets: HostModule["secrets"]
  export const clock: HostModule["clock"]
  export const config: HostModule["config"]
  export const install: HostModule["install"]
}
