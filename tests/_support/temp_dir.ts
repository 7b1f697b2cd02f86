// Temporary directories that remove themselves: `await using dir = await tempDir("x")`.

/** A fresh directory under the system temp dir; disposing it removes it and its contents. */
export interface TempDir extends AsyncDisposable {
  /** The directory's path. */
  readonly path: string;
  /** `path` joined with a relative name. */
  join(name: string): string;
}

/** Makes a temporary directory named after `prefix`. */
export async function tempDir(prefix = "oxistore-test-"): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    join: (name) => `${path}/${name}`,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}

/** Runs `fn` in a fresh temporary directory and removes the directory afterwards, also when `fn` throws. */
export async function withTempDir(
  fn: (dir: string) => Promise<void>,
  prefix = "oxistore-test-",
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
