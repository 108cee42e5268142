// A small key → JSON store for installation-wide values (generated keys, setup state).
import type { Sql } from "../../infra/db/connect.ts"

export const getSetting = async <T>(sql: Sql, key: string): Promise<T | null> =>
  ((await sql<{ value: T }[]>`select value from settings where key = ${key}`)[0]?.value ?? null) as T | null

export const putSetting = (sql: Sql, key: string, value: unknown) =>
  sql`insert into settings (key, value) values (${key}, ${sql.json(value as never)})
    on conflict (key) do update set value = excluded.value`

/** Sets the key only if absent and returns whichever value won: safe when replicas start together. */
export const putSettingOnce = async <T>(sql: Sql, key: string, value: T): Promise<T> => {
  await sql`insert into settings (key, value) values (${key}, ${sql.json(value as never)}) on conflict (key) do nothing`
  return (await getSetting<T>(sql, key)) as T
}

export const deleteSetting = (sql: Sql, key: string) => sql`delete from settings where key = ${key}`
