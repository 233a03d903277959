/**
 * The tokens a worker holds for one claimed batch, when an SMS may cost more than one token
 * (SMS_RATE_UNIT=segment: one per segment). The bucket grants between 1 and the asked number
 * of tokens, so a grant may end in the middle of an SMS: what is granted and not yet spent
 * stays here and pays for the next SMS, which is sent only once its whole cost is in hand.
 * Every token was debited from the shared bucket before the request it pays for.
 *
 * The credit is kept only while the worker goes straight back to the bucket for the rest:
 * asks never exceed the cost of the SMS that may be sent now, so the credit is spent out when
 * they are; a batch that ends (pause, stop, lease, cancel) drops it (wasted tokens are safe;
 * tokens held while the bucket refills would not be). Nor is it kept past the last grant's
 * `spendBy` (see Grant): a worker that stalled with tokens in hand gives them up (expire).
 */
export class TokenCredit {
  private balance = 0;
  private spendBy = Infinity;
  /** upTo[i]: the tokens SMS 0 … i-1 of the batch cost; absent: one token each. */
  private readonly upTo?: number[];

  /** `costs[i]`: the tokens SMS i costs; omitted, every SMS costs one. */
  constructor(costs?: readonly number[]) {
    if (!costs) return;
    this.upTo = [0];
    for (const c of costs) {
      if (!Number.isInteger(c) || c < 1) throw new RangeError(`SMS cost ${c}`);
      this.upTo.push(this.upTo[this.upTo.length - 1] + c);
    }
  }

  /** Tokens granted and not yet spent. */
  get tokens(): number {
    return this.balance;
  }

  /** The tokens SMS `from` … `to`-1 cost together. */
  cost(from: number, to = from + 1): number {
    return this.upTo ? this.upTo[to] - this.upTo[from] : to - from;
  }

  /** What to ask the bucket for so that SMS `from` … `to`-1 are all paid (0: already are). */
  shortfall(from: number, to: number): number {
    return Math.max(0, this.cost(from, to) - this.balance);
  }

  /**
   * Tokens granted, to be spent by `spendBy`. The newest grant's time covers what was carried
   * too: the worker came straight from the bucket with it (as the credit is kept only then).
   */
  add(granted: number, spendBy = Infinity): void {
    this.spendBy = spendBy;
    this.balance += granted;
  }

  /** Gives up every token in hand when `now` is past their spend-by time; how many that was. */
  expire(now: number): number {
    if (this.balance === 0 || now <= this.spendBy) return 0;
    const dropped = this.balance;
    this.balance = 0;
    return dropped;
  }

  /** The whole cost of SMS `i` is in hand. */
  covers(i: number): boolean {
    return this.balance >= this.cost(i);
  }

  /** Pays for SMS `i`; false, and nothing spent, when its whole cost is not in hand. */
  spend(i: number): boolean {
    const c = this.cost(i);
    if (this.balance < c) return false;
    this.balance -= c;
    return true;
  }

  /**
   * SMS `i` will not be sent (its job was cancelled): the tokens in hand for it are given up
   * rather than carried on, as they would be had it been sent.
   */
  forgo(i: number): void {
    this.balance = Math.max(0, this.balance - this.cost(i));
  }
}
