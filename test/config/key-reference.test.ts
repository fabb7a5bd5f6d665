/**
 * docs/configuration.md's key reference is generated from the key rows
 * (src/config/key-reference.ts): the docs hold exactly that text, so a row
 * changed without the docs fails here. `UPDATE_DOCS=1` rewrites the section.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TOP_ROWS } from '../../src/config/agent-keys.js';
import { FLOW_ROWS } from '../../src/config/flow-keys.js';
import { defaultCell, keyReference } from '../../src/config/key-reference.js';
import { PROCESSORS } from '../../src/process/registry.js';

const DOC = new URL('../../docs/configuration.md', import.meta.url);
const BEGIN = '<!-- key-reference:begin (generated from the key tables; UPDATE_DOCS=1 npx vitest run test/config/key-reference.test.ts) -->';
const END = '<!-- key-reference:end -->';

function section(text: string): { before: string; inside: string; after: string } {
  const b = text.indexOf(BEGIN);
  const e = text.indexOf(END);
  expect({ begin: b >= 0, end: e > b }).toEqual({ begin: true, end: true });
  return { before: text.slice(0, b + BEGIN.length), inside: text.slice(b + BEGIN.length, e), after: text.slice(e) };
}

describe('docs/configuration.md key reference', () => {
  if (process.env.UPDATE_DOCS === '1') {
    const { before, after } = section(readFileSync(DOC, 'utf8'));
    writeFileSync(DOC, `${before}\n\n${keyReference()}\n${after}`);
  }
  const doc = readFileSync(DOC, 'utf8');

  it('is the text generated from the key tables', () => {
    expect(section(doc).inside.trim()).toBe(keyReference().trim());
  });

  it('lists every top-level, flow and processor key with its default', () => {
    const lines = section(doc).inside.split('\n');
    const rows = [...TOP_ROWS, ...FLOW_ROWS, ...Object.values(PROCESSORS).flatMap((def) => def.keys)];
    const missing = rows.filter((row) => !lines.some((line) => line.startsWith(`| \`${row.name}\``) && (row.noEffect !== undefined || line.includes(defaultCell(row).replaceAll('|', '\\|')))));
    expect(missing.map((row) => row.name)).toEqual([]);
  });
});
