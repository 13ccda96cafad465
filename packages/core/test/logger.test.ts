import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { createLogger, textLogLine, type LoggerOptions } from '../src/index.js';

/** Logs through a real logger into a stream and returns the lines written. */
function linesOf(options: LoggerOptions, write: (log: ReturnType<typeof createLogger>) => void): string[] {
  const destination = new PassThrough();
  const chunks: string[] = [];
  destination.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  write(createLogger({ ...options, destination }));
  destination.end();
  return chunks.join('').split('\n').filter((line) => line !== '');
}

describe('the shared logger', () => {
  it('writes levels as names in JSON lines, with the base fields on every line', () => {
    const lines = linesOf({ level: 'debug', base: { service: 's', zone: 'z1' } }, (log) => {
      log.debug('d');
      log.info({ url: 'http://x' }, 'i');
      log.child({ module: 'm' }).warn('w');
      log.error('e');
    });
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((r) => r.level)).to.deep.equal(['debug', 'info', 'warn', 'error']);
    for (const record of records) expect(record).to.include({ service: 's', zone: 'z1' });
    expect(records[1]).to.include({ msg: 'i', url: 'http://x' });
    expect(records[2]).to.include({ module: 'm' });
  });

  it('writes one human line per record in the text format', () => {
    const lines = linesOf({ format: 'text', base: { service: 's' } }, (log) => {
      log.info({ url: 'http://127.0.0.1:5000', note: 'two words' }, 'registry listening');
      log.error({ err: new Error('disk on fire') }, 'failed');
    });
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO registry listening service=s url=http:\/\/127\.0\.0\.1:5000 note="two words"$/);
    expect(lines[1]).to.match(/ ERROR failed service=s err="disk on fire"$/);
  });

  it('writes logstash records: @timestamp, @version "1", message and level names', () => {
    const [line] = linesOf({ format: 'logstash', base: { service: 's' } }, (log) => log.warn({ repository: 'r' }, 'slow'));
    const record = JSON.parse(line as string) as Record<string, unknown>;
    expect(record).to.include({ '@version': '1', message: 'slow', level: 'warn', service: 's', repository: 'r' });
    expect(record['@timestamp']).to.match(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(record).to.not.have.property('msg');
    expect(record).to.not.have.property('time');
  });

  it('never writes a password or an authorization header, in any format', () => {
    for (const format of ['json', 'text', 'logstash'] as const) {
      const lines = linesOf({ format }, (log) => log.info({ password: 'hunter2', headers: { authorization: 'Basic c2VjcmV0' } }, 'login'));
      expect(lines.join('\n'), format).to.not.contain('hunter2').and.not.contain('c2VjcmV0');
    }
  });

  it('passes a line that is not JSON through the text format unchanged', () => {
    expect(textLogLine('plain words')).to.equal('plain words\n');
  });

  it('refuses an unknown format', () => {
    expect(() => createLogger({ format: 'xml' as never })).to.throw(/unknown log format "xml"/);
  });
});
