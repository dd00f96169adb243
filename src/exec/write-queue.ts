/**
 * Chunk writes a task has started and not yet seen finish, at most `inFlight` at once: the
 * task encodes the next chunk (and reads, decodes and computes the next step) while the disk
 * takes the last ones, instead of waiting for each write (writes past the page cache wait on
 * the disk). The plan counts the encoded
 * chunks held (`writesInFlight` in plan/memory).
 *
 * A task must `drain` its queue before it reports its chunks written; the first failed write
 * fails the next `add` or the `drain`. A task that fails `settle`s it before it reports the
 * failure, so that no write of it lands after.
 */
export class WriteQueue {
  private readonly pending = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(readonly inFlight: number) {}

  /** Starts `write` in the background; waits while `inFlight` writes are under way. */
  async add(write: () => Promise<void>): Promise<void> {
    this.throwIfFailed();
    const p: Promise<void> = write().then(
      () => void this.pending.delete(p),
      (error: unknown) => {
        this.pending.delete(p);
        this.failure ??= { error };
      },
    );
    this.pending.add(p);
    while (this.pending.size >= this.inFlight) await Promise.race(this.pending);
    this.throwIfFailed();
  }

  /** Waits for every write started; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    this.throwIfFailed();
  }

  /** Waits for every write started, failed or not. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.race(this.pending);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
