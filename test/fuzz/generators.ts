/**
 * @module Bad-value generators for the fuzz suites. Every value produced for
 * a field kind is invalid for that kind by construction: a valid base with a
 * character no field accepts inserted inside it (never at the ends, where
 * trimming could save it), a homoglyph swapped in, a 100 KB tail, a random
 * string carrying at least one forbidden character, or a hand-picked atom
 * (IPv6 forms, hosts with ports, NaN/Infinity, out-of-range numbers, wrong
 * types). Deterministic for a given PRNG.
 */
import type { Prng } from '../helpers/prng.ts';

/** Characters and sequences that no validated field accepts anywhere inside a value. */
export const INJECTIONS = [
  ';',
  ';shutdown sessions',
  '; del map /x y',
  '\n',
  '\nshow info',
  '\r\n',
  ' ',
  '\t',
  '\x00',
  '\x01',
  '\x1b[31m',
  '\x7f',
  '\u202e', // right-to-left override
  '\u200b', // zero-width space
  '\ufeff', // zero-width no-break space
  '\u2028', // line separator
  '\u00a0', // no-break space
  '😀',
  '"',
  "'",
  '\\',
  '#',
] as const;

const HOMOGLYPHS: Record<string, string> = { a: '\u0430', e: '\u0435', o: '\u043e', p: '\u0440', c: '\u0441', x: '\u0445', '1': '\u0661', '0': '\uff10', '.': '\u3002', '/': '\u2215' };

export const HUGE_LENGTH = 100_000;

export type StringKind = 'host' | 'hostList' | 'ip' | 'port' | 'weight' | 'slot' | 'path' | 'enum' | 'network' | 'resourceName' | 'dnsName' | 'duration';

/** Atoms that are bad for a kind whatever the source (label text, JSON, YAML). */
const ATOMS: Record<StringKind, readonly string[]> = {
  host: ['', ' ', 'a.test:80', 'a.test:8080', 'A.test:443', '[::1]', '::1', '::1;x', 'fe80::1%eth0', '10.0.0.1:80', 'a..test', '-a.test', 'a-.test', '.a.test', 'a.test.', 'http://a.test', 'a.test/x', '*.a.test', 'a_b.test', `${'a'.repeat(64)}.test`, 'a.test,b.test', 'xn--'.padEnd(300, 'a')],
  hostList: [',', ' , ', 'a.test:80', 'a.test, b.test:80', '[::1]', '::1;x', 'fe80::1%eth0', 'a.test,,b c.test', 'a..test', '*.a.test', 'http://a.test', 'a.test;b.test'],
  ip: ['', ' ', '::1;x', '[::1]', 'fe80::1%eth0', '1.2.3.4:80', '256.1.1.1', '1.2.3', 'localhost', 'NaN', 'Infinity', '-1', '1.2.3.4/32', '::ffff:1.2.3.4%1', '1.2.3.4 5.6.7.8', '[fe80::1]:80', '0x7f.1'],
  port: ['0', '-1', '65536', '99999999999', '1e300', '80.5', 'NaN', 'Infinity', '-Infinity', '8O', '\uff18\uff10', '--1', '+-1', '0x', 'eighty'],
  weight: ['-1', '257', '1e300', '2.5', 'NaN', 'Infinity', '-Infinity', 'heavy', '\uff11', '--1'],
  slot: ['0', '-1', '11', '1e300', '1.5', 'NaN', 'Infinity', '-Infinity', 'first', '\uff11'],
  path: ['', 'healthz', ' /healthz', '/health check', '/h;shutdown', '/h"x', "/h'x", '/h\\x', '/h#x', '/\u00e9', '//\n', `/${'a'.repeat(300)}`],
  enum: ['', ' ', 'READY', 'up', 'true ', 'auto;x', 'NaN', 'Infinity', '0', 'null'],
  network: ['', ' ', '-net', '.net', 'net/x', 'net:1', 'a'.repeat(200), 'net work'],
  resourceName: ['', ' ', 'Web', 'web_1', '-web', 'web-', 'a'.repeat(250), 'web/x', 'web..x', '::1', 'web:80'],
  dnsName: ['', ' ', '*', '*.', '**.a.test', 'a.*.test', 'A.test', 'a.test:443', '[::1]', 'fe80::1%eth0', 'a..test', 'a.test.'],
  duration: ['', '720', 'h', '-1h', '1.5h', '1d', '720h;', 'NaN', 'Infinity', '1000000h'],
};

function insertAt(base: string, at: number, text: string): string {
  return base.slice(0, at) + text + base.slice(at);
}

/** A bad string for `kind`, built from the valid `base` (at least 2 characters long). */
export function badString(prng: Prng, kind: StringKind, base: string): { value: string; how: string } {
  const strategy = prng.int(0, 5);
  switch (strategy) {
    case 0:
    case 1: {
      const inj = prng.pick(INJECTIONS);
      return { value: insertAt(base, prng.int(1, base.length - 1), inj), how: `inject ${JSON.stringify(inj)}` };
    }
    case 2: {
      const swappable = [...base].map((ch, i) => [ch, i] as const).filter(([ch]) => HOMOGLYPHS[ch] !== undefined);
      if (swappable.length === 0) break;
      const [ch, i] = prng.pick(swappable);
      return { value: base.slice(0, i) + HOMOGLYPHS[ch]! + base.slice(i + 1), how: `homoglyph for ${JSON.stringify(ch)}` };
    }
    case 3: {
      const fill = prng.pick(['a', '9', '😀', ';']);
      return { value: base + fill.repeat(Math.ceil(HUGE_LENGTH / fill.length)), how: `huge (${fill})` };
    }
    case 4: {
      const len = prng.int(1, 24);
      let text = '';
      for (let i = 0; i < len; i++) text += prng.bool() ? String.fromCharCode(prng.int(0x21, 0x7e)) : prng.pick(INJECTIONS);
      const inj = prng.pick(INJECTIONS);
      // Framed by letters so trimming cannot drop the forbidden part.
      return { value: `x${insertAt(text, prng.int(0, text.length), inj)}x`, how: 'random' };
    }
    default:
      break;
  }
  return { value: prng.pick(ATOMS[kind]), how: 'atom' };
}

/** Values of a wrong JSON type for a field that wants a string. */
export const WRONG_TYPES_FOR_STRING: readonly unknown[] = [0, -1, 1e300, true, false, null, [], ['a.test'], {}, { host: 'a.test' }];
/** Values of a wrong type (or out of range) for a field that wants a whole number. */
export const BAD_NUMBERS: readonly unknown[] = [0, -1, -65536, 65536, 1e300, -1e300, 0.5, 80.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53 + 2, true, false, null, [], [80], {}, '', ' ', 'NaN', 'Infinity', '-Infinity', '1e300', '80;x', '8\n0', '１'];

/**
 * The shortest text an error must contain to name `value`: its JSON form, cut
 * to 100 characters (errors quote at most ~120), so huge values are checked by
 * their bounded preview.
 */
export function preview(value: unknown): string {
  let text: string;
  if (typeof value === 'number' && !Number.isFinite(value)) text = String(value);
  else text = JSON.stringify(value) ?? String(value);
  return text.slice(0, 100);
}

/** A short printable description of a value for assertion messages. */
export function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}... (${text.length} chars)` : text;
}
