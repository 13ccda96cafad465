import { expect } from 'chai';
import { MALLOC_TUNABLE, mallocTunables } from '../src/malloc-tuning.js';

describe('mallocTunables', () => {
  it('sets glibc.malloc.top_pad when GLIBC_TUNABLES is unset or empty', () => {
    expect(MALLOC_TUNABLE).to.equal('glibc.malloc.top_pad=33554432');
    expect(mallocTunables(undefined)).to.equal(MALLOC_TUNABLE);
    expect(mallocTunables('')).to.equal(MALLOC_TUNABLE);
  });

  it("adds it to an operator's other tunables", () => {
    expect(mallocTunables('glibc.malloc.arena_max=2')).to.equal(`glibc.malloc.arena_max=2:${MALLOC_TUNABLE}`);
  });

  it("keeps an operator's own top_pad, glibc's default included", () => {
    expect(mallocTunables('glibc.malloc.top_pad=131072')).to.equal('glibc.malloc.top_pad=131072');
    expect(mallocTunables('glibc.malloc.arena_max=2:glibc.malloc.top_pad=0')).to.equal('glibc.malloc.arena_max=2:glibc.malloc.top_pad=0');
  });
});
