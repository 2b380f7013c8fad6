-- The write combiner's common batch (events/combiner.ts), set-based: appends of
-- one event each, to distinct streams. vigil_append_many runs vigil_append once
-- per append, four statements and a subtransaction each, and Postgres's start-up
-- of those statements was the largest share of a batch's server time. Here each
-- step is one statement for the whole batch.
--
-- The checks are vigil_append's, enforced here, for every append: the stream's
-- row locked (existing streams in stream-id order, as vigil_append_many takes
-- them) and its version equal to the expected one, or no stream yet (a racing
-- creator fails on the events' key, an `any` writer's version-0 placeholder is
-- taken over as before); the envelope naming its stream and version; the link
-- hashed here from the locked head and the canonical text; ids and heads
-- returned per append. It has no subtransactions, so any failure (a version
-- conflict, a forged envelope, a duplicate event id, a deadlock) fails the whole
-- statement and nothing of the batch commits: the app then sends the same batch
-- through vigil_append_many, where each append succeeds or fails on its own.
--
-- p_streams, p_types, p_expected, p_events: one entry per append, sorted by
-- stream id. One row comes back per append, in order, shaped as
-- vigil_append_many's (err_code and err_message always null).
CREATE FUNCTION vigil_append_each(p_streams text[], p_types text[], p_expected bigint[], p_events text[])
RETURNS TABLE (ids jsonb, version bigint, head_hash bytea, err_code text, err_message text, tx_id xid8)
LANGUAGE plpgsql AS $$
DECLARE
  v_n int := coalesce(array_length(p_streams, 1), 0);
  v_zero bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
  v_heads bytea[];
  v_envs jsonb[];
  v_hashes bytea[];
  v_ids bigint[];
  v_bad int;
  v_count int;
BEGIN
  IF coalesce(array_length(p_types, 1), 0) <> v_n OR coalesce(array_length(p_expected, 1), 0) <> v_n
     OR coalesce(array_length(p_events, 1), 0) <> v_n THEN
    RAISE EXCEPTION 'vigil_append_each: argument arrays differ in length' USING ERRCODE = 'VG003';
  END IF;
  -- Two appends of one stream chain on each other: vigil_append_many's business.
  IF (SELECT count(DISTINCT s) FROM unnest(p_streams) AS s) <> v_n THEN
    RAISE EXCEPTION 'vigil_append_each: a stream appears twice' USING ERRCODE = 'VG003';
  END IF;

  -- The rows of the streams appended at a version, locked in stream-id order
  -- (as vigil_append takes each in vigil_append_many's sorted batch): each
  -- append's head, and how many expected another version than their row holds.
  WITH locked AS MATERIALIZED (
    SELECT s.stream_id, s.version, s.head_hash FROM streams s
     WHERE s.stream_id = ANY (ARRAY(SELECT e.s FROM unnest(p_streams, p_expected) AS e(s, v) WHERE e.v <> 0))
     ORDER BY s.stream_id
       FOR UPDATE
  )
  SELECT array_agg(coalesce(l.head_hash, v_zero) ORDER BY r.n),
         count(*) FILTER (WHERE r.expected <> 0 AND l.version IS DISTINCT FROM r.expected)
    INTO v_heads, v_bad
    FROM unnest(p_streams, p_expected) WITH ORDINALITY AS r(stream_id, expected, n)
    LEFT JOIN locked l ON l.stream_id = r.stream_id;
  IF v_bad > 0 THEN
    RAISE EXCEPTION 'vigil_append_each: % of % appends expected another version', v_bad, v_n USING ERRCODE = 'VG001';
  END IF;

  -- The envelopes (each parsed once: OFFSET 0 keeps the subquery from being
  -- folded into its three uses), checked against their stream and version, and
  -- their links hashed from the heads read under the locks.
  SELECT array_agg(r.env ORDER BY r.n),
         array_agg(sha256(r.head || convert_to(r.canon, 'UTF8')) ORDER BY r.n),
         count(*) FILTER (WHERE r.env->>'stream_id' IS DISTINCT FROM r.stream_id
                             OR (r.env->>'stream_version')::bigint IS DISTINCT FROM r.expected + 1)
    INTO v_envs, v_hashes, v_bad
    FROM (SELECT u.*, u.canon::jsonb AS env
            FROM unnest(p_streams, p_expected, p_events, v_heads) WITH ORDINALITY AS u(stream_id, expected, canon, head, n)
          OFFSET 0) AS r;
  IF v_bad > 0 THEN
    RAISE EXCEPTION 'vigil_append_each: % of % envelopes do not match their stream and version', v_bad, v_n
      USING ERRCODE = 'VG003';
  END IF;

  WITH inserted AS (
    INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
      SELECT u.stream_id, u.expected + 1, (u.env->>'event_id')::uuid, u.env->>'type', (u.env->>'schema_version')::smallint,
             u.env->'data', u.env->'metadata', (u.env->>'recorded_at')::timestamptz, u.prev, u.hash
        FROM unnest(p_streams, p_expected, v_envs, v_heads, v_hashes) WITH ORDINALITY AS u(stream_id, expected, env, prev, hash, n)
       ORDER BY u.n
      RETURNING events.id, events.stream_id
  )
  SELECT array_agg(i.id ORDER BY r.n) INTO v_ids
    FROM unnest(p_streams) WITH ORDINALITY AS r(stream_id, n)
    JOIN inserted i ON i.stream_id = r.stream_id;

  -- New streams: created, or an `any` writer's placeholder (version 0) taken over.
  INSERT INTO streams AS s (stream_id, stream_type, version, head_hash)
    SELECT r.stream_id, r.stream_type, 1, r.hash
      FROM unnest(p_streams, p_types, p_expected, v_hashes) AS r(stream_id, stream_type, expected, hash)
     WHERE r.expected = 0
     ORDER BY r.stream_id
    ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, head_hash = EXCLUDED.head_hash
    WHERE s.version = 0;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  IF v_count <> (SELECT count(*) FROM unnest(p_expected) AS e WHERE e = 0) THEN
    RAISE EXCEPTION 'vigil_append_each: a stream to create already exists' USING ERRCODE = 'VG001';
  END IF;
  -- Existing streams: their rows are locked above, at the expected versions.
  UPDATE streams s SET version = r.expected + 1, head_hash = r.hash
    FROM unnest(p_streams, p_expected, v_hashes) AS r(stream_id, expected, hash)
   WHERE s.stream_id = r.stream_id AND r.expected <> 0;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  IF v_count <> (SELECT count(*) FROM unnest(p_expected) AS e WHERE e <> 0) THEN
    RAISE EXCEPTION 'vigil_append_each: a stream moved under its lock' USING ERRCODE = 'VG001';
  END IF;

  RETURN QUERY
    SELECT jsonb_build_array(r.id), r.expected + 1, r.hash, NULL::text, NULL::text, pg_current_xact_id()
      FROM unnest(v_ids, p_expected, v_hashes) WITH ORDINALITY AS r(id, expected, hash, n)
     ORDER BY r.n;
END $$;
