// CSV export of audit rows: RFC 4180 quoting and no formulas for spreadsheet programs.
import { describe, expect, test } from "bun:test"
import type { AuditEvent } from "@streamspace/schemas"
import { toCsv } from "./csv.ts"

const row = (over: Partial<AuditEvent>): AuditEvent => ({
  id: "00000000-0000-4000-8000-000000000001",
  at: "2025-01-02T03:04:05.000Z",
  actorId: null,
  actorName: null,
  action: "user.create",
  targetType: "user",
  targetId: null,
  outcome: "success",
  status: 201,
  ip: null,
  requestId: "r1",
  detail: {},
  ...over,
})

describe("audit CSV", () => {
  test("a header line, then one CRLF-terminated line per row; nulls are empty cells", () => {
    expect(toCsv([row({})])).toBe(
      "at,actorName,actorId,action,targetType,targetId,outcome,status,ip,requestId,detail\r\n" +
        "2025-01-02T03:04:05.000Z,,,user.create,user,,success,201,,r1,{}\r\n",
    )
  })

  test("commas, quotes and line breaks are quoted, quotes doubled", () => {
    const line = toCsv([row({ actorName: 'a,"b"\nc', detail: { note: "x,y" } })]).split("\r\n")[1]
    expect(line).toContain(',"a,""b""\nc",')
    expect(line).toEndWith(',"{""note"":""x,y""}"')
  })

  test("cells a spreadsheet would run as a formula are defused with a leading quote", () => {
    for (const evil of ["=HYPERLINK(1)", "+1", "-1+2", "@SUM(A1)"]) {
      const line = toCsv([row({ actorName: evil })]).split("\r\n")[1] ?? ""
      expect(line.split(",")[1]).toStartWith("'")
    }
  })

  test("no rows gives just the header", () => {
    expect(toCsv([])).toBe("at,actorName,actorId,action,targetType,targetId,outcome,status,ip,requestId,detail\r\n")
  })
})
