import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig, type RateUnit } from '../config/app-config.js';
import { inTokensSql, remainingSql } from '../queue/queue.sql.js';
import { windowOfRow } from '../scheduling/send-window.js';
import type { QueueSnapshotJob } from './eta.js';
import { fairTokensUntil, jobsStartingBefore, LaneJobs, shareNow } from './fair-share.js';

export interface UserQueueSummary {
  jobs: number;
  remaining: number;
  /**
   * Tokens (SMS, or segments with SMS_RATE_UNIT=segment) to pay for up to the end of the
   * user's job that finishes first; null without jobs.
   */
  soonestThrough: number | null;
  /** The fraction of the rate the user's waiting SMS get now (FAIRNESS.md), 0-1. */
  share: number;
}

const UNFINISHED = `job_status IN ('pending', 'sending')`;
const UNFINISHED_STATES = new Set(['pending', 'sending']);

/*
 * Every user's load per lane: the running totals of jobs not started (`lane_loads`, see its
 * migrations) and what the started jobs hold (`started_loads`: a user's oldest one or two),
 * less the SMS in flight, which have paid their tokens. One row per user with jobs, however
 * many jobs and SMS wait; in-flight SMS are the few rows being sent.
 */
const loadsSql = (unit: RateUnit) => {
  const col = unit === 'segment' ? 'segments' : 'sms';
  return `
  in_flight AS (
    SELECT message_id, count(*) AS n FROM recipients WHERE status = 'sending' GROUP BY message_id
  ), flying AS (
    SELECT coalesce(m.user_id, 0) AS user_id, CASE WHEN m.adhoc THEN 0 ELSE 1 END AS lane,
           sum(${inTokensSql('f.n', 'm', unit)}) AS tokens
    FROM in_flight f JOIN messages m ON m.id = f.message_id
    WHERE m.job_status = 'sending' AND m.resume_at IS NULL GROUP BY 1, 2
  ), loads AS MATERIALIZED (
    SELECT l.user_id, l.lane, coalesce(u.weight, 1) AS weight, l.pending_jobs,
           l.pending_${col}::float8 AS pending_tokens,
           (l.pending_${col} + coalesce(s.${col}, 0) - coalesce(fl.tokens, 0))::float8 AS tokens,
           l.pending_sms + coalesce(s.sms, 0) AS remaining, l.pending_jobs + l.sending_jobs AS jobs
    FROM lane_loads l LEFT JOIN users u ON u.id = l.user_id
      LEFT JOIN started_loads s ON s.user_id = l.user_id AND s.lane = l.lane
      LEFT JOIN flying fl ON fl.user_id = l.user_id AND fl.lane = l.lane
    WHERE l.pending_jobs > 0 OR l.sending_jobs > 0
  )`;
};

/** Every row of \`loads\` as one JSON array of RawLoad (one value to parse, not a row each). */
const LOADS_JSON = `(SELECT coalesce(json_agg(json_build_array(user_id, lane, weight, tokens,
    pending_jobs, pending_tokens)), '[]') FROM loads)`;

/** A job's tokens still to pay for (`alias` a messages row, in_flight joined as `f`). */
const todoSql = (alias: string, unit: RateUnit) =>
  inTokensSql(`${remainingSql(alias)} - coalesce(f.n, 0)`, alias, unit);

/*
 * The given jobs with their tokens still to pay for, and what of their user's own is ahead
 * of them in their lane: for the user's newest job that is the user's whole load (read from
 * the totals); for an older one, the user's earlier unfinished jobs are summed (a range of
 * one index, the user's own backlog ahead of the job). The loads come along as JSON, on the
 * first row only: they are the same for every job, and a batch of submissions' answers would
 * otherwise send and parse every user's load once a job.
 */
const jobsSql = (unit: RateUnit) => `
  WITH ${loadsSql(unit)}
  SELECT m.id, coalesce(m.user_id, 0) AS user_id, m.adhoc, m.job_status, m.send_at, m.resume_at,
         m.window_start, m.window_end, m.window_tz,
         ${remainingSql('m')} AS remaining, ${todoSql('m', unit)}::float8 AS todo,
         ${unit === 'segment' ? 'm.segments' : '1'} AS cost,
         CASE WHEN m.job_status IN ('pending', 'sending') AND EXISTS (
                SELECT FROM messages k WHERE k.user_id = m.user_id AND k.adhoc = m.adhoc
                  AND k.${UNFINISHED} AND k.id > m.id)
           THEN (SELECT ARRAY[coalesce(sum(${todoSql('k', unit)}), 0),
                              count(*) FILTER (WHERE k.job_status = 'pending')]::float8[]
                 FROM messages k LEFT JOIN in_flight f ON f.message_id = k.id
                 WHERE k.user_id = m.user_id AND k.adhoc = m.adhoc AND k.${UNFINISHED}
                   AND k.id < m.id)
         END AS ahead,
         CASE WHEN row_number() OVER () = 1 THEN ${LOADS_JSON} END AS loads
  FROM messages m LEFT JOIN in_flight f ON f.message_id = m.id
  WHERE m.id = ANY($1::int[])`;

