// A catalog template for tests that launch sessions: its name is unique, so test files may share a core.
import type { TestUser } from "./test-core.ts"

export async function xtermTemplate(admin: TestUser): Promise<string> {
  const { data } = await admin.api.templates.post({
    name: `xterm-${Math.random().toString(36).slice(2, 8)}`,
    displayName: "XTerm",
    category: "Development",
    image: "streamspace/desktop:latest",
    resources: { cpu: 1, memory: 512 },
  })
  return data?.id as string
}
