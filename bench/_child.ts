/**
 * How bench/compare.ts runs one subject in its own process: the child
 * prints tagged JSON lines on stdout, the parent files them as they come and
 * kills the child at a deadline. A crash, a hang or a leak in one subject
 * cannot skew or stop the others, and `/proc/self/io` and `/proc/self/status`
 * in the child count only that subject.
 *
 * @module
 */

/** Marks protocol lines a child writes to stdout. */
const TAG = "@@compare ";

/** In the child: one tagged line for the parent. */
export function emit(kind: string, body: unknown): void {
  console.log(TAG + JSON.stringify({ kind, body }));
}

/** How a child run ended. */
export interface ChildExit {
  ok: boolean;
  /** Why not ok: killed at the deadline or its exit status. */
  why?: string;
}

/**
 * Runs this script again as a child with `args` (after `run -A`), in a temp
 * folder under `tmpRoot` that is removed afterwards even if the child was
 * killed, and calls `onLine` for every tagged line it prints.
 */
export async function runInChild(
  script: string,
  args: string[],
  opts: { id: string; tmpRoot?: string; deadlineMs: number },
  onLine: (kind: string, body: unknown) => void,
): Promise<ChildExit> {
  const config = new URL("../deno.json", import.meta.url).pathname;
  const root = await Deno.makeTempDir({
    prefix: `oxistore-compare-${opts.id}-`,
    ...(opts.tmpRoot ? { dir: opts.tmpRoot } : {}),
  });
  const deadline = AbortSignal.timeout(opts.deadlineMs);
  try {
    const proc = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "--config", config, script, ...args, "--tmp", root],
      stdout: "piped",
      stderr: "inherit",
      signal: deadline,
    }).spawn();
    let rest = "";
    const decoder = new TextDecoder();
    const handle = (line: string) => {
      if (!line.startsWith(TAG)) {
        if (line.trim()) console.error(line);
        return;
      }
      const { kind, body } = JSON.parse(line.slice(TAG.length));
      onLine(kind, body);
    };
    for await (const chunk of proc.stdout) {
      rest += decoder.decode(chunk, { stream: true });
      const lines = rest.split("\n");
      rest = lines.pop()!;
      lines.forEach(handle);
    }
    if (rest) handle(rest);
    const status = await proc.status;
    if (status.success) return { ok: true };
    return {
      ok: false,
      why: deadline.aborted
        ? "killed at the deadline"
        : `child exited with ${status.signal ?? `code ${status.code}`}`,
    };
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

/** Free bytes on the file system holding `dir` (from `df`), or undefined if unknown. */
export async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const out = await new Deno.Command("df", { args: ["-Pk", dir], stdout: "piped" }).output();
    const line = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
    const avail = Number(line.split(/\s+/)[3]);
    return Number.isFinite(avail) ? avail * 1024 : undefined;
  } catch {
    return undefined;
  }
}
