/**
 * CPU time of processes from /proc (Linux only; everything returns null elsewhere): the
 * app children by pid, and a local PostgreSQL server as the sum over its postmaster and all
 * the postmaster's children (backends, WAL writer, checkpointer, ...).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux in practice. */
const TICKS_PER_SEC = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, ms. */
  cpuMs: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    const ppid = Number(rest[1]);
    const ticks = Number(rest[11]) + Number(rest[12]);
    return { pid, ppid, cpuMs: (ticks * 1000) / TICKS_PER_SEC };
  } catch {
    return null;
  }
}

/** CPU time (user + system) of one process in ms, or null when /proc cannot tell. */
export function processCpuMs(pid: number): number | null {
  return readStat(pid)?.cpuMs ?? null;
}

/** Per-pid CPU times of a process and its direct children. */
export function treeCpuMs(rootPid: number): Map<number, number> {
  const out = new Map<number, number>();
  const root = readStat(rootPid);
  if (!root) return out;
  out.set(rootPid, root.cpuMs);
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const d of pids) {
    const s = readStat(Number(d));
    if (s && s.ppid === rootPid) out.set(s.pid, s.cpuMs);
  }
  return out;
}

/**
 * The postmaster's pid, when the server runs on this machine and the connection may read
 * its data directory (superuser, as the embedded server's is); else null.
 */
export async function postmasterPid(url: string): Promise<number | null> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const res = await client.query<{ setting: string }>(
      `SELECT setting FROM pg_settings WHERE name = 'data_directory'`,
    );
    const dir = res.rows[0]?.setting;
    if (!dir) return null;
    const pid = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return pid > 0 && readStat(pid) ? pid : null;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * CPU used between two treeCpuMs snapshots, in ms: processes present in both count their
 * difference, processes that appeared in between count in full (those that ended are lost).
 */
export function treeCpuDeltaMs(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}

/** Total CPU time of the machine (all cores) and its idle part, ms, from /proc/stat. */
export function machineCpuMs(): { totalMs: number; idleMs: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = v[3] + (v[4] ?? 0);
    return { totalMs: (total * 1000) / TICKS_PER_SEC, idleMs: (idle * 1000) / TICKS_PER_SEC };
  } catch {
    return null;
  }
}
