/**
 * The alert aggregate, stream `alert-<alertId>`: open -> acknowledged ->
 * resolved (an open alert may be resolved directly). Asking for the state the
 * alert is already in decides nothing (the no-op rule: the route answers 200
 * with `changed: false`); acknowledging a resolved alert, which would move it
 * backwards, is refused with 409 `conflict`. Pure; tested in alerts.test.ts.
 */
import type { Evolver } from "../../../events/handle.ts";
import type { NewEvent, StoredEvent } from "../../../events/types.ts";
import { AppError } from "../../http/errors.ts";

export type AlertStatus = "open" | "acknowledged" | "resolved";

export interface AlertState {
  status: AlertStatus | null;
}

export const alertStream = (alertId: string) => `alert-${alertId}`;

export const alertEvolver: Evolver<AlertState> = {
  initialState: () => ({ status: null }),
  evolve(state, e: StoredEvent) {
    switch (e.type) {
      case "AlertRaised":
        return { status: "open" };
      case "AlertAcknowledged":
        return { status: "acknowledged" };
      case "AlertResolved":
        return { status: "resolved" };
      default:
        return state;
    }
  },
};

export interface Transition {
  alertId: string;
  note: string | null;
}

const missing = () => new AppError("not_found", "No such alert");

export function decideAcknowledge(s: AlertState, cmd: Transition): NewEvent[] {
  if (s.status === null) throw missing();
  if (s.status === "acknowledged") return [];
  if (s.status === "resolved") {
    throw new AppError("conflict", "The alert is resolved; a resolved alert cannot be acknowledged");
  }
  return [{ type: "AlertAcknowledged", data: { alertId: cmd.alertId, note: cmd.note } }];
}

export function decideResolve(s: AlertState, cmd: Transition): NewEvent[] {
  if (s.status === null) throw missing();
  if (s.status === "resolved") return [];
  return [{ type: "AlertResolved", data: { alertId: cmd.alertId, note: cmd.note } }];
}
