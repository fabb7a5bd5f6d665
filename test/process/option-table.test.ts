import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPTION_NAMES, PROCESSORS } from '../../src/process/registry.js';

const DOC = readFileSync(new URL('../../docs/processors.md', import.meta.url), 'utf8');

/** The text of the `## NAME` section of docs/processors.md. */
function section(name: string): string {
  const start = DOC.search(new RegExp(`^## ${name}\\b`, 'm'));
  if (start === -1) return '';
  const next = DOC.slice(start + 3).search(/^## /m);
  return next === -1 ? DOC.slice(start) : DOC.slice(start, start + 3 + next);
}

describe('the processing option registry', () => {
  it('lists each option once, under its own name', () => {
    expect(OPTION_NAMES).toEqual(['SINGLELINE', 'CSVTOJSON', 'LOGTOJSON', 'JSON', 'ADDMETADATA', 'ADDEC2METADATA', 'ADDBRACKETS']);
    for (const name of OPTION_NAMES) expect(PROCESSORS[name].optionName).toBe(name);
  });

  it('keeps every key table as plain data (a schema can be generated from it)', () => {
    for (const name of OPTION_NAMES) {
      const keys = PROCESSORS[name].keys;
      expect(JSON.parse(JSON.stringify(keys))).toEqual(keys);
      expect(new Set(keys.map((k) => k.name)).size).toBe(keys.length);
      for (const k of keys) {
        expect(k.description.length).toBeGreaterThan(10);
        if (k.type === 'enum' || k.type === 'enum-list') expect(k.values?.length).toBeGreaterThan(0);
      }
    }
  });

  it('documents every option and every key of it in docs/processors.md, naming the Kinesis Agent class it matches', () => {
    for (const name of OPTION_NAMES) {
      const text = section(name);
      expect(text, `no section for ${name}`).not.toBe('');
      for (const k of PROCESSORS[name].keys) expect(text, `${name}.${k.name}`).toContain(`\`${k.name}\``);
      const java = PROCESSORS[name].javaSource;
      if (java) expect(text).toContain(java);
    }
  });
});
