// When connectMongo warns about a connection string: TLS or credentials missing for a host beyond loopback.
import { describe, expect, it } from 'vitest';
import { insecureTransport } from '../../src/mongo/transport-check.js';

describe('insecureTransport', () => {
  it('accepts anything on loopback', () => {
    expect(insecureTransport('mongodb://127.0.0.1:27017/app')).toBeUndefined();
    expect(insecureTransport('mongodb://localhost,127.0.0.2:27018/app')).toBeUndefined();
    expect(insecureTransport('mongodb://[::1]:27017/app')).toBeUndefined();
  });

  it('names what is missing for a remote host, never the credentials', () => {
    expect(insecureTransport('mongodb://db.internal:27017/app')).toBe(
      'no TLS and no credentials for db.internal',
    );
    const withUser = insecureTransport('mongodb://app:s3cret@db.internal:27017/app');
    expect(withUser).toBe('no TLS for db.internal');
    expect(withUser).not.toContain('s3cret');
    expect(insecureTransport('mongodb://db.internal/app?tls=true')).toBe('no credentials for db.internal');
  });

  it('counts TLS and credentials from the string, the driver options and the auth mechanism', () => {
    expect(insecureTransport('mongodb+srv://app:pw@cluster0.example.net/app')).toBeUndefined();
    expect(insecureTransport('mongodb+srv://app:pw@cluster0.example.net/app?tls=false')).toBe(
      'no TLS for cluster0.example.net',
    );
    expect(
      insecureTransport('mongodb://db.internal/app', { tls: true, auth: { username: 'a', password: 'b' } }),
    ).toBeUndefined();
    expect(
      insecureTransport('mongodb://db.internal/app?tls=true&authMechanism=MONGODB-X509'),
    ).toBeUndefined();
  });
});
