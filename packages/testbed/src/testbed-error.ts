// The one error type the testbed throws: a stable code beside a message that says what to look at
// (a log file, a command's stderr), so a failing suite explains itself.

export type TestbedErrorCode =
  | 'COMMAND_FAILED'
  | 'COMMAND_MISSING'
  | 'PROCESS_EXITED'
  | 'START_TIMEOUT'
  | 'WAIT_TIMEOUT'
  | 'IMAGE_BUILD_FAILED';

export class TestbedError extends Error {
  readonly code: TestbedErrorCode;

  constructor(code: TestbedErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'TestbedError';
  }
}
