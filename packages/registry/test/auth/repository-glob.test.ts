import { expect } from 'chai';
import { compareSpecificity, globSpecificity, isRepositoryGlob } from '../../src/auth/repository-glob.js';
import { repositoryMatcher } from '../../src/auth/repository-matcher.js';

describe('repository globs', () => {
  const cases: Array<[string, string, boolean]> = [
    ['ci/**', 'ci/app', true],
    ['ci/**', 'ci/a/b', true],
    ['ci/**', 'ci', true],
    ['ci/**', 'cia/x', false],
    ['cache/*', 'cache/app', true],
    ['cache/*', 'cache/a/b', false],
    ['cache/*', 'cache', false],
    ['**', 'a', true],
    ['**', 'a/b/c', true],
    ['ci/app', 'ci/app', true],
    ['ci/app', 'ci/app2', false],
    ['a.b', 'axb', false],
    ['team-*/**', 'team-a/x/y', true],
  ];
  for (const [glob, name, expected] of cases) {
    it(`${glob} ${expected ? 'matches' : 'does not match'} ${name}`, () => {
      expect(repositoryMatcher(glob)(name)).to.equal(expected);
    });
  }

  it('accepts only lower-case name characters, "/", "*" and "**"', () => {
    for (const good of ['**', 'ci/**', 'cache/*', 'a.b_c-d/e', 'team-*/x']) expect(isRepositoryGlob(good), good).to.equal(true);
    for (const bad of ['', 'CI/**', '../x', 'a//b', '/a', 'a/', 'a/***', 'a{b,c}', 'a?b', 'a b', 'x'.repeat(256)]) expect(isRepositoryGlob(bad), bad).to.equal(false);
  });

  it('orders by specificity: exact name, longer literal prefix, fewer ** then fewer *', () => {
    const order = ['ci/base', 'ci/base*', 'ci/*', 'ci/**', 'c*', '**'];
    for (let i = 0; i + 1 < order.length; i += 1) {
      expect(compareSpecificity(globSpecificity(order[i] as string), globSpecificity(order[i + 1] as string)), `${order[i]} over ${order[i + 1]}`).to.be.greaterThan(0);
    }
    expect(compareSpecificity(globSpecificity('ci/*'), globSpecificity('ci/*'))).to.equal(0);
  });
});
