/**
 * @module How a tool is declared and called. Each tool is a plain object
 * (name, schemas, annotations, run); `installTools` registers them with the
 * SDK and takes over tools/call so every call, valid or not, is parsed once
 * (here, not also by the SDK) with our field=value messages, logged, audited
 * and answered with structuredContent plus a text copy. A tool passes its
 * parsed arguments on (to `ops.parsed` for operations), never to a second parse.
 */
import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { fieldProblems } from '../model/zod-errors.ts';
import { OperatorError, ValidationError } from '../model/errors.ts';
import { redactSecrets } from '../audit/audit-log.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { withActor } from '../operations/actor.ts';

/** Per-call facts a tool may use. */
export interface ToolContext {
  /** Caller's address ("203.0.113.7"), "stdio", or "unknown"; used for audit and override attribution. */
  caller: string;
}

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint?: boolean;
}

export interface ToolSpec<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  run(args: z.infer<I>, ctx: ToolContext): Promise<z.input<O>>;
  /** Readable first line(s) of the text copy; the JSON follows unless `compact`. */
  text?(out: z.infer<O>): string;
  /** The text answer is only `text` (one line per item); structuredContent carries the detail. For read tools whose JSON would flood a context. */
  compact?: boolean;
}

/** Declares a tool with its types tied together (an identity function for inference). */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(spec: ToolSpec<I, O>): ToolSpec {
  return spec as unknown as ToolSpec;
}

export interface ToolKitDeps {
  logger: Logger;
  audit?: AuditLog;
  /** Caller name when a request carries no address (stdio). */
  defaultCaller?: string;
}

function errorText(err: unknown): string {
  if (err instanceof OperatorError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * Validates tool arguments. Messages name each field and its value, taken
 * from a redacted copy so a secret sent by mistake is never echoed; unknown
 * arguments are named by key, never by dumping the whole input.
 */
function parseArgs(spec: ToolSpec, rawArgs: unknown): { ok: true; args: unknown } | { ok: false; message: string } {
  const result = spec.input.safeParse(rawArgs ?? {});
  if (result.success) return { ok: true, args: result.data };
  const redacted = redactSecrets(rawArgs ?? {});
  const problems = fieldProblems(result.error, redacted).map((p, i) => {
    const issue = result.error.issues[i]!;
    if (issue.code === 'unrecognized_keys') return `unknown argument(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}: not accepted by ${spec.name}`;
    return new ValidationError(p.field, p.value, p.message).message;
  });
  return { ok: false, message: `invalid arguments for ${spec.name}: ${problems.join('; ')}` };
}

function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** The caller address the HTTP transport put into authInfo.extra, if any. */
function callerOf(extra: { authInfo?: { extra?: Record<string, unknown> } } | undefined, fallback: string): string {
  const address = extra?.authInfo?.extra?.['clientAddress'];
  return typeof address === 'string' && address !== '' ? address : fallback;
}

/**
 * Runs one tool call: validates, runs, checks the output, logs, audits
 * mutating tools. Never throws: every failure is an isError result whose text
 * names the field and value (validation) or the operator error.
 */
export async function callTool(spec: ToolSpec, rawArgs: unknown, caller: string, deps: ToolKitDeps): Promise<CallToolResult> {
  const log = deps.logger;
  const mutating = !spec.annotations.readOnlyHint;
  const dryRun = typeof rawArgs === 'object' && rawArgs !== null && (rawArgs as Record<string, unknown>)['dry_run'] === true;
  const finish = async (outcome: 'ok' | 'error', error?: string): Promise<void> => {
    log.info({ tool: spec.name, caller, outcome, dryRun, args: redactSecrets(rawArgs), ...(error ? { error } : {}) }, 'mcp tool call');
    if (mutating && deps.audit) {
      await deps.audit.record({ tool: spec.name, args: rawArgs ?? {}, caller, outcome, dryRun, ...(error ? { error } : {}) });
    }
  };

  const parsed = parseArgs(spec, rawArgs);
  if (!parsed.ok) {
    await finish('error', parsed.message);
    return errorResult(parsed.message);
  }
  const args = parsed.args;

  try {
    const raw = await withActor(`mcp:${caller} ${spec.name}`, () => spec.run(args as never, { caller }));
    const checked = spec.output.safeParse(raw);
    if (!checked.success) {
      // Our own bug, not the caller's; say so instead of sending data the schema denies.
      const message = `${spec.name} produced output that does not match its schema: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
      log.error({ tool: spec.name }, message);
      await finish('error', message);
      return errorResult(message);
    }
    const out = checked.data as Record<string, unknown>;
    const head = spec.text?.(out as never);
    const text = head !== undefined && spec.compact ? head : head ? `${head}\n${JSON.stringify(out, null, 2)}` : JSON.stringify(out, null, 2);
    await finish('ok');
    return { content: [{ type: 'text', text }], structuredContent: out };
  } catch (err) {
    const message = errorText(err);
    await finish('error', message);
    return errorResult(message);
  }
}

/**
 * Registers `specs` on `server`. The SDK's own tools/call handler (SDK 1.x
 * McpServer) parses input against the registered schema before our code
 * runs and reports zod issues without the offending value and without an
 * audit entry, so after registering (which gives tools/list the schemas and
 * annotations) we replace that one handler: callTool's parse is the only one.
 */
export function installTools(server: McpServer, specs: ToolSpec[], deps: ToolKitDeps): void {
  const byName = new Map<string, ToolSpec>();
  for (const spec of specs) {
    if (byName.has(spec.name)) throw new Error(`tool ${spec.name} registered twice`);
    byName.set(spec.name, spec);
    server.registerTool(
      spec.name,
      {
        title: spec.title,
        description: spec.description,
        inputSchema: spec.input,
        outputSchema: spec.output,
        annotations: { title: spec.title, ...spec.annotations },
      },
      (async (args: unknown, extra: never) => callTool(spec, args, callerOf(extra, deps.defaultCaller ?? 'unknown'), deps)) as never,
    );
  }
  server.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const spec = byName.get(request.params.name);
    if (!spec) throw new McpError(ErrorCode.InvalidParams, `name=${JSON.stringify(request.params.name)}: no such tool`);
    return callTool(spec, request.params.arguments, callerOf(extra, deps.defaultCaller ?? 'unknown'), deps);
  });
}
