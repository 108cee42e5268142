// flock(2) through bun:ffi: Node's fs has no advisory locks, and the kernel drops them the moment a process dies.
import { dlopen, FFIType } from "bun:ffi"

const LOCK_EX = 2
const LOCK_NB = 4
const LOCK_UN = 8

let libc: { symbols: { flock: (fd: number, op: number) => number } } | null = null

function lib() {
  libc ??= dlopen("libc.so.6", { flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } })
  return libc
}

/** Takes an exclusive lock on an open file without waiting; false when another process holds it. */
export function tryLockExclusive(fd: number): boolean {
  return lib().symbols.flock(fd, LOCK_EX | LOCK_NB) === 0
}

export function unlock(fd: number): void {
  lib().symbols.flock(fd, LOCK_UN)
}
