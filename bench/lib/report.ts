/**
 * What every bench reports and how: figures against targets and failure lines, printed as
 * PASS or FAILED and then one JSON summary line, the last line `npm run bench` reads.
 */
import { round } from './util.js';

export interface Figure {
  name: string;
  value: number | string | null;
  unit?: string;
  /** e.g. "≤ 0", "≥ 97 %"; absent or null: a figure for information. */
  target?: string | null;
  /** null or absent: a figure for information, without a target. */
  ok?: boolean | null;
}

export interface Summary {
  bench: string;
  ok: boolean;
  failures?: string[];
  figures?: Figure[];
  [key: string]: unknown;
}

export class Report {
  readonly failures: string[] = [];
  readonly figures: Figure[] = [];

  constructor(readonly bench: string) {}

  fail(line: string): void {
    this.failures.push(line);
  }

  /** A figure as it is; its target's verdict is the bench's own business. */
  add(...figures: Figure[]): void {
    this.figures.push(...figures);
  }

  /** A figure (rounded to 4 digits) whose missed target (ok false) is also a failure line. */
  check(
    name: string,
    value: number | null,
    unit: string,
    target: string | null = null,
    ok: boolean | null = null,
  ): void {
    const shown = value === null ? null : round(value, 4);
    this.figures.push({ name, value: shown, unit, target, ok });
    if (ok === false) this.fail(`${name} = ${shown ?? 'n/a'} ${unit} (target ${target})`);
  }

  /** Prints PASS or the failures, then the summary line; the exit code. */
  finish(details: object = {}, onFailure?: () => void): number {
    const ok = this.failures.length === 0;
    console.log(ok ? '\nPASS' : `\nFAILED:\n- ${this.failures.join('\n- ')}`);
    if (!ok) onFailure?.();
    const summary: Summary = {
      bench: this.bench,
      ok,
      failures: this.failures,
      figures: this.figures,
      ...details,
    };
    console.log(JSON.stringify(summary));
    return ok ? 0 : 1;
  }
}
