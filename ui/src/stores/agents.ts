// Agents as the control plane knows them: status, capacity, leader; and their tokens (admins).
import type { Agent, AgentWithToken, RegisterAgent } from "@streamspace/schemas"
import { defineStore } from "pinia"
import { computed, ref } from "vue"
import { call } from "@/api/client.ts"

const withoutToken = ({ token: _, ...agent }: AgentWithToken): Agent => agent

export const useAgentsStore = defineStore("agents", () => {
  const items = ref<Agent[]>([])

  const online = computed(() => items.value.filter((a) => a.status === "online"))
  /** Sessions the online agents can hold, and hold now. */
  const capacity = computed(() =>
    online.value.reduce(
      (sum, a) => ({ max: sum.max + (a.capacity?.maxSessions ?? 0), running: sum.running + (a.capacity?.runningSessions ?? 0) }),
      { max: 0, running: 0 },
    ),
  )

  async function load() {
    items.value = await call((api) => api.agents.get())
  }

  const replace = (agent: Agent) => {
    items.value = items.value.some((a) => a.id === agent.id)
      ? items.value.map((a) => (a.id === agent.id ? agent : a))
      : [...items.value, agent].sort((a, b) => a.name.localeCompare(b.name))
  }

  async function register(input: RegisterAgent): Promise<AgentWithToken> {
    const created = await call((api) => api.agents.post(input))
    replace(withoutToken(created))
    return created
  }

  async function rotateToken(id: string): Promise<AgentWithToken> {
    const rotated = await call((api) => api.agents({ id })["rotate-token"].post())
    replace(withoutToken(rotated))
    return rotated
  }

  async function revoke(id: string) {
    replace(await call((api) => api.agents({ id }).revoke.post()))
  }

  return { items, online, capacity, load, register, rotateToken, revoke }
})
