// One run of an async job per key at a time: callers that ask while it runs share its result.

export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  /** `joined` is true for callers that got another caller's run. */
  run(key: string, job: () => Promise<T>): { result: Promise<T>; joined: boolean } {
    const existing = this.running.get(key);
    if (existing !== undefined) return { result: existing, joined: true };
    const result = job().finally(() => this.running.delete(key));
    this.running.set(key, result);
    return { result, joined: false };
  }
}
