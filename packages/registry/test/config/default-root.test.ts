// The default filesystem root: distribution's /var/lib/registry when this process may write there, else
// the user's XDG data directory; never the working directory. Decided by a probe, so no test needs root.
import { expect } from 'chai';
import { resolveDefaultRootDirectory } from '../../src/config/index.js';
import { fakeProbe, parse } from './config-test-helpers.js';

describe('config: the default root directory', function () {
  it('is /var/lib/registry when it exists and is writable', function () {
    expect(resolveDefaultRootDirectory(fakeProbe(['/var/lib/registry']))).to.equal('/var/lib/registry');
  });

  it('is /var/lib/registry when it does not exist but /var/lib is writable (it can be created), as for root', function () {
    expect(resolveDefaultRootDirectory(fakeProbe(['/var/lib']))).to.equal('/var/lib/registry');
  });

  it('is $XDG_DATA_HOME/private-registry when /var/lib/registry exists but is not writable', function () {
    const probe = fakeProbe(['/var/lib'], { XDG_DATA_HOME: '/home/u/data', HOME: '/home/u' }, ['/var/lib', '/var/lib/registry']);
    expect(resolveDefaultRootDirectory(probe)).to.equal('/home/u/data/private-registry');
  });

  it('is ~/.local/share/private-registry for a user who may not write /var/lib and has no XDG_DATA_HOME', function () {
    expect(resolveDefaultRootDirectory(fakeProbe([], { HOME: '/home/u' }))).to.equal('/home/u/.local/share/private-registry');
  });

  it('ignores a relative XDG_DATA_HOME, as the XDG specification says', function () {
    expect(resolveDefaultRootDirectory(fakeProbe([], { HOME: '/home/u', XDG_DATA_HOME: 'data' }))).to.equal('/home/u/.local/share/private-registry');
  });

  it("falls back to the account's home directory without HOME", function () {
    expect(resolveDefaultRootDirectory(fakeProbe([], {}))).to.equal('/home/fallback/.local/share/private-registry');
  });

  it('applies with no file, and to a file with `storage: {filesystem: {}}` without rootdirectory', function () {
    const user = fakeProbe([], { HOME: '/home/u' });
    expect(parse(undefined, {}, user).config.storage.filesystem?.rootDirectory).to.equal('/home/u/.local/share/private-registry');
    expect(parse('version: 0.1\nstorage:\n  filesystem: {}\n', {}, user).config.storage.filesystem?.rootDirectory).to.equal('/home/u/.local/share/private-registry');
    expect(parse('version: 0.1\nstorage: filesystem\n').config.storage.filesystem?.rootDirectory).to.equal('/var/lib/registry');
  });

  it('makes a relative rootdirectory absolute from the working directory, as distribution reads it', function () {
    expect(parse('version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ./data\n').config.storage.filesystem?.rootDirectory).to.equal('/srv/work/data');
    expect(parse('version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /abs/../store\n').config.storage.filesystem?.rootDirectory).to.equal('/store');
  });
});
