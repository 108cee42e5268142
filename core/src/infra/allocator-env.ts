// Settings for Bun's allocator (mimalloc) that StreamSpace's relay processes start with. mimalloc reads
// them from the environment when the process starts, so whoever starts a relay process sets them.

/**
 * A desktop stream allocates and frees megabytes of message buffers in bursts a few ms apart. With
 * Bun's defaults mimalloc hands idle pages back to the kernel after 100 ms and also purges free
 * "holes" inside used pages every 100 ms, so the relay faulted fresh, zeroed pages in again for
 * most of the bytes it moved (about one fault per 4 KiB; a third of its CPU, see BENCHMARKS.md).
 * Keeping idle pages for a second and leaving holes alone removes most of that; memory still goes
 * back to the kernel a second after a burst. (Never purging, `-1`, faults least but keeps the peak.)
 */
export const RELAY_ALLOCATOR_ENV: Record<string, string> = { MIMALLOC_PURGE_DELAY: "1000", MIMALLOC_PURGE_HOLES: "0" }
