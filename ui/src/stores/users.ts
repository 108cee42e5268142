// User administration: search, create, invite (set-a-password link), change role or disabled flag, delete.
import type { CreateUser, Invitation, Role, UpdateUser, User } from "@streamspace/schemas"
import { defineStore } from "pinia"
import { ref } from "vue"
import { call } from "@/api/client.ts"

export const USERS_PAGE = 25

export const useUsersStore = defineStore("users", () => {
  const query = ref<{ q: string; role: Role | null; page: number }>({ q: "", role: null, page: 1 })
  const items = ref<User[]>([])
  const total = ref(0)

  async function load() {
    const { q, role, page } = query.value
    const result = await call((api) =>
      api.users.get({
        query: {
          limit: USERS_PAGE,
          offset: (page - 1) * USERS_PAGE,
          ...(q.trim() ? { q: q.trim() } : {}),
          ...(role ? { role } : {}),
        },
      }),
    )
    items.value = result.items
    total.value = result.total
  }

  const replace = (user: User) => {
    items.value = items.value.map((u) => (u.id === user.id ? user : u))
  }

  async function create(input: CreateUser): Promise<User> {
    const user = await call((api) => api.users.post(input))
    await load()
    return user
  }

  async function update(id: string, patch: UpdateUser): Promise<User> {
    const user = await call((api) => api.users({ id }).patch(patch))
    replace(user)
    return user
  }

  async function remove(id: string) {
    await call((api) => api.users({ id }).delete())
    items.value = items.value.filter((u) => u.id !== id)
    total.value = Math.max(0, total.value - 1)
  }

  /** A fresh single-use link to set a password (the auth plugin voids the user's older ones). */
  const invite = (userId: string): Promise<Invitation> => call((api) => api.auth.invitations.post({ userId }))

  return { query, items, total, load, create, update, remove, invite }
})
