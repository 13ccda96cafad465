// Assertions shared by the suite: the spec's error body, Link headers, upload Range headers.
import { expect } from 'chai';
import type { ApiResponse } from './api-client.js';

export interface ErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

/** Strips parameters: "application/json; charset=utf-8" → "application/json". */
export function bareContentType(response: ApiResponse): string | undefined {
  return response.header('content-type')?.split(';')[0]?.trim().toLowerCase();
}

/**
 * Asserts a spec error: the status, Content-Type application/json, a body {"errors":[{code,message,...}]}
 * and at least one entry whose code is one of `codes`. HEAD responses carry no body, so only the status counts.
 */
export function expectRegistryError(
  response: ApiResponse,
  status: number | readonly number[],
  codes: string | readonly string[],
): ErrorEntry[] {
  const statuses = typeof status === 'number' ? [status] : status;
  const wanted = typeof codes === 'string' ? [codes] : codes;
  expect(statuses, `status ${response.status} (body: ${response.text.slice(0, 300)})`).to.include(response.status);
  expect(bareContentType(response), 'Content-Type of an error').to.equal('application/json');
  let body: { errors?: ErrorEntry[] };
  try {
    body = response.json();
  } catch {
    throw new Error(`error body is not JSON: ${response.text.slice(0, 300)}`);
  }
  expect(body.errors, 'errors array').to.be.an('array').that.is.not.empty;
  for (const entry of body.errors!) {
    expect(entry.code, 'error code').to.be.a('string').and.match(/^[A-Z_]+$/);
    expect(entry.message, `message of ${entry.code}`).to.be.a('string');
  }
  const found = body.errors!.map((entry) => entry.code);
  expect(wanted.some((code) => found.includes(code)), `codes ${found.join(', ')}; wanted one of ${wanted.join(', ')}`).to.equal(true);
  return body.errors!;
}

export interface NextLink {
  path: string;
  params: URLSearchParams;
}

/** Parses `Link: <url>; rel="next"` (RFC 5988); null when there is no Link header. */
export function parseNextLink(response: ApiResponse): NextLink | null {
  const link = response.header('link');
  if (link === null) return null;
  const match = /^\s*<([^>]+)>\s*;\s*rel="?next"?\s*$/.exec(link);
  expect(match, `Link header ${link}`).to.not.equal(null);
  const url = new URL(match![1]!, 'http://registry.invalid');
  return { path: url.pathname, params: url.searchParams };
}

/** The `Range: 0-<last>` an upload reports once `size` bytes are in (distribution sends 0-0 when empty). */
export function uploadRange(size: number): string {
  return `0-${Math.max(size - 1, 0)}`;
}
