/**
 * How long opening a database session may take before it is an error rather than a wait: a server that accepts the
 * TCP connection but never answers (a hung server, a half-open tunnel) would otherwise stall a run with no output.
 * `SYNTH_CONNECT_TIMEOUT_MS` overrides the default of 30 s.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

export function connectTimeoutMs(): number {
  const v = Number(process.env.SYNTH_CONNECT_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_CONNECT_TIMEOUT_MS;
}

/** Rejects with `timeoutError()` when `work` has not settled in time; the late result is dropped. */
export async function withConnectTimeout<T>(work: Promise<T>, timeoutError: () => Error, ms = connectTimeoutMs()): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
