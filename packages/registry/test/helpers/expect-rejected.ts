// Awaits a promise that must reject with an Error whose message matches.
import { expect } from 'chai';

export async function expectRejected(promise: Promise<unknown>, message: RegExp): Promise<void> {
  let error: Error | undefined;
  try {
    await promise;
  } catch (err) {
    error = err as Error;
  }
  expect(error, 'rejected').to.be.instanceOf(Error);
  expect(error?.message).to.match(message);
}
