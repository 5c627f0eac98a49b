// Opaque pagination tokens: encrypted, HMAC-signed, bound to the query they came from, optionally expiring.
import type { ErrorCode } from './error-codes.js';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { ValidationError } from './errors.js';
import { stableStringify } from './stable-json.js';

/**
 * What a cursor is bound to. A token issued for one binding is refused for any other, so a client
 * cannot replay a cursor from one query (or tenant filter) on another.
 */
export interface CursorBinding {
  /** Table, collection or model name. */
  source: string;
  /** Index name, when the query uses one. */
  index?: string;
  /** The query's filter / key condition as the server built it. */
  filter?: unknown;
  /** The sort order. */
  sort?: unknown;
}

/** Options for {@link createCursorCodec}. */
export interface CursorCodecOptions {
  /**
   * Secret(s) for signing. The first signs new tokens; all are accepted when reading, so a secret
   * can be rotated. Defaults to `process.env.DBKIT_CURSOR_SECRET`.
   */
  secret?: string | readonly string[];
  /** Tokens older than this are refused as expired. Default: no expiry. */
  ttlMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Called once when the development default secret is used. Default: `process.emitWarning`. */
  warn?: (message: string) => void;
}

/** Encodes query positions into tokens and back. */
export interface CursorCodec {
  /** Seals a JSON-serialisable position into an opaque token bound to `binding`. */
  encode(position: unknown, binding: CursorBinding): string;
  /** Opens a token, checking signature, binding and expiry; throws a ValidationError otherwise. Validate the returned position's shape before use. */
  decode(token: string, binding: CursorBinding): unknown;
}

const VERSION = 1;
const IV_BYTES = 16;
const MAC_BYTES = 32;
const MAX_TOKEN_CHARS = 4096;
const DEV_SECRET = 'dbkit-development-cursor-secret-do-not-use-in-production';
let warnedDevSecret = false;

interface Keys {
  enc: Buffer;
  mac: Buffer;
}

interface Payload {
  q: string;
  p: unknown;
  e?: number;
}

function deriveKeys(secret: string): Keys {
  const material = Buffer.from(hkdfSync('sha256', secret, 'dbkit-cursor', 'v1', 64));
  return { enc: material.subarray(0, 32), mac: material.subarray(32) };
}

function resolveSecrets(options: CursorCodecOptions): string[] {
  const given = options.secret ?? process.env.DBKIT_CURSOR_SECRET;
  const secrets = (typeof given === 'string' ? [given] : [...(given ?? [])]).filter((s) => s.length > 0);
  if (secrets.length > 0) {
    const short = secrets.find((s) => s.length < 16);
    if (short !== undefined) {
      throw new ValidationError(
        [
          {
            path: ['secret'],
            message: 'cursor secrets must be at least 16 characters',
            code: 'cursor.weakSecret',
          },
        ],
        {
          code: 'cursor.weakSecret',
          engine: 'core',
        },
      );
    }
    return secrets;
  }
  if (process.env.NODE_ENV === 'production') {
    throw new ValidationError(
      [
        {
          path: ['secret'],
          message: 'set DBKIT_CURSOR_SECRET or pass a cursor secret',
          code: 'cursor.secretRequired',
        },
      ],
      {
        code: 'cursor.secretRequired',
        engine: 'core',
        message: 'A cursor secret is required in production: set DBKIT_CURSOR_SECRET or pass `cursorSecret`.',
      },
    );
  }
  if (!warnedDevSecret) {
    warnedDevSecret = true;
    const warn =
      options.warn ??
      ((m: string) => {
        process.emitWarning(m, { code: 'DBKIT_DEV_CURSOR_SECRET' });
      });
    warn(
      'dbkit: no cursor secret configured; using a development default. Set DBKIT_CURSOR_SECRET before production.',
    );
  }
  return [DEV_SECRET];
}

/** A short hash of the binding, stored in the token and compared on decode. */
export function bindingHash(binding: CursorBinding): string {
  return createHash('sha256').update(stableStringify(binding)).digest('base64url').slice(0, 22);
}

function invalid(code: ErrorCode, message: string): ValidationError {
  return new ValidationError([{ path: ['cursor'], message, code }], { code, engine: 'core', message });
}

/**
 * Creates a codec for opaque, query-bound pagination tokens. Tokens are AES-256-CTR encrypted (so
 * keys and values inside do not leak to clients) and HMAC-SHA256 signed (so they cannot be forged).
 *
 * @example
 * ```ts
 * const cursors = createCursorCodec({ secret: process.env.CURSOR_SECRET, ttlMs: 3_600_000 })
 * const token = cursors.encode(lastKey, { source: 'users', index: 'byEmail' })
 * const lastKeyAgain = cursors.decode(token, { source: 'users', index: 'byEmail' })
 * ```
 */
export function createCursorCodec(options: CursorCodecOptions = {}): CursorCodec {
  const keys = resolveSecrets(options).map(deriveKeys);
  const signer = keys[0] as Keys;
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs;

  return {
    encode(position, binding) {
      const payload: Payload = { q: bindingHash(binding), p: position };
      if (ttlMs !== undefined) payload.e = now() + ttlMs;
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-ctr', signer.enc, iv);
      const body = Buffer.concat([
        Buffer.from([VERSION]),
        iv,
        cipher.update(JSON.stringify(payload), 'utf8'),
        cipher.final(),
      ]);
      const mac = createHmac('sha256', signer.mac).update(body).digest();
      return Buffer.concat([body, mac]).toString('base64url');
    },

    decode(token: string, binding: CursorBinding): unknown {
      if (
        typeof token !== 'string' ||
        token.length === 0 ||
        token.length > MAX_TOKEN_CHARS ||
        !/^[A-Za-z0-9_-]+$/.test(token)
      ) {
        throw invalid('cursor.malformed', 'The pagination cursor is malformed.');
      }
      const raw = Buffer.from(token, 'base64url');
      // base64url has spare bits in its last character: only the one canonical spelling of a token
      // is accepted, so a token cannot be replayed under another text (cache keys, rate limits, logs).
      if (raw.length < 1 + IV_BYTES + MAC_BYTES + 2 || raw.toString('base64url') !== token)
        throw invalid('cursor.malformed', 'The pagination cursor is malformed.');
      if (raw[0] !== VERSION)
        throw invalid(
          'cursor.unsupportedVersion',
          'The pagination cursor was issued by an incompatible version.',
        );
      const body = raw.subarray(0, raw.length - MAC_BYTES);
      const mac = raw.subarray(raw.length - MAC_BYTES);
      const key = keys.find((k) => timingSafeEqual(createHmac('sha256', k.mac).update(body).digest(), mac));
      if (key === undefined)
        throw invalid(
          'cursor.invalidSignature',
          'The pagination cursor has been tampered with or was signed with another secret.',
        );
      const decipher = createDecipheriv('aes-256-ctr', key.enc, body.subarray(1, 1 + IV_BYTES));
      let payload: Payload;
      try {
        const text = Buffer.concat([decipher.update(body.subarray(1 + IV_BYTES)), decipher.final()]).toString(
          'utf8',
        );
        payload = JSON.parse(text) as Payload;
      } catch {
        throw invalid('cursor.malformed', 'The pagination cursor is malformed.');
      }
      if (payload.q !== bindingHash(binding)) {
        throw invalid(
          'cursor.queryMismatch',
          'The pagination cursor belongs to a different query; start again without a cursor.',
        );
      }
      if (payload.e !== undefined && now() > payload.e) {
        throw invalid('cursor.expired', 'The pagination cursor has expired; start again without a cursor.');
      }
      return payload.p;
    },
  };
}
