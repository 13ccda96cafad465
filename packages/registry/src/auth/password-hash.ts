// bcrypt for htpasswd lines, through @node-rs/bcrypt (hashing and verifying run on libuv's thread pool,
// never on the event loop). We write `$2y$`, as `htpasswd -B` does, and read `$2y$`, `$2b$` and `$2a$`.
// The binding is loaded on first use: `serve` without auth, and every other command, never loads it.
const bcrypt = (): Promise<typeof import('@node-rs/bcrypt')> => import('@node-rs/bcrypt');

/** A bcrypt hash in modular crypt format; group 1 is the variant letter, group 2 the cost. */
export const BCRYPT_HASH = /^\$2([aby])\$(\d\d)\$[./A-Za-z0-9]{53}$/;
export const MIN_BCRYPT_COST = 4;
export const MAX_BCRYPT_COST = 31;

/** The cost of a bcrypt hash, or undefined when `text` is not one. */
export function bcryptCostOf(text: string): number | undefined {
  const match = BCRYPT_HASH.exec(text);
  return match === null ? undefined : Number(match[2]);
}

/** A `$2y$` hash of `password`, the prefix `htpasswd -B` writes ($2b$ and $2y$ are the same algorithm). */
export async function hashPassword(password: string, cost: number): Promise<string> {
  if (!Number.isInteger(cost) || cost < MIN_BCRYPT_COST || cost > MAX_BCRYPT_COST) {
    throw new RangeError(`${cost} is not a bcrypt cost (${MIN_BCRYPT_COST} to ${MAX_BCRYPT_COST})`);
  }
  const hashed = await (await bcrypt()).hash(password, cost);
  return `$2y$${hashed.slice(4)}`;
}

/** True when `password` matches the bcrypt `hashed`; false (never a throw) for a hash bcrypt cannot read. */
export async function verifyPassword(password: string, hashed: string): Promise<boolean> {
  try {
    return await (await bcrypt()).verify(password, hashed);
  } catch {
    return false;
  }
}
