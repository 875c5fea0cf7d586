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
