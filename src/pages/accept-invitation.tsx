/**
 * GET /accept-invitation: what a custody invitation is and how to accept it.
 * Accepting takes the guardian's device X25519 transport public key, whose
 * private half must never leave that device, so a web form here cannot do it:
 * the page explains the call the guardian's client makes.
 */
import { Layout } from "./layout.tsx";

export function AcceptInvitationPage({ nonce }: { nonce: string }) {
  return (
    <Layout title="Accept a custody invitation" nonce={nonce}>
      <p>
        You were invited to become a guardian of a custody vault. A vault's key is split between its
        guardians, and a signature needs enough of them to take part, so no single guardian can sign alone.
      </p>
      <p>
        Accept with the guardian app or client your organisation uses. It creates a transport key pair on your
        device (the private key stays there), signs you in, and redeems the code from the email:
      </p>
      <pre>
        <code>{`POST /v1/custody/invitations/redeem
Authorization: Bearer <your access token>
Content-Type: application/json

{"code": "<the code from the email>", "transportPublicKey": "<your device's X25519 public key, 64 hex digits>"}`}</code>
      </pre>
      <p class="hint">
        The code works once and expires; ask the vault's administrator for a new invitation if it has. If you
        did not expect this invitation, ignore it.
      </p>
    </Layout>
  );
}
