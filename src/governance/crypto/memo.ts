/**
 * A bounded memo for pure functions of a string that a vote computes again
 * and again with the same input: the EIP-55 checksum of a voter's address
 * (twice per vote: the wallet given, the address recovered) and the keccak of
 * a proposal id or a choice. Oldest entries go first once full; a value must
 * never be mutated by its users.
 */
export function memoize<T>(fn: (key: string) => T, max = 4096): (key: string) => T {
  const kept = new Map<string, T>();
  return (key) => {
    let value = kept.get(key);
    if (value === undefined) {
      value = fn(key);
      kept.set(key, value);
      if (kept.size > max) kept.delete(kept.keys().next().value!);
    }
    return value;
  };
}
