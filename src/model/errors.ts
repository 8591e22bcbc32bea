/**
 * @module Typed errors. Every message names the field and the bad value, so a
 * person or an agent can fix the input without reading code.
 */

/** Base of every error the operator raises on purpose. */
export class OperatorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input that fails validation: names the field and the value. */
export class ValidationError extends OperatorError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(`${field}=${showValue(value)}: ${reason}`);
  }
}

/** A domain, server or slot that does not exist. */
export class NotFoundError extends OperatorError {}
/** Pools or slots are all used. */
export class CapacityError extends OperatorError {}
/** A change that conflicts with existing state (domain already routed, slot taken). */
export class ConflictError extends OperatorError {}
/** HAProxy answered a runtime command with an error, or the socket failed. */
export class RuntimeCommandError extends OperatorError {
  constructor(
    message: string,
    readonly command?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
/** Another process holds the state directory. */
export class LockError extends OperatorError {}

/** Quote a value for an error message, bounded so a huge input cannot flood logs. */
export function showValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  // JSON would show NaN and Infinity as null, naming the wrong value.
  else if (typeof value === 'number' || typeof value === 'bigint') text = String(value);
  else if (value === undefined) text = 'undefined';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
/** HAProxy refused a certificate command; the message holds its reply (never the PEM). */
export class HotloadError extends RuntimeCommandError {}
