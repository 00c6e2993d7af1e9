// A throwaway CA and a server certificate for the stand-in's HTTPS, made in-process (no openssl needed).
import { createHash, createPublicKey, generateKeyPairSync, KeyObject, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import * as der from './asn1-der';

export interface TlsMaterial {
  /** PEM of the CA that signed the server certificate: what clients trust. */
  caPem: string;
  /** PEM of the server certificate (leaf) followed by the CA. */
  certChainPem: string;
  /** PKCS#8 PEM of the server key. */
  keyPem: string;
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

const DAY_MS = 24 * 3600 * 1000;

function name(commonName: string): Buffer {
  return der.sequence(
    der.set(der.sequence(der.objectIdentifier(OID.organization), der.utf8String('consul-sidecars bigip-standin'))),
    der.set(der.sequence(der.objectIdentifier(OID.commonName), der.utf8String(commonName))),
  );
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? der.sequence(der.objectIdentifier(oid), der.boolean(true), der.octetString(value))
    : der.sequence(der.objectIdentifier(oid), der.octetString(value));
}

/** KeyUsage bits as a DER BIT STRING; bit 0 is the most significant bit of the first byte. */
function keyUsage(bits: number[]): Buffer {
  let value = 0;
  for (const bit of bits) value |= 0x80 >> bit;
  return der.tlv(0x03, Buffer.from([0x00, value]));
}

function publicKeyIdentifier(publicKey: KeyObject): Buffer {
  // RFC 5280 method 1: SHA-1 of the subjectPublicKey bits (the uncompressed EC point).
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return createHash('sha1').update(point).digest();
}

function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes;
}

function subjectAltName(hosts: readonly string[]): Buffer {
  const names = hosts.map((host) => {
    const family = isIP(host);
    if (family === 4) return der.implicitPrimitive(7, Buffer.from(host.split('.').map(Number)));
    if (family === 6) return der.implicitPrimitive(7, ipv6Bytes(host));
    return der.implicitPrimitive(2, Buffer.from(host, 'ascii'));
  });
  return der.sequence(...names);
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return Buffer.from([...headGroups, ...zeros, ...tailGroups].map((group) => group.padStart(4, '0')).join(''), 'hex');
}

function toPem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

interface CertificateRequest {
  subject: string;
  issuer: string;
  subjectKey: KeyObject;
  signingKey: KeyObject;
  validDays: number;
  extensions: Buffer[];
}

function certificate(request: CertificateRequest): Buffer {
  const now = Date.now();
  const algorithm = der.sequence(der.objectIdentifier(OID.ecdsaWithSha256));
  const spki = request.subjectKey.export({ type: 'spki', format: 'der' });
  const tbs = der.sequence(
    der.explicit(0, der.integer(2)),
    der.integer(serialNumber()),
    algorithm,
    name(request.issuer),
    // Back-dated an hour so clocks slightly behind still accept it.
    der.sequence(der.time(new Date(now - 3600 * 1000)), der.time(new Date(now + request.validDays * DAY_MS))),
    name(request.subject),
    spki,
    der.explicit(3, der.sequence(...request.extensions)),
  );
  const signature = sign('sha256', tbs, request.signingKey);
  return der.sequence(tbs, algorithm, der.bitString(signature));
}

/**
 * Makes a CA and a server certificate for `hosts` (always including 127.0.0.1 and localhost),
 * so clients verify the stand-in's TLS for real instead of turning verification off.
 */
export function createTlsMaterial(extraHosts: readonly string[] = []): TlsMaterial {
  const hosts = [...new Set(['127.0.0.1', 'localhost', '::1', ...extraHosts.filter((host) => host && host !== '0.0.0.0' && host !== '::')])];
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const server = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const caPublic = createPublicKey(ca.privateKey);
  const caKeyId = publicKeyIdentifier(caPublic);

  const caDer = certificate({
    subject: 'bigip-standin test CA',
    issuer: 'bigip-standin test CA',
    subjectKey: ca.publicKey,
    signingKey: ca.privateKey,
    validDays: 3650,
    extensions: [
      extension(OID.basicConstraints, true, der.sequence(der.boolean(true))),
      extension(OID.keyUsage, true, keyUsage([5, 6])), // keyCertSign, cRLSign
      extension(OID.subjectKeyIdentifier, false, der.octetString(caKeyId)),
    ],
  });
  const serverDer = certificate({
    subject: 'localhost',
    issuer: 'bigip-standin test CA',
    subjectKey: server.publicKey,
    signingKey: ca.privateKey,
    validDays: 825,
    extensions: [
      extension(OID.basicConstraints, true, der.sequence()),
      extension(OID.keyUsage, true, keyUsage([0])), // digitalSignature (ECDHE with an ECDSA key)
      extension(OID.extKeyUsage, false, der.sequence(der.objectIdentifier(OID.serverAuth))),
      extension(OID.subjectAltName, false, subjectAltName(hosts)),
      extension(OID.subjectKeyIdentifier, false, der.octetString(publicKeyIdentifier(server.publicKey))),
      extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicitPrimitive(0, caKeyId))),
    ],
  });
  const caPem = toPem('CERTIFICATE', caDer);
  return {
    caPem,
    certChainPem: toPem('CERTIFICATE', serverDer) + caPem,
    keyPem: server.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
