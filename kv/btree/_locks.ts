// Paths this process has open for writing (or reading): flock does not
// always conflict inside one process, so the engine also checks here.

const open = new Map<string, "write" | "read">();
const readers = new Map<string, number>();

/** Registers an open; false when it conflicts with one already open here. */
export function acquire(path: string, write: boolean): boolean {
  const cur = open.get(path);
  if (cur === "write" || (cur === "read" && write)) return false;
  if (write) open.set(path, "write");
  else {
    open.set(path, "read");
    readers.set(path, (readers.get(path) ?? 0) + 1);
  }
  return true;
}

/** Unregisters an open. */
export function releasePath(path: string, write: boolean): void {
  if (write) {
    open.delete(path);
    return;
  }
  const n = (readers.get(path) ?? 1) - 1;
  if (n <= 0) {
    readers.delete(path);
    open.delete(path);
  } else readers.set(path, n);
}
