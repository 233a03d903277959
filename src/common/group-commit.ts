/** What one item of a batch came to: its result, or the error that failed it alone. */
export type ItemOutcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface GroupCommitOptions {
  /** Items handed to one run at most. */
  maxBatch: number;
  /** Runs under way at once; items arriving meanwhile wait and go together in the next. */
  maxInFlight: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: concurrent callers' items go to the database together, one statement and one
 * commit for all of them. Nothing waits on a timer: with no run under way an item goes at
 * once (an idle service answers as fast as before), and items arriving while runs are under
 * way go together as soon as one finishes. Under load this turns N round trips, statements
 * and WAL flushes into one (bench/submissions: each round trip costs the app and PostgreSQL
 * more CPU than the work it carries).
 */
export class GroupCommit<I, O> {
  private readonly waiting: Waiting<I, O>[] = [];
  private inFlight = 0;

  constructor(
    private readonly run: (items: I[]) => Promise<ItemOutcome<O>[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight++;
      this.settle(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async settle(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const outcomes = await this.run(batch.map((w) => w.item));
      batch.forEach((w, i) => {
        const o = outcomes[i];
        if (!o) w.reject(new Error(`group commit: no outcome for item ${i} of ${batch.length}`));
        else if (o.ok) w.resolve(o.value);
        else w.reject(o.error);
      });
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}

/**
 * Runs `many` over the items; if it fails for several, each item is run alone, so a bad
 * item fails only its own caller.
 */
export async function eachAloneOnFailure<I, O>(
  items: I[],
  many: (items: I[]) => Promise<O[]>,
): Promise<ItemOutcome<O>[]> {
  try {
    return (await many(items)).map((value) => ({ ok: true, value }));
  } catch (error) {
    if (items.length === 1) return [{ ok: false, error }];
    return Promise.all(
      items.map((item) =>
        many([item]).then(
          ([value]): ItemOutcome<O> => ({ ok: true, value }),
          (e: unknown): ItemOutcome<O> => ({ ok: false, error: e }),
        ),
      ),
    );
  }
}
