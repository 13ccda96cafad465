// What a worker and its primary say to each other over the cluster's IPC channel. Every message has a
// `type` starting with "registry:" so that other users of the channel (prom-client's metric requests,
// rate-limiter-flexible's counters) are told apart.

/** Worker → primary. */
export type WorkerMessage =
  | { type: 'registry:ready'; url: string }
  | { type: 'registry:notify'; endpoint: string; event: string }
  | { type: 'registry:alert'; fields: Record<string, unknown>; message: string }
  | { type: 'registry:vars'; id: number; vars: WorkerVars }
  | TagChecked
  | RepositoryPushed
  | FlightRequest;

/** A push made `name` the team's own (its mirror marker removed): no worker routes it upstream any more. */
export interface RepositoryPushed {
  type: 'registry:pushed';
  name: string;
}

/** The mirror confirmed a tag with its upstream at `at` (ms): every worker may skip asking until it is stale. */
export interface TagChecked {
  type: 'registry:tag-checked';
  key: string;
  at: number;
}

/** A worker's figures for the primary's /debug/vars. */
export interface WorkerVars {
  memory: NodeJS.MemoryUsage;
  /** The mirror's counters (MirrorStats), when mirror mode is on. */
  mirror?: Record<string, number>;
}

/** Primary → worker. */
export type PrimaryMessage = { type: 'registry:shutdown' } | { type: 'registry:vars-request'; id: number } | TagChecked | RepositoryPushed | FlightUpdate;

/** A worker asks to download a blob, says how its download goes, or lets go of one it followed. */
export type FlightRequest = { type: 'registry:flight-claim'; digest: string; ticket: number } | FlightStarted | FlightProgress | FlightEnded;

/** The leader's spool file (and the upstream's Content-Length): followers read it as it grows. */
export interface FlightStarted {
  type: 'registry:flight-started';
  digest: string;
  spool: string;
  size: number | undefined;
}

/** How far the leader's download got, and whether the whole matched its digest. */
export interface FlightProgress {
  type: 'registry:flight-progress';
  digest: string;
  written: number;
  verified: boolean;
}

/**
 * The leader's download is over: stored (in storage, `written` bytes), or failed (`code` and `status` of the
 * upstream's answer when it had one, so followers answer their clients as the leader did).
 */
export interface FlightEnded {
  type: 'registry:flight-ended';
  digest: string;
  outcome: 'stored' | 'failed';
  written: number;
  reason?: string;
  code?: string;
  status?: number;
}

/** The primary answers a claim (lead it, or follow the worker that leads) and relays the leader's progress. */
export type FlightUpdate = { type: 'registry:flight-grant'; digest: string; ticket: number; lead: boolean } | FlightStarted | FlightProgress | FlightEnded;

/** One of ours (the other side is trusted: it is this program, forked by it or forking it). */
export function isRegistryMessage(message: unknown): message is WorkerMessage | PrimaryMessage {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string' && (message as { type: string }).type.startsWith('registry:');
}

/** Sends to the primary; a primary that is gone drops the message (the worker exits on 'disconnect'). */
export function sendToPrimary(message: WorkerMessage): void {
  if (process.send !== undefined && process.connected) process.send(message);
}
