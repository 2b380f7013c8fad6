/** Refresh token reuse: someone holds a copy of a spent token. Every occurrence is an alert. */
import type { Rule } from "../types.ts";

export const refreshTokenReuse: Rule = (_window, trigger) => {
  if (trigger.type !== "RefreshTokenReuseDetected") return [];
  const { sessionId } = trigger.data as { sessionId: string };
  return [
    {
      rule: "refresh_token_reuse",
      severity: "high",
      subject: { kind: "session", sessionId },
      summary: "A spent refresh token was presented again; its session was revoked",
      eventIds: [trigger.eventId],
      periodMs: null,
    },
  ];
};
