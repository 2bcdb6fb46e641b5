import { ROOT_CA_CN } from './roles.js';
import { generateKeyPair } from './keys.js';
import { encodePem } from './pem.js';
import { ROOT_CA_EXPIRY_MS, validityWindow } from './validity.js';
import { ecdsaP256, nodeCrypto, x509 } from './x509.js';

/** The cluster root CA: its certificate and its private key (PKCS#8), both PEM. Only managers hold the key. */
export interface RootCA {
  certPem: string;
  keyPem: string;
}

export interface CreateRootCAOptions {
  /** Milliseconds since the epoch; the certificate is backdated one hour from here. */
  now: number;
  /** Lifetime from `now`; default 20 years (swarmkit's RootCAExpiration). */
  expiryMs?: number;
}

/**
 * A new self-signed root CA, laid out as swarmkit's (cfssl initca) is: ECDSA P-256 with SHA-256, subject `CN=swarm-ca`
 * (a PrintableString, so CertIssuerSubject reads `MBMxETAPBgNVBAMTCHN3YXJtLWNh` as on docker), critical
 * basicConstraints CA:TRUE, critical keyUsage certSign+cRLSign, and a subject key identifier.
 */
export async function createRootCA(options: CreateRootCAOptions): Promise<RootCA> {
  const { notBefore, notAfter } = validityWindow(options.now, options.expiryMs ?? ROOT_CA_EXPIRY_MS, 1);
  const { keys, keyPem } = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: new x509.Name([{ CN: [{ printableString: ROOT_CA_CN }] }]),
      keys,
      notBefore,
      notAfter,
      signingAlgorithm: ecdsaP256,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, nodeCrypto),
      ],
    },
    nodeCrypto,
  );
  return { certPem: encodePem(cert.rawData, 'CERTIFICATE'), keyPem };
}
