/** Shoal's own version (set at build time by esbuild's define; the package version when run from source). */
declare const SHOAL_VERSION: string | undefined;

export const ENGINE_VERSION: string = typeof SHOAL_VERSION === 'string' ? SHOAL_VERSION : '0.1.0';
export const API_VERSION = '1.47';
export const MIN_API_VERSION = '1.24';
export const GIT_COMMIT = 'shoal';
