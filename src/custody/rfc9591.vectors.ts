/**
 * RFC 9591 Appendix E test vectors, FROST(Ed25519, SHA-512) and FROST(secp256k1,
 * SHA-256), as published in the standard's repository
 * (github.com/cfrg/draft-irtf-cfrg-frost, poc/frost-ed25519-sha512.json and
 * poc/frost-secp256k1-sha256.json at commit 127452b). Only the inputs a
 * coordinator sees and the outputs it must produce are kept. Test data only.
 */

export interface Rfc9591Vector {
  suite: "ed25519" | "secp256k1";
  name: string;
  groupPublicKey: string;
  /** The degree-1 coefficient of the dealer polynomial (a0 is the group secret). */
  coefficient: string;
  message: string;
  participantShares: { identifier: number; share: string }[];
  signers: { identifier: number; hiding: string; binding: string; sigShare: string }[];
  signature: string;
}

export const RFC9591_VECTORS: Rfc9591Vector[] = [
  {
    suite: "ed25519",
    name: "FROST(Ed25519, SHA-512)",
    groupPublicKey: "15d21ccd7ee42959562fc8aa63224c8851fb3ec85a3faf66040d380fb9738673",
    coefficient: "178199860edd8c62f5212ee91eff1295d0d670ab4ed4506866bae57e7030b204",
    message: "74657374",
    participantShares: [
      {
        identifier: 1,
        share: "929dcc590407aae7d388761cddb0c0db6f5627aea8e217f4a033f2ec83d93509",
      },
      {
        identifier: 2,
        share: "a91e66e012e4364ac9aaa405fcafd370402d9859f7b6685c07eed76bf409e80d",
      },
      {
        identifier: 3,
        share: "d3cb090a075eb154e82fdb4b3cb507f110040905468bb9c46da8bdea643a9a02",
      },
    ],
    signers: [
      {
        identifier: 1,
        hiding: "b5aa8ab305882a6fc69cbee9327e5a45e54c08af61ae77cb8207be3d2ce13de3",
        binding: "67e98ab55aa310c3120418e5050c9cf76cf387cb20ac9e4b6fdb6f82a469f932",
        sigShare: "001719ab5a53ee1a12095cd088fd149702c0720ce5fd2f29dbecf24b7281b603",
      },
      {
        identifier: 3,
        hiding: "cfbdb165bd8aad6eb79deb8d287bcc0ab6658ae57fdcc98ed12c0669e90aec91",
        binding: "7487bc41a6e712eea2f2af24681b58b1cf1da278ea11fe4e8b78398965f13552",
        sigShare: "bd86125de990acc5e1f13781d8e32c03a9bbd4c53539bbc106058bfd14326007",
      },
    ],
    signature:
      "36282629c383bb820a88b71cae937d41f2f2adfcc3d02e55507e2fb9e2dd3cbebd9d2b0844e49ae0f3fa935161e1419aab7b47d21a37ebeae1f17d4987b3160b",
  },
  {
    suite: "secp256k1",
    name: "FROST(secp256k1, SHA-256)",
    groupPublicKey: "02f37c34b66ced1fb51c34a90bdae006901f10625cc06c4f64663b0eae87d87b4f",
    coefficient: "fbf85eadae3058ea14f19148bb72b45e4399c0b16028acaf0395c9b03c823579",
    message: "74657374",
    participantShares: [
      {
        identifier: 1,
        share: "08f89ffe80ac94dcb920c26f3f46140bfc7f95b493f8310f5fc1ea2b01f4254c",
      },
      {
        identifier: 2,
        share: "04f0feac2edcedc6ce1253b7fab8c86b856a797f44d83d82a385554e6e401984",
      },
      {
        identifier: 3,
        share: "00e95d59dd0d46b0e303e500b62b7ccb0e555d49f5b849f5e748c071da8c0dbc",
      },
    ],
    signers: [
      {
        identifier: 1,
        hiding: "03c699af97d26bb4d3f05232ec5e1938c12f1e6ae97643c8f8f11c9820303f1904",
        binding: "02fa2aaccd51b948c9dc1a325d77226e98a5a3fe65fe9ba213761a60123040a45e",
        sigShare: "c4fce1775a1e141fb579944166eab0d65eefe7b98d480a569bbbfcb14f91c197",
      },
      {
        identifier: 3,
        hiding: "03077507ba327fc074d2793955ef3410ee3f03b82b4cdc2370f71d865beb926ef6",
        binding: "02ad53031ddfbbacfc5fbda3d3b0c2445c8e3e99cbc4ca2db2aa283fa68525b135",
        sigShare: "0160fd0d388932f4826d2ebcd6b9eaba734f7c71cf25b4279a4ca2581e47b18d",
      },
    ],
    signature:
      "0205b6d04d3774c8929413e3c76024d54149c372d57aae62574ed74319b5ea14d0c65dde8492a7471437e6c2fe3da49b90d23f642b5c6dbe7e36089f096dd97324",
  },
];
