// Fencing tokens: each leadership term of an agent is numbered, the database keeps the highest claimed, and a
// connection holding a lower one is a deposed leader — its leadership claims and its writes are refused.
import type { Sql } from "../../infra/db/connect.ts"

/**
 * Records `token` as the agent's current term if no higher one was claimed (by any replica of the control plane).
 * False: a newer leader exists; this connection must not lead.
 */
export async function claimLeadership(sql: Sql, agentId: string, instanceId: string, token: number): Promise<boolean> {
  const rows = await sql`
    update agents set leader_token = ${token}, leader_instance = ${instanceId}
    where id = ${agentId} and (leader_token is null or leader_token <= ${token})
    returning id`
  return rows.length > 0
}

/** Whether a term newer than `token` was claimed: writes made under `token` are late and must be dropped. */
export async function isDeposed(sql: Sql, agentId: string, token: number): Promise<boolean> {
  const [row] = await sql<{ deposed: boolean }[]>`
    select exists (select 1 from agents where id = ${agentId} and leader_token > ${token}) as deposed`
  return row?.deposed === true
}