/*
 * The loads, and the user's own rows with the tokens still to pay for in its oldest
 * unfinished job of each lane (one index probe a lane).
 */
const userSql = (unit: RateUnit) => `
  WITH ${loadsSql(unit)}
  SELECT ${LOADS_JSON} AS loads,
    (SELECT coalesce(json_agg(json_build_object('lane', l.lane, 'weight', l.weight,
       'remaining', l.remaining, 'jobs', l.jobs, 'first_todo', (
         SELECT ${todoSql('k', unit)}::float8 FROM messages k LEFT JOIN in_flight f ON f.message_id = k.id
         WHERE k.user_id = l.user_id AND k.adhoc = (l.lane = 0) AND k.${UNFINISHED}
         ORDER BY k.id LIMIT 1))), '[]')
     FROM loads l WHERE l.user_id = $1) AS mine`;

type RawLoad = [number, number, number, number, number, number];

/** The user read: every user's load, and the user's own lanes. */
interface UserRead {
  loads: RawLoad[];
  mine: {
    lane: number;
    weight: number;
    remaining: number;
    jobs: number;
    first_todo: number | null;
  }[];
}

interface JobRow {
  id: number;
  user_id: number;
  adhoc: boolean;
  job_status: string;
  send_at: Date | null;
  resume_at: Date | null;
  window_start: number | null;
  window_end: number | null;
  window_tz: string | null;
  remaining: number;
  todo: number;
  cost: number;
  ahead: [number, number] | null;
  /** On the first row only (the same for all). */
  loads: RawLoad[] | null;
}

/** Every user's load by lane, and what the urgent lane holds in all. */
interface Loads {
  urgent: LaneJobs[];
  normal: LaneJobs[];
  urgentTotal: number;
  urgentPendingJobs: number;
}

function toLoads(raw: readonly RawLoad[]): Loads {
  const loads: Loads = { urgent: [], normal: [], urgentTotal: 0, urgentPendingJobs: 0 };
  for (const [userId, lane, weight, tokens, pendingJobs, pendingTokens] of raw) {
    const load = { userId, weight, tokens, pendingJobs, pendingTokens };
    if (lane === 0) {
      loads.urgent.push(load);
      loads.urgentTotal += tokens;
      loads.urgentPendingJobs += pendingJobs;
    } else loads.normal.push(load);
  }
  return loads;
}

/** The job's lane: its users' loads, and what goes before the lane (urgent before normal). */
function laneOf(loads: Loads, urgent: boolean) {
  return urgent
    ? { lane: loads.urgent, tokensFirst: 0, jobsFirst: 0 }
    : { lane: loads.normal, tokensFirst: loads.urgentTotal, jobsFirst: loads.urgentPendingJobs };
}

/** Where a job stands in the fair order, from its user's tokens and jobs ahead of it. */
function place(r: JobRow, loads: Loads): QueueSnapshotJob {
  const { lane, tokensFirst, jobsFirst } = laneOf(loads, r.adhoc);
  const mine = lane.find((u) => u.userId === r.user_id);
  const weight = mine?.weight ?? 1;
  const todo = Math.max(0, r.todo);
  // The newest job of its user: everything else the user has in the lane is ahead of it.
  const [ownAhead, ownJobsAhead] = r.ahead ?? [
    Math.max(0, (mine?.tokens ?? todo) - todo),
    Math.max(0, (mine?.pendingJobs ?? 0) - (r.job_status === 'pending' ? 1 : 0)),
  ];
  const until = (own: number) => tokensFirst + fairTokensUntil(lane, r.user_id, weight, own);
  return {
    id: r.id,
    jobStatus: r.job_status,
    position:
      r.job_status === 'pending'
        ? 1 + jobsFirst + ownJobsAhead + jobsStartingBefore(lane, r.user_id, weight, ownAhead)
        : 0,
    remaining: r.remaining,
    remainingThrough: until(ownAhead + todo),
    throughFirst: until(ownAhead + r.cost),
  };
}

