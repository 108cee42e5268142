// A template as the edit form holds it (text inputs), and back to the API's TemplateInput.
import type { Template, TemplateInput } from "@streamspace/schemas"

export interface TemplateForm {
  name: string
  displayName: string
  description: string
  category: string
  tags: string[]
  icon: string
  image: string
  vncPort: string
  cpu: string
  memory: string
  homePath: string
  /** One KEY=value per line. */
  env: string
  allowOutbound: boolean
  enabled: boolean
}

export const toForm = (t?: Template): TemplateForm => ({
  name: t?.name ?? "",
  displayName: t?.displayName ?? "",
  description: t?.description ?? "",
  category: t?.category ?? "",
  tags: [...(t?.tags ?? [])],
  icon: t?.icon ?? "",
  image: t?.image ?? "",
  vncPort: String(t?.vncPort ?? 5900),
  cpu: String(t?.resources.cpu ?? 1),
  memory: String(t?.resources.memory ?? 1024),
  homePath: t?.homePath ?? "/home/user",
  env: Object.entries(t?.env ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join("\n"),
  allowOutbound: t?.allowOutbound ?? false,
  enabled: t?.enabled ?? true,
})

export type FormResult = { input: TemplateInput; errors: null } | { input: null; errors: Record<string, string> }

/**
 * Only what the form itself can know is checked here (numbers, KEY=value lines); every other rule
 * is the control plane's, whose field errors use the same keys ("resources/cpu", "env").
 */
export function fromForm(f: TemplateForm): FormResult {
  const errors: Record<string, string> = {}
  const number = (text: string, key: string) => {
    const n = Number(text.trim())
    if (text.trim() === "" || !Number.isFinite(n)) errors[key] = "Enter a number."
    return n
  }
  const cpu = number(f.cpu, "resources/cpu")
  const memory = number(f.memory, "resources/memory")
  const vncPort = number(f.vncPort, "vncPort")
  const env: Record<string, string> = {}
  f.env.split("\n").forEach((line, i) => {
    if (!line.trim()) return
    const eq = line.indexOf("=")
    if (eq <= 0) errors.env = `Line ${i + 1} is not KEY=value.`
    else env[line.slice(0, eq).trim()] = line.slice(eq + 1)
  })
  if (Object.keys(errors).length) return { input: null, errors }
  return {
    errors: null,
    input: {
      name: f.name.trim(),
      displayName: f.displayName.trim(),
      description: f.description.trim(),
      category: f.category.trim(),
      tags: f.tags.map((t) => t.trim()).filter(Boolean),
      icon: f.icon.trim(),
      image: f.image.trim(),
      vncPort,
      resources: { cpu, memory },
      env,
      homePath: f.homePath.trim(),
      allowOutbound: f.allowOutbound,
      enabled: f.enabled,
    },
  }
}
