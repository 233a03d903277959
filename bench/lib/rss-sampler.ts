/**
 * Samples a process's resident set size from /proc/<pid>/status (Linux only) at a fixed
 * interval. VmHWM, the kernel's own peak, is read at the end as well: it also catches peaks
 * that fall between two samples (and everything since the process started).
 */
import { readFileSync } from 'node:fs';

function readStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null; // not Linux, or the process is gone
  }
}

export class RssSampler {
  private readonly samplesKb: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 100,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Stops sampling; returns the figures in MB (null when /proc could not be read). */
  stop(): { samples: number; maxMb: number | null; lastMb: number | null; hwmMb: number | null } {
    this.sample();
    clearInterval(this.timer);
    const hwm = readStatusKb(this.pid, 'VmHWM');
    const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;
    return {
      samples: this.samplesKb.length,
      maxMb: this.samplesKb.length ? mb(Math.max(...this.samplesKb)) : null,
      lastMb: this.samplesKb.length ? mb(this.samplesKb.at(-1)!) : null,
      hwmMb: hwm === null ? null : mb(hwm),
    };
  }

  /** The latest sample in MB, for progress lines. */
  currentMb(): number | null {
    const kb = this.samplesKb.at(-1);
    return kb === undefined ? null : Math.round((kb / 1024) * 10) / 10;
  }

  private sample(): void {
    const kb = readStatusKb(this.pid, 'VmRSS');
    if (kb !== null) this.samplesKb.push(kb);
  }
}
