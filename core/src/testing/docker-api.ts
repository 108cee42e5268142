// The Docker engine's API over its socket, for tests that watch containers closely (no CLI process per look).
export async function dockerApi(path: string, method = "GET"): Promise<unknown> {
  const res = await fetch(`http://localhost/v1.41${path}`, { method, unix: "/var/run/docker.sock" } as RequestInit)
  if (!res.ok && res.status !== 404) throw new Error(`docker ${method} ${path} answered ${res.status}: ${await res.text()}`)
  return res.status === 204 || res.status === 404 ? null : res.json()
}

export interface ContainerListing {
  Id: string
  State: string
  Labels: Record<string, string>
}

/** Every container (running or not) an agent made, by its label. */
export async function containersOf(agentName: string): Promise<ContainerListing[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`streamspace.agent=${agentName}`] }))
  return (await dockerApi(`/containers/json?all=true&filters=${filters}`)) as ContainerListing[]
}
