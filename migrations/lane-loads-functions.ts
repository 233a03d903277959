/**
 * The trigger functions that keep `lane_loads` (see 1764300001100-LaneLoads.ts), shared by
 * the migrations that change which job states have totals or what counts as an SMS still to
 * send.
 */

export interface LaneLoadsShape {
  /** Job states with totals: `<state>_jobs`, `<state>_sms`, `<state>_segments`. */
  states: readonly string[];
  /** Subtract `expired_count` (from the validity migration on). */
  withExpired: boolean;
  /**
   * A waiting or started job with SMS held (`resume_at` set: outside its send window) holds
   * no share, so counts in neither (from the send-windows migration on).
   */
  parkedHoldNoShare?: boolean;
  /**
   * Started jobs counted as jobs only: their SMS change with every batch of results, which
   * would update the totals on the sending path (see the `started_loads` view instead).
   */
  startedCountOnly?: boolean;
  /** Subtract `suppressed_count` (from the suppressions migration on). */
  withSuppressed?: boolean;
}

const remaining = (r: string, o: LaneLoadsShape) =>
  `(${r}.recipient_count - ${r}.sent_count - ${r}.failed_count - ${r}.cancelled_count${
    o.withExpired ? ` - ${r}.expired_count` : ''
  }${o.withSuppressed ? ` - ${r}.suppressed_count` : ''})::bigint`;

/** A job's jobs, SMS and segments in state `s`. */
const stateTotals = (r: string, sign: number, s: string, o: LaneLoadsShape) => {
  const held = o.parkedHoldNoShare && s !== 'scheduled' ? ` AND ${r}.resume_at IS NULL` : '';
  const is = `${r}.job_status = '${s}'${held}`;
  const sms = o.startedCountOnly && s === 'sending' ? 'false' : is;
  return [
    `${sign} * (${is})::int AS ${s}_jobs`,
    `${sign} * CASE WHEN ${sms} THEN ${remaining(r, o)} ELSE 0 END AS ${s}_sms`,
    `${sign} * CASE WHEN ${sms} THEN ${remaining(r, o)} * ${r}.segments ELSE 0 END AS ${s}_segments`,
  ];
};

/** A job's share of its user's lane totals: `sign` 1 adds the row `r`, -1 takes it away. */
export const contributionSql = (r: string, sign: number, o: LaneLoadsShape) => `
  SELECT coalesce(${r}.user_id, 0) AS user_id, CASE WHEN ${r}.adhoc THEN 0 ELSE 1 END AS lane,
    ${o.states.flatMap((s) => stateTotals(r, sign, s, o)).join(',\n    ')}`;

const columns = (o: LaneLoadsShape) =>
  o.states.flatMap((s) => [`${s}_jobs`, `${s}_sms`, `${s}_segments`]);

/**
 * Adds the summed contributions to lane_loads. Rows are upserted in key order, so two
 * statements touching the same users lock them in the same order.
 */
export const applySql = (source: string, o: LaneLoadsShape) => {
  const cols = columns(o);
  return `
  INSERT INTO lane_loads AS l (user_id, lane, ${cols.join(', ')})
  SELECT user_id, lane, ${cols.map((c) => `sum(${c})`).join(', ')}
  FROM (${source}) d
  GROUP BY user_id, lane
  HAVING ${cols.map((c) => `sum(${c}) <> 0`).join(' OR ')}
  ORDER BY user_id, lane
  ON CONFLICT (user_id, lane) DO UPDATE SET
    ${cols.map((c) => `${c} = l.${c} + EXCLUDED.${c}`).join(',\n    ')}`;
};

/** CREATE OR REPLACE of the three trigger functions, one statement each. */
export const laneLoadsFunctionsSql = (o: LaneLoadsShape) => [
  `
  CREATE OR REPLACE FUNCTION lane_loads_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    ${applySql(contributionSql('NEW', 1, o), o)};
    RETURN NULL;
  END $$`,
  `
  CREATE OR REPLACE FUNCTION lane_loads_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    ${applySql(`${contributionSql('n', 1, o)} FROM new_rows n UNION ALL ${contributionSql('o', -1, o)} FROM old_rows o`, o)};
    RETURN NULL;
  END $$`,
  `
  CREATE OR REPLACE FUNCTION lane_loads_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    ${applySql(`${contributionSql('o', -1, o)} FROM old_rows o`, o)};
    RETURN NULL;
  END $$`,
];