/**
 * A job with its SMS held (SCHEDULING.md: scheduled, or outside its send window) holds no
 * place until they are released: it starts then, and its own SMS go at the share of the
 * rate its user would get against what the lane holds now.
 */
function placeHeld(r: JobRow, loads: Loads): QueueSnapshotJob {
  const { lane } = laneOf(loads, r.adhoc);
  const weight = lane.find((u) => u.userId === r.user_id)?.weight ?? 1;
  return {
    id: r.id,
    jobStatus: r.job_status,
    position: 0,
    remaining: r.remaining,
    remainingThrough: fairTokensUntil(lane, r.user_id, weight, Math.max(0, r.todo)),
    throughFirst: 0,
    notBefore: (r.resume_at ?? r.send_at)?.getTime(),
  };
}

/** The job's send window, for estimates that skip its closed hours. */
function withWindow(r: JobRow, job: QueueSnapshotJob): QueueSnapshotJob {
  const window = windowOfRow(r);
  return window ? { ...job, window } : job;
}

@Injectable()
export class EstimatesRepository {
  private readonly jobsSql: string;
  private readonly userSql: string;

  constructor(
    /*
     * Both reads planned afresh each time. As prepared statements with a generic plan on a
     * pool of their own (sequential scans off, so a plan made on an empty queue still took the
     * indexes), the job read cost less to plan but more to run once 1 000 users had SMS
     * waiting: every user's totals by index probes where one scan reads them all (bench/
     * status-scale "fair": GET /api/sms/:id median 10.7-11.9 ms, against 7.8 ms planned
     * afresh; submissions 598/s against 632-689/s, within that bench's noise).
     */
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.jobsSql = jobsSql(config.smsRateUnit);
    this.userSql = userSql(config.smsRateUnit);
  }

  /** Position and tokens-through of the given unfinished jobs (finished ones are absent). */
  async queueOrder(ids: number[]): Promise<QueueSnapshotJob[]> {
    const rows: JobRow[] = await this.dataSource.query(this.jobsSql, [ids]);
    const loads = toLoads(rows.find((r) => r.loads)?.loads ?? []);
    return rows.flatMap((r) => {
      if (r.job_status === 'scheduled' || (r.resume_at && UNFINISHED_STATES.has(r.job_status)))
        return [withWindow(r, placeHeld(r, loads))];
      return UNFINISHED_STATES.has(r.job_status) ? [withWindow(r, place(r, loads))] : [];
    });
  }

  /**
   * Tokens paid before a job not queued yet, of `tokens`, from `userId` in the given lane,
   * would be finished: the user's whole load goes first, then the job's own (WOULD_EXPIRE).
   */
  async throughForNew(userId: number, urgent: boolean, tokens: number): Promise<number> {
    const { loads } = await this.userRead(userId);
    const { lane, tokensFirst } = laneOf(toLoads(loads), urgent);
    const mine = lane.find((u) => u.userId === userId);
    const own = (mine?.tokens ?? 0) + tokens;
    return tokensFirst + fairTokensUntil(lane, userId, mine?.weight ?? 1, own);
  }

  /** A user's unfinished jobs summed up, with its soonest job's tokens-through and its share now. */
  async userSummary(userId: number): Promise<UserQueueSummary> {
    const read = await this.userRead(userId);
    const loads = toLoads(read.loads);
    const summary: UserQueueSummary = { jobs: 0, remaining: 0, soonestThrough: null, share: 0 };
    for (const r of read.mine) {
      summary.jobs += r.jobs;
      summary.remaining += Number(r.remaining);
      const { lane, tokensFirst } = laneOf(loads, r.lane === 0);
      if (r.first_todo !== null) {
        const through = tokensFirst + fairTokensUntil(lane, userId, r.weight, r.first_todo);
        summary.soonestThrough = Math.min(summary.soonestThrough ?? Infinity, through);
      }
      const share = r.lane === 0 || loads.urgentTotal === 0 ? shareNow(lane, userId) : 0;
      summary.share = Math.max(summary.share, share);
    }
    return summary;
  }

  private async userRead(userId: number): Promise<UserRead> {
    const [row]: UserRead[] = await this.dataSource.query(this.userSql, [userId]);
    return row;
  }
}
