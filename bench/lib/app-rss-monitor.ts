/**
 * Watches the resident memory of every app process a bench starts, without the bench's help:
 * it scans /proc for processes running the built app (dist/src/main.js) and keeps, per bench,
 * the highest VmHWM (the kernel's own peak, so a spike between two scans still counts as long
 * as the process is alive at a later scan) of any one of them. Linux only; elsewhere it reports
 * nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * This checkout's built app (dist/bench/lib -> dist/src/main.js), as the launcher spawns it:
 * apps of other checkouts on a shared machine are not this bench's.
 */
const APP_SCRIPT = fileURLToPath(new URL('../../src/main.js', import.meta.url));

function readFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // gone meanwhile, or not ours to read
  }
}

/** Peak RSS in kB of each live app process, by pid. */
function scanApps(): Map<number, number> {
  const found = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = readFile(`/proc/${entry}/cmdline`);
    if (!cmdline || cmdline.replace(/\0+$/, '').split('\0').at(-1) !== APP_SCRIPT) {
      continue;
    }
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFile(`/proc/${entry}/status`) ?? '');
    if (m) found.set(Number(entry), Number(m[1]));
  }
  return found;
}

export class AppRssMonitor {
  private timer: NodeJS.Timeout | undefined;
  private peakKb = 0;
  private pids = new Set<number>();

  constructor(private readonly intervalMs = 200) {}

  start(): this {
    this.timer = setInterval(() => this.scan(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Stops watching; the highest peak of any one app process in MB, or null if none was seen. */
  stop(): { peakMb: number | null; processes: number } {
    this.scan();
    clearInterval(this.timer);
    return {
      peakMb: this.pids.size ? Math.round((this.peakKb / 1024) * 10) / 10 : null,
      processes: this.pids.size,
    };
  }

  private scan(): void {
    for (const [pid, kb] of scanApps()) {
      this.pids.add(pid);
      this.peakKb = Math.max(this.peakKb, kb);
    }
  }
}
