// Finds the statically linked busybox (Debian's busybox-static) that test images are built from: a
// dynamically linked one would start on the host but fail inside an image that has no libc.

import { openSync, readSync, closeSync } from 'node:fs';
import { runChecked } from './command.js';
import { findCommand } from './required-commands.js';
import { TestbedError } from './testbed-error.js';

const CANDIDATES = ['/bin/busybox', '/usr/bin/busybox', '/usr/lib/busybox-static/busybox'];

export function staticBusyboxPath(): string {
  const candidates = [...CANDIDATES, findCommand('busybox')].filter((p): p is string => p !== undefined);
  for (const path of candidates) {
    if (isStaticElf(path)) return path;
  }
  throw new TestbedError('COMMAND_MISSING', `no statically linked busybox among ${candidates.join(', ')}: install busybox-static (scripts/install-test-deps.sh)`);
}

/** The applet names busybox was built with (`busybox --list`). */
export async function busyboxApplets(path: string): Promise<string[]> {
  const result = await runChecked(path, ['--list']);
  return result.stdout.split('\n').filter((name) => /^[A-Za-z0-9_.[-]+$/.test(name) && name !== 'busybox');
}

/** True for a 64- or 32-bit ELF file without a PT_INTERP program header (no dynamic loader needed). */
function isStaticElf(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) return false;
    const is64 = header[4] === 2;
    const little = header[5] === 1;
    const u16 = (b: Buffer, o: number): number => (little ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number): number => (little ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(little ? header.readBigUInt64LE(32) : header.readBigUInt64BE(32)) : u32(header, 28);
    const phentsize = u16(header, is64 ? 54 : 42);
    const phnum = u16(header, is64 ? 56 : 44);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    const PT_INTERP = 3;
    for (let i = 0; i < phnum; i += 1) {
      if (u32(table, i * phentsize) === PT_INTERP) return false;
    }
    return true;
  } finally {
    closeSync(fd);
  }
}
