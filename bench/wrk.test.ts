// Reading wrk's report: the figures bench:api prints come from here.
import { describe, expect, test } from "bun:test"
import { parseWrk } from "./wrk.ts"

const REPORT = `Running 3s test @ http://127.0.0.1:40000/api/v1/sessions
  2 threads and 100 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    16.36ms   10.38ms  80.12ms   70.15%
    Req/Sec     2.87k   412.31     3.61k    68.33%
  Latency Distribution
     50%  523.00us
     75%   17.77ms
     90%   28.79ms
     99%    1.20s
  17193 requests in 3.00s, 2.55MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 17193
Requests/sec:   5724.61
Transfer/sec:    869.81KB
`

describe("parseWrk", () => {
  test("reads req/s, p50 and p99 in milliseconds whatever unit wrk chose, and the error counts", () => {
    expect(parseWrk(REPORT)).toEqual({ perSecond: 5724.61, p50Ms: 0.523, p99Ms: 1200, non2xx: 17193, socketErrors: 5 })
  })

  test("a clean run has no errors", () => {
    const clean = REPORT.replace(/ {2}Socket errors.*\n/, "").replace(/ {2}Non-2xx.*\n/, "")
    expect(parseWrk(clean)).toMatchObject({ non2xx: 0, socketErrors: 0 })
  })

  test("a report without figures is an error, not zeros", () => {
    expect(() => parseWrk("unable to connect to 127.0.0.1:1 Connection refused")).toThrow(/Requests\/sec/)
  })
})
