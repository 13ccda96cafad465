// Reading htpasswd text: bcrypt lines of all three prefixes, comments and blank lines, and every other
// line refused with its number and the kind of problem, never the hash.
import { expect } from 'chai';
import { HtpasswdLineError, parseHtpasswd } from '../../src/auth/htpasswd-parse.js';
import { userNameProblem } from '../../src/auth/user-name.js';
import { bcryptLine } from './htpasswd-test-helpers.js';

const BCRYPT_2Y = '$2y$05$T1v4.YzJxN4yiba8blclsugcqdzK7fwP.SBERGbSVx75hX2jlKreO';

function problemOf(text: string): HtpasswdLineError {
  try {
    parseHtpasswd(text);
  } catch (err) {
    if (err instanceof HtpasswdLineError) return err;
    throw err;
  }
  throw new Error('the text was accepted');
}

describe('htpasswd: parsing', function () {
  it('reads $2y$, $2b$ and $2a$ lines between comments, blank lines and CRLF endings, in file order', async function () {
    const b = await bcryptLine('bob', 'pw-b', '$2b$');
    const a = await bcryptLine('ann', 'pw-a', '$2a$');
    const entries = parseHtpasswd(`# users\n\ncy:${BCRYPT_2Y}\r\n   # indented comment\n${b}\n${a}\n\n`);
    expect([...entries.keys()]).to.deep.equal(['cy', 'bob', 'ann']);
    expect(entries.get('cy')).to.deep.equal({ user: 'cy', hash: BCRYPT_2Y, line: 3 });
    expect(entries.get('bob')?.line).to.equal(5);
    expect(entries.get('ann')?.hash.startsWith('$2a$')).to.equal(true);
  });

  it('reads an empty file as no users', function () {
    expect(parseHtpasswd('').size).to.equal(0);
    expect(parseHtpasswd('# nobody yet\n').size).to.equal(0);
  });

  const refused: [string, string, RegExp][] = [
    ['an MD5 line', 'eve:$apr1$QpI0hXYK$5o2sVf0ot1pmOBy6fELmd.', /user "eve": an MD5 \(\$apr1\$\) hash: only bcrypt/],
    ['a SHA-1 line', 'eve:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=', /a SHA-1 \(\{SHA\}\) hash/],
    ['a DES crypt line', 'eve:rqXexS6ZhobKA', /a DES crypt hash/],
    ['a SHA-512 crypt line', 'eve:$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/', /a crypt\(3\) "\$6\$" hash/],
    ['a plain-text password', 'eve:hunter2', /not a bcrypt hash \(a plain-text password/],
    ['a truncated bcrypt hash', `eve:${BCRYPT_2Y.slice(0, 40)}`, /a malformed bcrypt hash/],
    ['a $2x$ hash', `eve:$2x$${BCRYPT_2Y.slice(4)}`, /unsupported bcrypt variant "\$2x\$"/],
    ['a bcrypt cost of 3', `eve:$2y$03$${BCRYPT_2Y.slice(7)}`, /bcrypt cost 3 is outside 4 to 31/],
    ['an empty hash', 'eve:', /the password hash is empty/],
    ['a line without ":"', 'eve', /expected USER:HASH/],
    ['an empty user name', `:${BCRYPT_2Y}`, /the user name is empty/],
    ['a user name with a space', `e ve:${BCRYPT_2Y}`, /whitespace or a control character/],
  ];
  for (const [what, line, problem] of refused) {
    it(`refuses ${what} with its line number, never echoing the hash`, function () {
      const err = problemOf(`# header\ncy:${BCRYPT_2Y}\n${line}\n`);
      expect(err.code).to.equal('HTPASSWD_INVALID');
      expect(err.line).to.equal(3);
      expect(err.problem).to.match(problem);
      const secret = line.slice(line.indexOf(':') + 1);
      if (secret.length > 4) expect(err.message).to.not.include(secret.slice(4));
    });
  }

  it('refuses a user defined twice, naming both lines', function () {
    const err = problemOf(`cy:${BCRYPT_2Y}\n\n# again\ncy:${BCRYPT_2Y}\n`);
    expect(err.line).to.equal(4);
    expect(err.problem).to.equal('user "cy" appears twice (lines 1 and 4)');
  });

  it('accepts user names up to 255 characters without ":", whitespace or control characters', function () {
    expect(userNameProblem('ci-bot.01@example')).to.equal(undefined);
    expect(userNameProblem('x'.repeat(255))).to.equal(undefined);
    expect(userNameProblem('x'.repeat(256))).to.match(/longer than 255/);
    expect(userNameProblem('a:b')).to.match(/":"/);
    expect(userNameProblem('a\tb')).to.match(/whitespace/);
    expect(userNameProblem('a\u0000b')).to.match(/control/);
    expect(userNameProblem('')).to.match(/empty/);
  });
});
