// Where `private-registry user` gets a new password: a no-echo prompt asked twice on a terminal, else the
// first line of stdin (`--password-stdin`, or stdin is a pipe). Never argv, where `ps` and shell history
// would show it.
import { CodedError } from '@private-registry/core';

/** bcrypt reads at most 72 bytes; a longer password would be cut short without a word. */
export const MAX_PASSWORD_BYTES = 72;

export async function readNewPassword(options: { passwordStdin?: boolean }): Promise<string> {
  const fromStdin = options.passwordStdin === true || process.stdin.isTTY !== true;
  const password = fromStdin ? await firstLineOf(process.stdin) : await promptTwice();
  if (password === '') throw new CodedError('PASSWORD_INVALID', fromStdin ? 'no password on stdin (an empty first line)' : 'the password is empty');
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw new CodedError('PASSWORD_INVALID', `the password is longer than ${MAX_PASSWORD_BYTES} bytes, which bcrypt would silently cut short`);
  }
  return password;
}

async function promptTwice(): Promise<string> {
  const ask = async (prompt: string): Promise<string> => {
    const { read } = await import('read');
    const answer = await read({ prompt, silent: true, replace: '', input: process.stdin, output: process.stderr });
    process.stderr.write('\n');
    return answer;
  };
  const first = await ask('New password: ');
  const second = await ask('Retype new password: ');
  if (first !== second) throw new CodedError('PASSWORD_INVALID', 'the passwords do not match');
  return first;
}

/** The first line of `stream` without its line ending (all of it when there is no newline). */
function firstLineOf(stream: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (line: string): void => {
      stream.off('data', onData).off('end', onEnd).off('error', onError);
      stream.pause();
      stream.destroy();
      resolve(line.replace(/\r$/, ''));
    };
    const onData = (chunk: string): void => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline >= 0) finish(text.slice(0, newline));
    };
    const onEnd = (): void => finish(text);
    const onError = (err: Error): void => reject(new CodedError('PASSWORD_INVALID', `cannot read the password from stdin: ${err.message}`));
    stream.setEncoding('utf8');
    stream.on('data', onData).on('end', onEnd).on('error', onError);
  });
}
