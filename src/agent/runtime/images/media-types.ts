/** Media types of the OCI image spec and docker's distribution formats. */
export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociNondistributableLayer: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
} as const;

export const isIndexType = (t: unknown): boolean => t === MediaType.ociIndex || t === MediaType.dockerManifestList;
export const isManifestType = (t: unknown): boolean => t === MediaType.ociManifest || t === MediaType.dockerManifest;
export const isSchema1Type = (t: unknown): boolean => t === MediaType.dockerSchema1 || t === MediaType.dockerSchema1Signed;

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

export interface Manifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface Index {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function isDescriptor(v: unknown): v is Descriptor {
  return isObject(v) && typeof v.digest === 'string' && typeof v.size === 'number' && Number.isSafeInteger(v.size) && v.size >= 0;
}

/** Tells an index from a manifest by its fields when the media type is missing (OCI allows that). */
export function classify(doc: unknown): 'index' | 'manifest' | 'schema1' | 'unknown' {
  if (!isObject(doc)) return 'unknown';
  if (doc.schemaVersion === 1) return 'schema1';
  if (isIndexType(doc.mediaType) || (doc.mediaType === undefined && Array.isArray(doc.manifests))) {
    return Array.isArray(doc.manifests) && doc.manifests.every(isDescriptor) ? 'index' : 'unknown';
  }
  if (isManifestType(doc.mediaType) || (doc.mediaType === undefined && isObject(doc.config))) {
    return isDescriptor(doc.config) && Array.isArray(doc.layers) && doc.layers.every(isDescriptor) ? 'manifest' : 'unknown';
  }
  return 'unknown';
}
