-- vigil_append with a path of its own for the common append of one event.
--
-- The same contract and the same checks as 0001 (the expected version under the
-- stream's row lock, the envelope matching its stream and version, the hash
-- chain computed here from the canonical text, the stream row written last),
-- but one event needs no arrays, no unnest, no CTE and no jsonb_agg: a plain
-- INSERT … VALUES … RETURNING and the result row set directly. Measured in one
-- backend, 20 appends per stream: ~115 µs per append before, ~90 µs after,
-- against ~55 µs for the events row alone (three indexes). Appends of several
-- events keep 0001's set-based INSERT.
CREATE OR REPLACE FUNCTION vigil_append(p_stream_id text, p_stream_type text, p_expected bigint, p_events text[])
RETURNS TABLE (ids jsonb, tx_id xid8, version bigint, head_hash bytea)
LANGUAGE plpgsql AS $$
DECLARE
  v_version bigint := 0;
  v_head bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
  v_ids jsonb;
  v_id bigint;
  v_prev bytea;
  v_canon text;
  v_env jsonb;
  v_envs jsonb[] := '{}';
  v_prevs bytea[] := '{}';
  v_hashes bytea[] := '{}';
BEGIN
  -- A new stream needs no read: its row is created after the events, and a
  -- racing creator fails on the events' (stream_id, stream_version) key.
  IF p_expected <> 0 THEN
    SELECT s.version, coalesce(s.head_hash, v_head) INTO v_version, v_head
      FROM streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
    IF NOT FOUND OR v_version <> p_expected THEN
      RAISE EXCEPTION 'stream % is at version %, expected %', p_stream_id, coalesce(v_version, 0), p_expected
        USING ERRCODE = 'VG001';
    END IF;
  END IF;

  IF array_length(p_events, 1) = 1 THEN
    v_canon := p_events[1];
    v_env := v_canon::jsonb;
    v_version := v_version + 1;
    IF v_env->>'stream_id' IS DISTINCT FROM p_stream_id OR (v_env->>'stream_version')::bigint IS DISTINCT FROM v_version THEN
      RAISE EXCEPTION 'envelope does not match stream % version %', p_stream_id, v_version USING ERRCODE = 'VG003';
    END IF;
    v_prev := v_head;
    v_head := sha256(v_prev || convert_to(v_canon, 'UTF8'));
    INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
      VALUES (p_stream_id, v_version, (v_env->>'event_id')::uuid, v_env->>'type', (v_env->>'schema_version')::smallint,
              v_env->'data', v_env->'metadata', (v_env->>'recorded_at')::timestamptz, v_prev, v_head)
      RETURNING events.id INTO v_id;
    v_ids := jsonb_build_array(v_id);
  ELSE
    FOREACH v_canon IN ARRAY p_events LOOP
      v_env := v_canon::jsonb;
      v_version := v_version + 1;
      IF v_env->>'stream_id' IS DISTINCT FROM p_stream_id OR (v_env->>'stream_version')::bigint IS DISTINCT FROM v_version THEN
        RAISE EXCEPTION 'envelope does not match stream % version %', p_stream_id, v_version USING ERRCODE = 'VG003';
      END IF;
      v_envs := v_envs || v_env;
      v_prevs := v_prevs || v_head;
      v_head := sha256(v_head || convert_to(v_canon, 'UTF8'));
      v_hashes := v_hashes || v_head;
    END LOOP;

    -- One set-based INSERT for the batch (a statement per event costs ~25% more
    -- server time on 100-event batches). Ids come back per event: concurrent
    -- appends draw from the same sequence, so a batch's ids need not be contiguous.
    WITH inserted AS (
      INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
        SELECT p_stream_id, p_expected + u.n, (u.env->>'event_id')::uuid, u.env->>'type', (u.env->>'schema_version')::smallint,
               u.env->'data', u.env->'metadata', (u.env->>'recorded_at')::timestamptz, u.prev, u.hash
          FROM unnest(v_envs, v_prevs, v_hashes) WITH ORDINALITY AS u(env, prev, hash, n)
         ORDER BY u.n
        RETURNING id, stream_version
    )
    SELECT jsonb_agg(i.id ORDER BY i.stream_version) INTO v_ids FROM inserted i;
  END IF;

  IF p_expected = 0 THEN
    -- A row at version 0 is an `any` writer's placeholder, locked by this transaction.
    INSERT INTO streams AS s (stream_id, stream_type, version, head_hash)
      VALUES (p_stream_id, p_stream_type, v_version, v_head)
      ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, head_hash = EXCLUDED.head_hash
      WHERE s.version = 0;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'stream % already exists', p_stream_id USING ERRCODE = 'VG001';
    END IF;
  ELSE
    UPDATE streams s SET version = v_version, head_hash = v_head WHERE s.stream_id = p_stream_id;
  END IF;
  ids := v_ids;
  tx_id := pg_current_xact_id();
  version := v_version;
  head_hash := v_head;
  RETURN NEXT;
END $$;
