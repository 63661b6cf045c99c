/**
 * Migration 6, PostgreSQL: rate slots shared by every daemon on the database (DESIGN §10, "rate
 * limits are shared"). One row per limit key — a channel (`c:<channel>`) and a channel's
 * recipient (`r:<channel>:<recipient>`) — holding the earliest time (epoch ms, the daemons' wall
 * clock) its next send may go. `omnigate_reserve_slots` reserves the sends of a batch in one call
 * (rate-slots.ts says how): per send, the latest of its keys' next slots, taken only when it is
 * near, each key then moved on by its interval. Rows of idle keys are swept by the same call
 * when a daemon asks (every few seconds), so a bulk to a million recipients leaves no million rows.
 */
import type { PgMigration } from '../migrate.js'

const SQL = `
CREATE TABLE rate_slots (
  key text PRIMARY KEY,
  next_at double precision NOT NULL
);

CREATE FUNCTION omnigate_reserve_slots(
  p_job integer[], p_keys text[], p_intervals double precision[], p_hold double precision[],
  p_sweep boolean, p_now double precision
) RETURNS TABLE (job integer, at double precision, reserved boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_now double precision := p_now;
  v_n integer := coalesce(array_length(p_keys, 1), 0);
  v_distinct integer := (SELECT count(DISTINCT k) FROM unnest(p_keys) AS k);
  v_locked integer;
  v_at double precision;
  v_tries integer := 0;
  lo integer := 1;
  hi integer;
BEGIN
  -- Every key's row exists and is locked, in key order (two batches never wait on each other in
  -- a circle). A row swept by another call between the insert and the lock is inserted again.
  LOOP
    INSERT INTO rate_slots (key, next_at)
      SELECT DISTINCT k, 0 FROM unnest(p_keys) AS k ORDER BY 1
      ON CONFLICT (key) DO NOTHING;
    SELECT count(*) INTO v_locked FROM (
      SELECT 1 FROM rate_slots WHERE key = ANY (p_keys) ORDER BY key FOR UPDATE) AS locked;
    v_tries := v_tries + 1;
    EXIT WHEN v_locked >= v_distinct OR v_tries >= 5;
  END LOOP;
  WHILE lo <= v_n LOOP
    hi := lo;
    WHILE hi < v_n AND p_job[hi + 1] = p_job[lo] LOOP
      hi := hi + 1;
    END LOOP;
    SELECT greatest(v_now, max(s.next_at)) INTO v_at
      FROM rate_slots AS s WHERE s.key = ANY (p_keys[lo:hi]);
    job := p_job[lo];
    at := v_at;
    reserved := v_at - v_now <= p_hold[lo];
    IF reserved THEN
      FOR i IN lo..hi LOOP
        INSERT INTO rate_slots AS s (key, next_at) VALUES (p_keys[i], v_at + p_intervals[i])
          ON CONFLICT (key) DO UPDATE SET next_at = greatest(s.next_at, excluded.next_at);
      END LOOP;
    END IF;
    RETURN NEXT;
    lo := hi + 1;
  END LOOP;
  -- Asked for now and then (rate-slots.ts): keys idle for a minute go (a row whose slot has
  -- passed limits nothing: a missing row reads as free). Rows another call holds are skipped.
  IF p_sweep THEN
    DELETE FROM rate_slots WHERE key IN (
      SELECT key FROM rate_slots WHERE next_at < v_now - 60000
      LIMIT 1000 FOR UPDATE SKIP LOCKED);
  END IF;
END
$fn$;
`

export const rateSlots: PgMigration = { version: 6, name: 'rate-slots', up: SQL }
