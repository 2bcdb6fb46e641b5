/**
 * The one door to @peculiar/x509. It needs a Reflect metadata polyfill before it is evaluated (its tsyringe
 * container throws "tsyringe requires a reflect polyfill" otherwise), so the polyfill is imported first here and every
 * file in src/ca imports the library through this module. Callers of src/ca never have to know.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

export { x509 };

/** Node's WebCrypto, handed to @peculiar/x509 explicitly rather than relying on whatever global it finds. */
export const nodeCrypto = webcrypto;
x509.cryptoProvider.set(webcrypto);

/** ECDSA over P-256 with SHA-256: the cluster's only key and signature profile (swarmkit's RootKeyAlgo/RootKeySize). */
export const ecdsaP256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
