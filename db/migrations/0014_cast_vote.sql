-- A counted vote in one statement (src/governance/votes.ts), instead of a
-- transaction of five round trips: the same steps in the same order, each
-- statement of this function taking a fresh snapshot (READ COMMITTED), as the
-- statements of that transaction did.
--
-- 1. The proposal's stream row in share mode, held to the end: a close or
--    cancel (which locks it for update first) waits for the vote, and a vote
--    waits for a close already under way.
-- 2. The proposal's state and window read once the lock is held, so a close
--    that committed while the vote waited is seen: 'voting_closed'. `p_now` is
--    the application's clock, the one its own checks use.
-- 3. The wallet still linked to the voter (an unlink that committed meanwhile
--    is seen): 'wallet_not_linked'; an earlier vote: 'already_voted'.
-- 4. `vigil_append` of the one VoteCast envelope, unchanged (hash chain, new
--    stream), then the `governance_votes` row exactly as the inline votes
--    projection (projections/governance.ts) makes it from the same event. Its
--    unique (proposal_id, user_id) index still decides a race between two
--    votes of one voter: the second raises 23505 and nothing of it is kept.
--
-- A refusal comes back as `refusal` (nothing written); otherwise what
-- `vigil_append` returns.
CREATE FUNCTION vigil_cast_vote(p_proposal_stream text, p_stream_id text, p_stream_type text, p_expected bigint,
                                p_events text[], p_now timestamptz)
RETURNS TABLE (refusal text, ids jsonb, tx_id xid8, version bigint, head_hash bytea)
LANGUAGE plpgsql AS $$
DECLARE
  v_env jsonb;
  v_vote jsonb;
  v_state text;
  v_starts timestamptz;
  v_ends timestamptz;
BEGIN
  IF coalesce(array_length(p_events, 1), 0) <> 1 THEN
    RAISE EXCEPTION 'vigil_cast_vote: expected one event' USING ERRCODE = 'VG003';
  END IF;
  v_env := p_events[1]::jsonb;
  IF v_env->>'type' IS DISTINCT FROM 'VoteCast' THEN
    RAISE EXCEPTION 'vigil_cast_vote: expected a VoteCast event' USING ERRCODE = 'VG003';
  END IF;
  v_vote := v_env->'data';

  PERFORM 1 FROM streams s WHERE s.stream_id = p_proposal_stream FOR SHARE;

  SELECT p.state, p.voting_starts_at, p.voting_ends_at INTO v_state, v_starts, v_ends
    FROM governance_proposals p WHERE p.proposal_id = (v_vote->>'proposalId')::uuid;
  IF NOT FOUND OR v_state <> 'active' OR p_now < v_starts OR p_now >= v_ends THEN
    refusal := 'voting_closed';
    RETURN NEXT;
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM wallets w
                  WHERE w.chain = v_vote->>'chain' AND w.address = v_vote->>'wallet'
                    AND w.user_id = (v_vote->>'userId')::uuid) THEN
    refusal := 'wallet_not_linked';
    RETURN NEXT;
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM governance_votes v
              WHERE v.proposal_id = (v_vote->>'proposalId')::uuid AND v.user_id = (v_vote->>'userId')::uuid) THEN
    refusal := 'already_voted';
    RETURN NEXT;
    RETURN;
  END IF;

  SELECT a.ids, a.tx_id, a.version, a.head_hash INTO ids, tx_id, version, head_hash
    FROM vigil_append(p_stream_id, p_stream_type, p_expected, p_events) AS a;

  INSERT INTO governance_votes (vote_id, proposal_id, user_id, chain, wallet, choice, power, signed_at,
                                reason, signature, chain_id, cast_at, tx_id, event_pos)
  VALUES ((v_vote->>'voteId')::uuid, (v_vote->>'proposalId')::uuid, (v_vote->>'userId')::uuid,
          v_vote->>'chain', v_vote->>'wallet', v_vote->>'choice', (v_vote->>'power')::bigint,
          (v_vote->>'signedAt')::bigint, v_vote->>'reason', v_vote->>'signature', v_vote->>'chainId',
          (v_env->>'recorded_at')::timestamptz, tx_id::text, (ids->>0)::bigint);
  RETURN NEXT;
END $$;
