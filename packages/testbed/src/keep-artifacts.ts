// TESTBED_KEEP=1 keeps temp dirs, logs and data after a run, for looking at a failure by hand.

export function keepArtifacts(): boolean {
  const value = process.env['TESTBED_KEEP'];
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}
