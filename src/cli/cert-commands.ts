/**
 * @module `cert list|issue|renew` against the running operator: a
 * CertManager-shaped adapter over the API, handed to the acme module's
 * command functions so the output and exit codes are the same as theirs.
 */
import { certIssueCommand, certListCommand, certRenewCommand } from '../acme/cli.ts';
import type { CertManager, CertStatus, IssueResult } from '../acme/manager.ts';
import { OperatorError } from '../model/errors.ts';
import { API_PATHS } from '../api/protocol.ts';
import type { ParsedCommand } from './args.ts';
import type { CliContext } from './context.ts';

/** Orders wait for DNS propagation and the CA: allow far longer than a normal request. */
const ORDER_TIMEOUT_MS = 15 * 60_000;

/** The operator's certificate manager, reached over its HTTP API. */
export function remoteCertManager(ctx: Pick<CliContext, 'connect'>): Pick<CertManager, 'list' | 'issue' | 'renew' | 'checkRenewals'> {
  return {
    list: async () => (await ctx.connect()).call<CertStatus[]>({ method: 'GET', path: API_PATHS.certs }),
    issue: async (req) => (await ctx.connect()).call<IssueResult>({ method: 'POST', path: API_PATHS.certsIssue, json: req, timeoutMs: ORDER_TIMEOUT_MS }),
    renew: async (req) => (await ctx.connect()).call<IssueResult>({ method: 'POST', path: API_PATHS.certsRenew, json: req, timeoutMs: ORDER_TIMEOUT_MS }),
    checkRenewals: async () => {
      throw new OperatorError('the scheduled renewal check is not available over the API; renew one certificate at a time');
    },
  };
}

export function certListRemote(ctx: CliContext, args: ParsedCommand): Promise<number> {
  return certListCommand(remoteCertManager(ctx), { json: args.flags.json === true, now: ctx.now().getTime() }, ctx.io);
}

export function certIssueRemote(ctx: CliContext, args: ParsedCommand): Promise<number> {
  return certIssueCommand(remoteCertManager(ctx), { domain: args.positionals[0]!, wildcard: args.flags.wildcard === true, json: args.flags.json === true }, ctx.io);
}

export function certRenewRemote(ctx: CliContext, args: ParsedCommand): Promise<number> {
  return certRenewCommand(remoteCertManager(ctx), { domain: args.positionals[0]!, force: args.flags.force === true, json: args.flags.json === true }, ctx.io);
}
