// Replicas sharing one store (two filesystem drivers on one directory, as two processes would have): keys
// made at the same moment converge on one current key, and each replica verifies the other's tokens.
import { expect } from 'chai';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '@private-registry/core';
import { tempDir } from '@private-registry/testbed';
import { SigningKeys } from '../../src/auth/signing-keys.js';
import { TokenIssuer } from '../../src/auth/token-issuer.js';
import { TokenVerifier } from '../../src/auth/token-verifier.js';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';

const log = createLogger({ level: 'silent' });
const DAY = 24 * 3_600_000;

interface Replica {
  keys: SigningKeys;
  issuer: TokenIssuer;
  verifier: TokenVerifier;
}

async function replicas(root: string, now: () => number): Promise<[Replica, Replica]> {
  const open = async (): Promise<Replica> => {
    const keys = await SigningKeys.open({ driver: new FilesystemDriver({ rootDirectory: root }), rotationMs: 10 * DAY, tokenLifetimeS: 300, refreshLifetimeMs: DAY, log, now });
    return {
      keys,
      issuer: new TokenIssuer(keys, { issuer: 'me', expirationS: 300, refreshExpirationMs: DAY, now }),
      verifier: await TokenVerifier.create({ issuer: 'me', service: 'svc', ownKeys: keys, log, now }),
    };
  };
  return Promise.all([open(), open()]);
}

function partsKid(token: string): unknown {
  return JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid;
}

describe('token signing keys on a store shared by replicas', () => {
  it('converges on one current key when two replicas start on an empty store at once', async () => {
    const root = (await tempDir('keys-replicas')).path;
    const [a, b] = await replicas(root, Date.now);
    try {
      // Both may have made a key; after one refresh (the 15 s timer) both sign with the newest.
      await Promise.all([a.keys.refresh(), b.keys.refresh()]);
      expect(a.keys.current().id).to.equal(b.keys.current().id);
      const files = await readdir(join(root, 'private-registry/auth/signing-keys'));
      expect(files.length).to.be.within(1, 2);
      // Whatever key signed, the other replica verifies it.
      const fromA = await a.issuer.issue({ subject: 'u', audience: 'svc', access: [] });
      expect((await b.verifier.verify(fromA.token)).subject).to.equal('u');
    } finally {
      a.keys.close();
      b.keys.close();
    }
  });

  it('converges after both replicas rotate at the same moment, and keeps the old key for tokens it signed', async () => {
    const root = (await tempDir('keys-rotate-replicas')).path;
    let now = Date.parse('2026-03-01T00:00:00Z');
    const [a, b] = await replicas(root, () => now);
    try {
      await Promise.all([a.keys.refresh(), b.keys.refresh()]);
      const first = a.keys.current().id;
      now += 10 * DAY + 1;
      // Signed just before the rotation is noticed.
      const old = await b.issuer.issue({ subject: 'u', audience: 'svc', access: [] });
      expect(partsKid(old.token)).to.equal(first);
      await Promise.all([a.keys.refresh(), b.keys.refresh()]);
      await Promise.all([a.keys.refresh(), b.keys.refresh()]);
      expect(a.keys.current().id).to.equal(b.keys.current().id).and.not.equal(first);
      expect((await a.verifier.verify(old.token)).subject).to.equal('u');
      // A token from the new key made on one replica verifies on the other.
      const fresh = await a.issuer.issue({ subject: 'v', audience: 'svc', access: [] });
      expect((await b.verifier.verify(fresh.token)).subject).to.equal('v');
      // Past every lifetime only the current key is left, on both.
      now += DAY + 120_000;
      await Promise.all([a.keys.refresh(), b.keys.refresh()]);
      expect(a.keys.verificationKeys().map((k) => k.id)).to.deep.equal([a.keys.current().id]);
      expect(b.keys.verificationKeys().map((k) => k.id)).to.deep.equal([a.keys.current().id]);
    } finally {
      a.keys.close();
      b.keys.close();
    }
  });
});
