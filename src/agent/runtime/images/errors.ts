/**
 * The image store's errors, worded as dockerd words them (daemon/images, distribution), with stable codes:
 * image.not_found, image.conflict, image.invalid_reference, image.digest_mismatch, image.layer_unsafe,
 * image.layer_invalid, image.archive_invalid, image.manifest_unknown, image.unauthorized, image.no_matching_platform,
 * image.unsupported_manifest, image.registry_unavailable, image.pull_canceled.
 */
import { ShoalError, conflict, invalidArgument, notFound } from '../../../api/errors.js';
import { shortId } from './digest.js';
import { familiarString, formatReference } from './reference.js';
import type { AnyReference, ImageReference } from './reference.js';

/** "No such image: busybox:latest" (a name gets its default tag, as docker's TagNameOnly does). */
export function noSuchImage(ref: AnyReference | string): ShoalError {
  const text = typeof ref === 'string' ? ref : ref.kind === 'id' ? ref.id : familiarString(ref.ref);
  return notFound('image.not_found', `No such image: ${text}`);
}

/** `docker rmi name` while a container uses the image through its only reference. */
export function repositoryReferenceInUse(ref: string, containerId: string, imageId: string): ShoalError {
  return conflict(
    'image.conflict',
    `conflict: unable to remove repository reference "${ref}" (must force) - ${containerId === '' ? 'a container' : `container ${shortId(containerId)}`} is using its referenced image ${shortId(imageId)}`,
  );
}

export interface DeleteConflict {
  hard: boolean;
  /** The conflict is a container using the image (prune and quiet deletes skip those). */
  used: boolean;
  message: string;
}

export function deleteConflictError(imageId: string, c: DeleteConflict): ShoalError {
  return conflict('image.conflict', `conflict: unable to delete ${shortId(imageId)} (${c.hard ? 'cannot be forced' : 'must be forced'}) - ${c.message}`);
}

export function refusingDigestTag(): ShoalError {
  return invalidArgument('image.invalid_reference', 'refusing to create a tag with a digest reference');
}

export function refusingAlgorithmTag(): ShoalError {
  return invalidArgument('image.invalid_reference', 'refusing to create an ambiguous tag using digest algorithm as name');
}

export function archiveInvalid(message: string): ShoalError {
  return invalidArgument('image.archive_invalid', message);
}

export function digestMismatch(message: string): ShoalError {
  return new ShoalError('InvalidArgument', 'image.digest_mismatch', message);
}

export function manifestUnknown(ref: ImageReference, detail: string): ShoalError {
  return notFound('image.manifest_unknown', `manifest for ${familiarString(ref)} not found: manifest unknown: ${detail}`);
}

export function schema1Refused(ref: ImageReference): ShoalError {
  return invalidArgument(
    'image.unsupported_manifest',
    `Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of ${formatReference(ref)} to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/`,
  );
}
