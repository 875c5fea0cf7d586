/** Colour for an interactive terminal. The renderers stay plain; this is injected when wanted. */
import type { Paint, TerminalStyle } from './render.js';

const SGR: { readonly [S in TerminalStyle]: string } = {
  waiting: '33',
  active: '36',
  success: '32',
  failure: '31',
  muted: '90',
  bold: '1',
  dim: '2',
};

export const ansiPaint: Paint = (style, text) => (text === '' ? text : `\u001b[${SGR[style]}m${text}\u001b[0m`);
