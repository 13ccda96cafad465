// The S3 group: ours and the reference on one bucket of one s3rver (the testbed's, a Node fake of S3),
// redirect disabled so the registries stream blob GETs themselves. Push MB/s and our peak RSS during it,
// pull MB/s, and s3rver's own ceiling (the AWS SDK talking to it directly), which bounds both.
//
// The reference (distribution 2.8.2) cannot upload a blob to s3rver: every upload request resumes its
// writer, which calls ListMultipartUploads, and s3rver answers 501. A probe push says whether it can; if
// not, its push figures are "not supported" and its pull reads the blob ours pushed (reads work).
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { startS3rver, type S3rver } from '@private-registry/testbed';
import { processCpuSeconds } from './cpu-accounting.js';
import { measurePair, PerRun, progress, type Figure, type Limit, type Sample, type Side } from './figures.js';
import { RegistryClient } from './registry-client.js';
import { RegistryProcess, type RegistryImplementation, type RegistryKind } from './registry-process.js';
import { residentBytes, withPeakRss } from './rss-sampler.js';
import { GiB, MB, median, megabytesPerSecond, MiB, timed } from './statistics.js';
import { TestBlob } from './test-blob.js';

export interface S3Settings {
  file: string;
  blobBytes: number;
  runs: number;
  implementations: Record<RegistryKind, RegistryImplementation>;
  dir: string;
}

/** Our driver's default part size (distribution's chunksize default), for the ceiling measure. */
const PART_BYTES = 10 * MiB;
const REPOSITORY = 'bench/s3';

export function sdkClient(s3: S3rver): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** s3rver's ceiling: the file uploaded as a multipart upload of 10 MiB parts one after another (as our writer sends them), then read back. */
async function measureS3rverLimits(s3: S3rver, bucket: string, settings: S3Settings): Promise<Limit[]> {
  const client = sdkClient(s3);
  const key = 'bench/ceiling';
  const upload = async (): Promise<number> => {
    const { seconds } = await timed(async () => {
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const parts: { ETag: string; PartNumber: number }[] = [];
      for (let start = 0, n = 1; start < settings.blobBytes; start += PART_BYTES, n++) {
        const end = Math.min(settings.blobBytes, start + PART_BYTES);
        const body = createReadStream(settings.file, { start, end: end - 1, highWaterMark: 1 * MiB });
        const out = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: n, Body: body, ContentLength: end - start }));
        parts.push({ ETag: out.ETag ?? '', PartNumber: n });
      }
      await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    });
    return megabytesPerSecond(settings.blobBytes, seconds);
  };
  const download = async (): Promise<number> => {
    const { value: bytes, seconds } = await timed(async () => {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      let n = 0;
      for await (const chunk of out.Body as AsyncIterable<Buffer>) n += chunk.length;
      return n;
    });
    if (bytes !== settings.blobBytes) throw new Error(`s3rver GetObject gave ${bytes} bytes, expected ${settings.blobBytes}`);
    return megabytesPerSecond(bytes, seconds);
  };
  const size = `${settings.blobBytes / MiB} MiB`;
  const limits: Limit[] = [];
  for (const [id, label, once] of [
    ['s3rver.upload', `s3rver multipart upload, AWS SDK → s3rver, ${PART_BYTES / MiB} MiB parts in sequence (${size})`, upload],
    ['s3rver.download', `s3rver GetObject, s3rver → AWS SDK discarding (${size})`, download],
  ] as const) {
    progress(`s3: ceiling, ${label}`);
    await once();
    const values: number[] = [];
    for (let i = 0; i < settings.runs; i++) values.push(await once());
    limits.push({ id, label, unit: 'MB/s', value: median(values), runs: values });
  }
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  client.destroy();
  return limits;
}

/** Whether a registry can store a blob in this bucket at all (distribution 2.8.2 on s3rver cannot); if not, why. */
async function canPush(side: Side, file: string): Promise<string | undefined> {
  const probe = await TestBlob.create(file, 64 * 1024);
  try {
    await side.client.pushWhole('bench/s3-probe', probe);
    return undefined;
  } catch (error) {
    // The server's own account beats a 500's body: distribution logs `level=error msg="error resolving upload: ..."`.
    const logged = side.registry
      .logTail(200)
      .split('\n')
      .filter((line) => line.includes('level=error') && !line.includes('msg="response completed with error"'))
      .map((line) => /msg="((?:[^"\\]|\\.)*)"/.exec(line)?.[1])
      .filter((msg): msg is string => msg !== undefined)
      .at(-1);
    const message = error instanceof Error ? error.message : String(error);
    return (logged ?? message).replace(/\\[nt]/g, ' ').replace(/\s+/g, ' ').slice(0, 240);
  }
}

