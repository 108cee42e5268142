// Settings for Bun's allocator (mimalloc) that StreamSpace's relay processes start with. mimalloc reads
// them from the environment when the process starts, so whoever starts a relay process sets them.

/**
 * mimalloc hands freed pages back to the kernel 10 ms after they fall idle; a desktop stream
 * frees and allocates megabytes in bursts a few ms apart, so every burst faulted fresh, zeroed pages
 * in again (one fault per 4 KiB moved; about half the relay's CPU, measured in BENCHMARKS.md).
 * Keeping idle pages for a second removes most of that while still returning memory after a burst.
 */
export const RELAY_ALLOCATOR_ENV: Record<string, string> = { MIMALLOC_PURGE_DELAY: "1000" }
