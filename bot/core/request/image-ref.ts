/**
 * Docker image references, after the grammar of distribution/reference (the library `docker pull`
 * itself uses):
 *
 * ```
 * reference        := name [ ":" tag ] [ "@" digest ]
 * name             := [domain "/"] path-component ["/" path-component]*
 * domain           := host [":" port]
 * host             := domain-name | "[" IPv6 "]"
 * domain-component := /[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]/
 * path-component   := /[a-z0-9]+/ [separator /[a-z0-9]+/]*
 * separator        := /[_.]|__|[-]+/
 * tag              := /[\w][\w.-]{0,127}/
 * digest           := "sha256:" /[a-f0-9]{64}/
 * ```
 *
 * One deliberate narrowing of the raw grammar: its regex lets any first component be a registry
 * host, so `UPPER/case` would pass as registry "UPPER". Docker resolves names differently — a first
 * component is a registry only if it contains "." or ":" or is "localhost"; anything else is a
 * Docker Hub namespace and must be lowercase — and the pull on the instance would fail minutes
 * later. We apply Docker's rule here so that the user hears about it now.
 */

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|-+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const PORT = '[0-9]+';
const IPV6 = '\\[[a-fA-F0-9:]+\\]';
const REGISTRY =
  '(?:' +
  [
    `localhost(?::${PORT})?`,
    `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})+(?::${PORT})?`,
    `${DOMAIN_COMPONENT}:${PORT}`,
    `${IPV6}(?::${PORT})?`,
  ].join('|') +
  ')';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';

/** A whole image reference; groups: 1 name, 2 tag, 3 digest. */
export const IMAGE_REFERENCE_REGEX = new RegExp(
  `^((?:${REGISTRY}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);

export const MAX_IMAGE_REFERENCE_LENGTH = 255;

export function isValidImageReference(reference: string): boolean {
  // The length check comes first so the regex never sees an unbounded input.
  return reference.length <= MAX_IMAGE_REFERENCE_LENGTH && IMAGE_REFERENCE_REGEX.test(reference);
}

/**
 * podman (containers/image) reads `<transport>:<rest>` as an image from somewhere other than a
 * registry — `oci:x` a layout folder, `containers-storage:x` this machine's image store,
 * `docker-archive:x` a tar file — where docker would pull `library/oci:x` from Docker Hub. Such a
 * name is refused, so a job's image is always a registry's on either CLI. `docker:` is not among
 * them: podman reads `docker:latest` as the registry image it is.
 */
export const IMAGE_TRANSPORTS = ['containers-storage', 'dir', 'docker-archive', 'docker-daemon', 'oci', 'oci-archive', 'ostree', 'sif', 'tarball'] as const;

/** The transport a reference starts with (`oci` for `oci:x`, `docker` for `docker://x`); undefined for none. */
export function imageTransportPrefix(reference: string): string | undefined {
  if (reference.startsWith('docker://')) return 'docker';
  const prefix = /^([a-z][a-z-]*):/.exec(reference)?.[1];
  return prefix !== undefined && (IMAGE_TRANSPORTS as readonly string[]).includes(prefix) ? prefix : undefined;
}