export async function measureS3(settings: S3Settings): Promise<{ figures: Figure[]; limits: Limit[] }> {
  const s3 = await startS3rver({ silent: true });
  const sides: Side[] = [];
  const idle: Record<RegistryKind, number> = { ours: Number.NaN, reference: Number.NaN };
  try {
    const bucket = await s3.createBucket('bench');
    const storage = { endpoint: s3.endpoint, bucket, region: s3.region, accessKey: s3.accessKey, secretKey: s3.secretKey, redirectDisabled: true };
    for (const kind of ['ours', 'reference'] as const) {
      const dir = join(settings.dir, `s3-${kind}`);
      await mkdir(dir, { recursive: true });
      const registry = await RegistryProcess.start(kind, settings.implementations[kind], dir, [], { s3: storage });
      idle[kind] = residentBytes(registry.pid) / MB;
      progress(`s3: ${kind}: ${settings.implementations[kind]} pid ${registry.pid} at ${registry.baseUrl}, bucket ${bucket} on s3rver pid ${s3.process.pid}`);
      sides.push({ kind, registry, client: new RegistryClient(registry.baseUrl) });
    }
    const alsoBench = [s3.process.pid];
    const size = `${settings.blobBytes / MiB} MiB`;

    const pushers: Side[] = [];
    const cannotPush: Partial<Record<RegistryKind, Sample>> = {};
    for (const side of sides) {
      const problem = await canPush(side, settings.file);
      if (problem === undefined) pushers.push(side);
      else {
        const note = `cannot push to s3rver: ${problem}`;
        progress(`s3: ${side.kind} ${note}`);
        cannotPush[side.kind] = { value: Number.NaN, runs: [], note };
      }
    }

    progress(`s3: push ${size}, POST + PUT whole body (${pushers.map((s) => s.kind).join(', ') || 'nobody'})`);
    const peaks: Record<RegistryKind, number[]> = { ours: [], reference: [] };
    // The registry's own CPU seconds per GiB (from /proc, so the client and s3rver on the same cores do not count).
    const pushCpu = new PerRun();
    const push = await measurePair(
      pushers,
      settings.runs,
      async (side, run) => {
        const blob = await TestBlob.create(settings.file, settings.blobBytes);
        const cpuBefore = processCpuSeconds(side.registry.pid);
        const { value, peakMB } = await withPeakRss(side.registry.pid, () => timed(() => side.client.pushWhole(`${REPOSITORY}-push`, blob)));
        pushCpu.add(side, run, (processCpuSeconds(side.registry.pid) - cpuBefore) / (blob.size / GiB));
        if (run !== 'warmup') peaks[side.kind].push(peakMB);
        return megabytesPerSecond(blob.size, value.seconds);
      },
      undefined,
      alsoBench,
    );
    const rss = (kind: RegistryKind): Sample | undefined =>
      cannotPush[kind] ?? (peaks[kind].length > 0 ? { value: Math.max(...peaks[kind]), runs: peaks[kind] } : push[kind]);

    // The blob to pull, pushed by the first registry that can push: both read the same objects.
    const pullBlob = await TestBlob.create(settings.file, settings.blobBytes);
    const writer = pushers[0];
    if (writer === undefined) throw new Error('no registry could push to s3rver');
    await writer.client.pushWhole(REPOSITORY, pullBlob);
    // One bucket, one repository: the other registry sees the blob's link as it is. Each checks the body once.
    for (const side of sides) await side.client.pullBlob(REPOSITORY, pullBlob.digest, true);
    progress(`s3: pull ${size}, 1 client, redirect disabled (the registry streams from s3rver)`);
    const pullCpu = new PerRun();
    const pull = await measurePair(
      sides,
      settings.runs,
      async (side, run) => {
        const cpuBefore = processCpuSeconds(side.registry.pid);
        const { value: bytes, seconds } = await timed(() => side.client.pullBlob(REPOSITORY, pullBlob.digest));
        pullCpu.add(side, run, (processCpuSeconds(side.registry.pid) - cpuBefore) / (bytes / GiB));
        if (bytes !== pullBlob.size) throw new Error(`pulled ${bytes} bytes, expected ${pullBlob.size}`);
        return megabytesPerSecond(bytes, seconds);
      },
      undefined,
      alsoBench,
    );

    const limits = await measureS3rverLimits(s3, bucket, settings);
    const pullNote = writer.kind === 'ours' && sides.length > 1 ? 'both read the blob ours pushed (same bucket)' : undefined;
    return {
      figures: [
        {
          id: 's3.push.whole',
          label: `S3 (s3rver): push ${size}, POST + PUT whole body`,
          unit: 'MB/s',
          better: 'higher',
          ours: cannotPush.ours ?? push.ours,
          reference: cannotPush.reference ?? push.reference,
        },
        {
          id: 's3.rss.idle',
          label: 'S3 (s3rver): RSS right after start',
          unit: 'MB',
          better: 'lower',
          ours: { value: idle.ours, runs: [idle.ours] },
          reference: { value: idle.reference, runs: [idle.reference] },
        },
        { id: 's3.rss.push', label: `S3 (s3rver): peak RSS, ${size} push`, unit: 'MB', better: 'lower', ours: rss('ours'), reference: rss('reference') },
        {
          id: 's3.pull.single',
          label: `S3 (s3rver): pull ${size}, 1 client, redirect disabled`,
          unit: 'MB/s',
          better: 'higher',
          ...pull,
          target: { kind: 'ratio-at-least', ratio: 1, label: 'S3 pull ≥ 1× reference' },
          ...(pullNote === undefined ? {} : { note: pullNote }),
        },
        {
          id: 's3.cpu.pull',
          label: `S3 (s3rver): server CPU per GiB, pull ${size}`,
          unit: 's/GiB',
          better: 'lower',
          ...pullCpu.samples(pull),
        },
        {
          id: 's3.cpu.push',
          label: `S3 (s3rver): server CPU per GiB, ${size} push`,
          unit: 's/GiB',
          better: 'lower',
          ...pushCpu.samples(push),
          ...(cannotPush.reference === undefined ? {} : { reference: cannotPush.reference }),
        },
      ],
      limits,
    };
  } finally {
    for (const side of sides) await side.registry.stop();
    await s3.stop();
  }
}
