// `storage.gc` and `retention`: the online collector's settings and the retention policies, with their
// defaults; every refusal names the key.
import { expect } from 'chai';
import { expectInvalid, parse, withVersion } from './config-test-helpers.js';

const DAY = 86_400_000;
const STORAGE = 'storage:\n  inmemory: {}\n';

function gcOf(yaml: string) {
  return parse(withVersion(`${STORAGE}${yaml}`)).config.storage.gc;
}

describe('config: storage.gc and retention', function () {
  it('defaults to no online collection, a daily interval, an hour of grace and no retention', function () {
    expect(gcOf('')).to.deep.equal({ enabled: false, intervalMs: DAY, gracePeriodMs: 3_600_000, deleteUntagged: false, dryRun: false, lockExpiryMs: 120_000, etcd: undefined, retention: [] });
  });

  it('reads every key', function () {
    const gc = gcOf('  gc:\n    enabled: true\n    interval: 6h\n    graceperiod: 30m\n    deleteuntagged: true\n    dryrun: true\n    lockexpiry: 5m\n');
    expect(gc).to.deep.include({ enabled: true, intervalMs: 6 * 3_600_000, gracePeriodMs: 1_800_000, deleteUntagged: true, dryRun: true, lockExpiryMs: 300_000 });
  });

  it("expresses the typical operator setup: ci/** keeps everything, cache/** the 10 newest and nothing older than 14 days", function () {
    const gc = gcOf(`retention:\n  - repository: ["ci/**"]\n  - repository: ["cache/**"]\n    keeplatest: 10\n    deleteolderthan: 14d\n    keeptags: ["v*", "release-*"]\n`);
    expect(gc.retention).to.deep.equal([
      { index: 0, repositories: ['ci/**'], keepTags: [], keepLatest: undefined, deleteOlderThanMs: undefined, keepPushedWithinMs: undefined, keepPulledWithinMs: undefined, untaggedAfterMs: undefined, keepReferrers: true },
      { index: 1, repositories: ['cache/**'], keepTags: ['v*', 'release-*'], keepLatest: 10, deleteOlderThanMs: 14 * DAY, keepPushedWithinMs: undefined, keepPulledWithinMs: undefined, untaggedAfterMs: 0, keepReferrers: true },
    ]);
  });

  it('reads ages as Go durations or days and weeks, and keepreferrers: false', function () {
    const [policy] = gcOf(`retention:\n  - repository: "**"\n    keeppulledwithin: 2w\n    keeppushedwithin: 36h\n    untaggedafter: 1h30m\n    keepreferrers: false\n`).retention;
    expect(policy).to.deep.include({ keepPulledWithinMs: 14 * DAY, keepPushedWithinMs: 36 * 3_600_000, untaggedAfterMs: 5_400_000, keepReferrers: false });
  });

  it('reads storage.gc.etcd: the sweep lock in etcd', function () {
    const gc = gcOf('  gc:\n    etcd:\n      endpoints: http://10.0.0.1:2379,http://10.0.0.2:2379\n      username: registry\n      password: s3cret\n');
    expect(gc.etcd).to.deep.equal({ endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'], key: '/private-registry/gc/lock', username: 'registry', password: 's3cret' });
    expectInvalid(() => gcOf('  gc:\n    etcd:\n      key: /x\n'), 'storage.gc.etcd.endpoints', 'is required');
    expectInvalid(() => gcOf('  gc:\n    etcd:\n      endpoints: [10.0.0.1]\n'), 'storage.gc.etcd.endpoints', 'not an etcd endpoint');
    expectInvalid(() => gcOf('  gc:\n    etcd:\n      endpoints: [http://e:2379]\n      username: u\n'), 'storage.gc.etcd.password', 'required with username');
  });

  it('refuses bad values, naming the key', function () {
    expectInvalid(() => gcOf('  gc:\n    enabled: true\n    interval: 0s\n'), 'storage.gc.interval', 'greater than zero');
    expectInvalid(() => gcOf('  gc:\n    lockexpiry: 10ms\n'), 'storage.gc.lockexpiry', 'at least 1s');
    expectInvalid(() => gcOf('retention:\n  - keeplatest: 3\n'), 'retention[0].repository', 'is required');
    expectInvalid(() => gcOf('retention:\n  - repository: "Bad Name"\n'), 'retention[0].repository', 'not a repository glob');
    expectInvalid(() => gcOf('retention:\n  - repository: "**"\n    keeplatest: -1\n'), 'retention[0].keeplatest', 'negative');
    expectInvalid(() => gcOf('retention:\n  - repository: "**"\n    deleteolderthan: fortnight\n'), 'retention[0].deleteolderthan', 'not an age');
    expectInvalid(() => gcOf('retention:\n  - repository: "**"\n    keeptags: ["a b"]\n'), 'retention[0].keeptags', 'not a tag pattern');
  });

  it('knows the keys: no unknown-key warning for gc or retention', function () {
    const loaded = parse(withVersion(`${STORAGE}  gc:\n    enabled: false\nretention:\n  - repository: "**"\n    keeplatest: 1\n`));
    expect(loaded.unknownKeys).to.deep.equal([]);
    expect(loaded.warnings.join('\n')).not.to.match(/gc|retention/);
  });
});
