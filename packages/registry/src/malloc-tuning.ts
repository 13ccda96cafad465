// glibc's malloc, tuned for a process that relays blob bytes. Node allocates a fresh 64 KiB buffer for every
// socket read; the garbage collector frees them in batches, and glibc then gives the top of its heap back to
// the kernel (it keeps only 128 KiB), so the next reads fault the same memory in again, page by page. With a
// larger top pad glibc keeps up to that much free memory: a 256 MiB S3 relay cost 0.7–1.3 s of CPU with the
// default and 0.2–0.3 s with 32 MiB kept (docs/BENCHMARKS.md, "S3"); the price is up to that much RSS.
//
// ld.so reads GLIBC_TUNABLES when a process starts, so it is set for the processes we start (http.workers),
// by scripts/start.sh and in the image; a process started by hand without it runs with glibc's default.
// An operator's own glibc.malloc.top_pad wins (glibc's default is 131072). musl and other libcs ignore it.

export const TOP_PAD_BYTES = 32 * 1024 * 1024;
export const MALLOC_TUNABLE = `glibc.malloc.top_pad=${TOP_PAD_BYTES}`;

/** GLIBC_TUNABLES with our top pad added, unless it sets one already. */
export function mallocTunables(current: string | undefined): string {
  if (current === undefined || current === '') return MALLOC_TUNABLE;
  if (current.split(':').some((tunable) => tunable.startsWith('glibc.malloc.top_pad='))) return current;
  return `${current}:${MALLOC_TUNABLE}`;
}
