/** IP bans: the active ones, each with a lift form (reason required). */
import type { View } from "../view.ts";
import { ActionForm, Layout, when } from "./layout.tsx";

export interface BanRow {
  ip: string;
  until: string;
  reason: string;
  failures: number;
  bannedAt: string;
}

export function BansPage(props: { view: View; bans: BanRow[] }) {
  const { view } = props;
  return (
    <Layout view={view} title="IP bans">
      <p class="muted">Banned addresses may not use the sign-in routes until the ban ends or is lifted.</p>
      {props.bans.length === 0 ? (
        <p>No address is banned.</p>
      ) : (
        <div class="table-wrap">
          <table class="rows">
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">Rule</th>
                <th scope="col" class="hide-narrow">
                  Failures
                </th>
                <th scope="col">Until</th>
                {view.canManageSecurity ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {props.bans.map((b, i) => (
                <tr data-ban={b.ip}>
                  <td class="mono">{b.ip}</td>
                  <td>{b.reason}</td>
                  <td class="hide-narrow">{b.failures}</td>
                  <td>{when(b.until)}</td>
                  {view.canManageSecurity ? (
                    <td>
                      <ActionForm view={view} id={`lift-${i}`} action="/console/bans/lift" label="Lift ban">
                        <input type="hidden" name="ip" value={b.ip} />
                      </ActionForm>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
