// Secrets a suite used (passwords, tokens, robot secrets), and the check that none of them, nor an
// Authorization header, ever reached a log line.
import { expect } from 'chai';
import { readLogText } from '@private-registry/testbed';

export class SecretLedger {
  private readonly secrets = new Set<string>();

  add(...secrets: string[]): void {
    for (const secret of secrets) if (secret.length >= 8) this.secrets.add(secret);
  }

  /** Fails naming the secret's first characters when any appears in the log (or `Authorization` values do). */
  async assertNotIn(logFile: string): Promise<void> {
    const text = await readLogText(logFile);
    expect(text.length, 'the log is not empty').to.be.greaterThan(0);
    for (const secret of this.secrets) {
      expect(text.includes(secret), `a secret starting ${secret.slice(0, 4)}… is in ${logFile}`).to.equal(false);
      // Base64 of user:password (a Basic header's value) too.
      expect(text.includes(Buffer.from(secret).toString('base64').slice(0, 16)), `a base64 secret in ${logFile}`).to.equal(false);
    }
    expect(text, 'an Authorization header value in the log').to.not.match(/(Basic|Bearer) [A-Za-z0-9+/=._-]{16,}/);
    expect(text.toLowerCase(), 'an authorization header in the log').to.not.include('"authorization"');
  }
}
