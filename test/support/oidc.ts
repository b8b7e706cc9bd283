import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestIssuer {
  /** Google's PEM certificate map ({kid: pem}) for this issuer's key, served on 127.0.0.1. */
  certsUrl: string;
  /** Key id of the signing key. */
  kid: string;
  /** An RS256 ID token with Google's claims, signed by this issuer's key; `claims` override the defaults. */
  sign(claims: Record<string, unknown>, options?: { kid?: string }): string;
  /** How many times the certificates were fetched. */
  fetches(): number;
  close(): Promise<void>;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Stands in for Google's token signing: a local RSA key whose public half
 * is served in the format of https://www.googleapis.com/oauth2/v1/certs, so
 * google-auth-library's own verification (signature, expiry, issuer,
 * audience) runs against it unchanged.
 */
export async function startTestIssuer(): Promise<TestIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  let fetches = 0;
  const server: Server = createServer((request, response) => {
    fetches++;
    response.setHeader('content-type', 'application/json');
    response.setHeader('cache-control', 'public, max-age=3600');
    response.end(JSON.stringify({ [kid]: pem }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    certsUrl: `http://127.0.0.1:${port}/oauth2/v1/certs`,
    kid,
    sign(claims, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const header = { alg: 'RS256', typ: 'JWT', kid: options.kid ?? kid };
      const payload = {
        iss: 'https://accounts.google.com',
        sub: '112233445566778899',
        iat: now,
        exp: now + 3600,
        email_verified: true,
        ...claims,
      };
      const signed = `${b64url(header)}.${b64url(payload)}`;
      const signature = createSign('RSA-SHA256').update(signed).sign(privateKey).toString('base64url');
      return `${signed}.${signature}`;
    },
    fetches: () => fetches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
