-- The write combiner (events/combiner.ts): concurrent appends of different
-- streams that each own their transaction are sent together, as one statement
-- and one commit, instead of one commit each.
--
-- Every append in the batch is `vigil_append` exactly as before (the same
-- expected-version check under the stream's row lock, the same hash chain
-- computed here from the canonical text), run in its own subtransaction: an
-- append that fails (a version conflict, a duplicate event id, a deadlock) is
-- rolled back alone and reported in its row, and the others still commit.
--
-- p_streams, p_types, p_expected, p_counts: one entry per append, in the order
-- to run them (the app sorts by stream id, so two batches never take the same
-- stream locks in opposite orders); p_events: every append's canonical
-- envelopes, concatenated in that order, p_counts[i] of them for append i.
-- One row comes back per append, in order: its ids, version and head hash, or
-- the SQLSTATE and message of its failure.
CREATE FUNCTION vigil_append_many(p_streams text[], p_types text[], p_expected bigint[], p_counts int[], p_events text[])
RETURNS TABLE (ids jsonb, version bigint, head_hash bytea, err_code text, err_message text, tx_id xid8)
LANGUAGE plpgsql AS $$
DECLARE
  v_at int := 1;
  v_n int := coalesce(array_length(p_streams, 1), 0);
BEGIN
  IF coalesce(array_length(p_types, 1), 0) <> v_n OR coalesce(array_length(p_expected, 1), 0) <> v_n
     OR coalesce(array_length(p_counts, 1), 0) <> v_n THEN
    RAISE EXCEPTION 'vigil_append_many: argument arrays differ in length' USING ERRCODE = 'VG003';
  END IF;
  FOR i IN 1 .. v_n LOOP
    ids := NULL; version := NULL; head_hash := NULL; err_code := NULL; err_message := NULL; tx_id := NULL;
    IF p_counts[i] < 1 OR v_at + p_counts[i] - 1 > coalesce(array_length(p_events, 1), 0) THEN
      RAISE EXCEPTION 'vigil_append_many: event counts do not match the events' USING ERRCODE = 'VG003';
    END IF;
    BEGIN
      SELECT a.ids, a.version, a.head_hash, a.tx_id INTO ids, version, head_hash, tx_id
        FROM vigil_append(p_streams[i], p_types[i], p_expected[i], p_events[v_at : v_at + p_counts[i] - 1]) AS a;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS err_code = RETURNED_SQLSTATE, err_message = MESSAGE_TEXT;
    END;
    v_at := v_at + p_counts[i];
    RETURN NEXT;
  END LOOP;
  IF v_at - 1 <> coalesce(array_length(p_events, 1), 0) THEN
    RAISE EXCEPTION 'vigil_append_many: event counts do not match the events' USING ERRCODE = 'VG003';
  END IF;
END $$;
