/**
 * @module What HAProxy looks like to the rest of the operator: the observed
 * state the reconciler compares against, the rows and facts the read tools
 * report, and the port the runner drives. haproxy/adapter.ts implements the
 * port; nothing outside haproxy/ talks to the Runtime API.
 */
import { z } from 'zod';
import type { ServerState } from './names.ts';
import type { Action } from './plan.ts';

/** A slot server as HAProxy reports it (`show servers state`, live or a saved dump). */
export interface SavedServer {
  backend: string;
  server: string;
  address: string;
  port: number;
  state: ServerState;
  weight: number;
}

export interface ObservedServer extends SavedServer {
  healthEnabled: boolean;
}

/** Certificates HAProxy holds (`show ssl cert`) and the certificate paths each observed crt-list names. */
export interface ObservedCerts {
  loaded: string[];
  crtLists: Record<string, string[]>;
}

export interface ObservedState {
  /** domains.map entries in HAProxy (duplicates possible: `add map` does not dedupe). */
  map: Array<{ key: string; value: string }>;
  /** checks.map entries: server name -> check path. */
  checks: Array<{ key: string; value: string }>;
  /** hold.map entries: host -> hold in ms. Absent: not observed, left alone. */
  holds?: Array<{ key: string; value: string }>;
  /** Rule map entries by map name (model/rules.ts). Absent: not observed, left alone. */
  rules?: Record<string, Array<{ key: string; value: string }>>;
  /** Slot servers of the backends in scope; backends not listed are left alone. */
  servers: ObservedServer[];
  /** Present when the pass loads certificates. */
  certs?: ObservedCerts;
}

/** What a pass observes: the backends it touches (all when absent), and the crt-lists (directories) of certificates it loads. */
export interface ObserveScope {
  backends?: readonly string[];
  crtLists?: readonly string[];
}

/** A row of HAProxy's `show stat`, reduced to what tools report. */
export const StatRow = z.object({
  proxy: z.string(),
  name: z.string().describe('FRONTEND, BACKEND, or the server name'),
  type: z.enum(['frontend', 'backend', 'server', 'listener']),
  status: z.string(),
  currentSessions: z.number(),
  maxSessions: z.number(),
  totalSessions: z.number(),
  bytesIn: z.number(),
  bytesOut: z.number(),
  address: z.string().optional(),
  checkStatus: z.string().optional(),
  weight: z.number().optional(),
});
export type StatRow = z.infer<typeof StatRow>;

export interface HaproxyInfo {
  pid: number;
  uptimeSec: number;
  version: string;
  currConns: number;
  raw: Record<string, string>;
}

/** The HAProxy side of a reconcile pass: read the state in scope, apply planned actions. */
export interface ReconcilePort {
  observe(scope: ObserveScope): Promise<ObservedState>;
  /** Applies actions in order; throws RuntimeCommandError when HAProxy refuses one (after sending the batch). */
  apply(actions: readonly Action[]): Promise<void>;
  /** The exact command of an action, for plans shown to people (certificate payloads redacted). */
  commandOf(action: Action): string;
  /** Changes when the connection to HAProxy was reopened or lost: what the runner knew of HAProxy may be stale. */
  epoch?(): number;
}

/** Read-only views of HAProxy for tools and metrics. */
export interface HaproxyReads {
  info(): Promise<HaproxyInfo>;
  stats(): Promise<StatRow[]>;
  /** `show servers state` as text (what the legacy state file holds). */
  serversStateText(): Promise<string>;
  /** Slot servers of a `show servers state` dump. */
  parseServersState(text: string): SavedServer[];
}

/** The whole adapter: what wiring hands to the runner (ReconcilePort) and to the read tools (HaproxyReads). */
export interface HaproxyAdapter extends ReconcilePort, HaproxyReads {}
