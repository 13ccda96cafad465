// The records a receiver sees: distribution's field names and order, its envelope, its ignore rule.
import { expect } from 'chai';
import { declaredMediaType, envelopeBody, isIgnored, manifestReferences, target } from '../../src/notifications/notification-event.js';

describe('notifications: event records', function () {
  it('wraps one event in distribution\'s envelope', () => {
    const body = envelopeBody(JSON.stringify({ id: 'x', action: 'push' }));
    expect(JSON.parse(body)).to.deep.equal({ events: [{ id: 'x', action: 'push' }] });
  });

  it('orders target fields as distribution does, with length beside size and empty fields left out', () => {
    const t = target({ repository: 'team/app', url: 'http://r/v2/team/app/blobs/sha256:ab', size: 12, digest: 'sha256:ab', mediaType: 'application/octet-stream' });
    expect(Object.keys(t)).to.deep.equal(['mediaType', 'digest', 'size', 'length', 'repository', 'url']);
    expect(t).to.include({ size: 12, length: 12 });
    expect(target({ repository: 'team/app', tag: 'v1' })).to.deep.equal({ repository: 'team/app', tag: 'v1' });
  });

  it('ignores an event when its action or its media type is listed (either one)', () => {
    const pushBlob = { action: 'push' as const, target: { repository: 'a', mediaType: 'application/octet-stream' } };
    const deleteTag = { action: 'delete' as const, target: { repository: 'a', tag: 'v1' } };
    const types = new Set(['application/octet-stream']);
    expect(isIgnored(pushBlob, types, new Set())).to.equal(true);
    expect(isIgnored(pushBlob, new Set(), new Set(['pull']))).to.equal(false);
    expect(isIgnored(deleteTag, types, new Set())).to.equal(false);
    expect(isIgnored(deleteTag, new Set(), new Set(['delete']))).to.equal(true);
  });

  it('lists config and layers of an image, the manifests of an index', () => {
    const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: 'sha256:c', size: 2 };
    const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: 'sha256:l', size: 3 };
    expect(manifestReferences(Buffer.from(JSON.stringify({ schemaVersion: 2, config, layers: [layer] })))).to.deep.equal([config, layer]);
    expect(manifestReferences(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [layer] })))).to.deep.equal([layer]);
  });

  it('takes a manifest\'s media type from the document, else from Content-Type', () => {
    expect(declaredMediaType(Buffer.from('{"mediaType":"application/vnd.oci.image.index.v1+json"}'), 'application/json')).to.equal('application/vnd.oci.image.index.v1+json');
    expect(declaredMediaType(Buffer.from('{"schemaVersion":2}'), 'application/vnd.oci.image.manifest.v1+json; charset=utf-8')).to.equal('application/vnd.oci.image.manifest.v1+json');
  });
});
