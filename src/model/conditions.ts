/**
 * @module Kubernetes-style status conditions (Ready, CertificateReady, ...)
 * and the pure rule for updating them, after cert-manager's
 * pkg/api/util/conditions.go: setting a condition replaces the one of the
 * same type, and lastTransitionTime moves only when the status flips. The
 * clock is a parameter, never read here.
 */
import { z } from 'zod';

export const ConditionStatus = z.enum(['True', 'False', 'Unknown']).describe('True, False or Unknown');
export type ConditionStatus = z.infer<typeof ConditionStatus>;

/** A reason is a CamelCase word, as in Kubernetes (metav1.Condition). */
export const ConditionReason = z
  .string()
  .max(1024)
  .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/, { message: 'not a condition reason (CamelCase word)' })
  .describe('One CamelCase word saying why, for example ServersDown');

export const Condition = z.object({
  type: z.string().min(1).max(316).describe('Condition type, for example Ready'),
  status: ConditionStatus,
  reason: ConditionReason,
  message: z.string().max(32768).describe('Human-readable detail'),
  lastTransitionTime: z.string().describe('RFC 3339 time the status last changed'),
  observedGeneration: z.number().int().min(0).optional().describe('metadata.generation the condition was computed from'),
});
export type Condition = z.infer<typeof Condition>;

/** What a caller decides; lastTransitionTime is filled in by setCondition. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/** The condition of `type`, or undefined. */
export function getCondition(conditions: readonly Condition[], type: string): Condition | undefined {
  return conditions.find((c) => c.type === type);
}

/**
 * Returns a new list where the condition of `next.type` is replaced (or
 * appended). lastTransitionTime is kept when the status is unchanged, so a
 * reason or message update alone does not look like a flip; `now` is used
 * otherwise. The input list is not modified.
 */
export function setCondition(conditions: readonly Condition[], next: ConditionInput, now: Date): Condition[] {
  const existing = getCondition(conditions, next.type);
  const lastTransitionTime =
    existing && existing.status === next.status ? existing.lastTransitionTime : now.toISOString();
  const updated: Condition = { ...next, lastTransitionTime };
  if (updated.observedGeneration === undefined) delete updated.observedGeneration;
  if (!existing) return [...conditions, updated];
  return conditions.map((c) => (c.type === next.type ? updated : c));
}

/** Drops the condition of `type`; returns the same list when it is absent. */
export function removeCondition(conditions: readonly Condition[], type: string): Condition[] {
  return conditions.filter((c) => c.type !== type);
}

/** True when the condition of `type` has status True. */
export function isConditionTrue(conditions: readonly Condition[], type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}
