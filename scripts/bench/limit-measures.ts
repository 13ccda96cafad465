// Measures the machine's ceilings, each as a warm-up then the median of the runs.
import { join } from 'node:path';
import { progress, type Limit } from './figures.js';
import { diskWrite, nodeSha256, opensslSha256, SHA256_SAMPLE_BYTES, startLoopbackServer } from './machine-limits.js';
import { median, MiB } from './statistics.js';
import { TestBlob } from './test-blob.js';

async function limit(id: string, label: string, runs: number, once: () => Promise<number> | number): Promise<Limit> {
  progress(`limits: ${label}`);
  await once();
  const values: number[] = [];
  for (let i = 0; i < runs; i++) values.push(await once());
  return { id, label, unit: 'MB/s', value: median(values), runs: values };
}

export async function measureLimits(settings: { file: string; blobBytes: number; runs: number; dir: string }): Promise<Limit[]> {
  const limits: Limit[] = [];
  limits.push(await limit('sha256.openssl', 'SHA-256, openssl speed -evp (64 KiB blocks)', settings.runs, opensslSha256));
  limits.push(await limit('sha256.node', 'SHA-256, Node crypto (64 KiB updates)', settings.runs, () => nodeSha256(SHA256_SAMPLE_BYTES)));
  const server = await startLoopbackServer();
  try {
    const size = `${settings.blobBytes / MiB} MiB`;
    const blob = await TestBlob.create(settings.file, settings.blobBytes);
    limits.push(await limit('loopback.upload', `loopback HTTP upload, Node → Node discarding (${size})`, settings.runs, () => server.upload(blob)));
    limits.push(
      await limit('loopback.upload-store', `loopback HTTP upload, Node → Node hashing + writing a file + fsync (${size})`, settings.runs, () =>
        server.upload(blob, join(settings.dir, 'loopback-upload.tmp')),
      ),
    );
    limits.push(
      await limit('loopback.download', `loopback HTTP download, Node file → Node discarding (${size})`, settings.runs, () =>
        server.download(settings.file, settings.blobBytes),
      ),
    );
  } finally {
    server.stop();
  }
  limits.push(await limit('disk.write', 'disk write, dd 512 MiB conv=fdatasync', settings.runs, () => diskWrite(settings.dir)));
  return limits;
}
