import { describe, expect, it } from 'vitest';
import type { ProcessingOption } from '../../src/process/options.js';
import { chainOf } from './helpers.js';

function csv(customFieldNames: string[], extra: Partial<Extract<ProcessingOption, { optionName: 'CSVTOJSON' }>> = {}) {
  return chainOf([{ optionName: 'CSVTOJSON', customFieldNames, delimiter: ',', quoted: false, jsonFormat: 'COMPACT', ...extra }]);
}

describe('CSVTOJSON', () => {
  it('names the columns (the documentation example, the space kept as the agent splits)', () => {
    expect(csv(['f1', 'f2']).text('v1, v2\n')).toBe('{"f1":"v1","f2":" v2"}\n');
  });

  it('gives null to missing columns and drops extra ones', () => {
    expect(csv(['a', 'b', 'c']).text('1,2\n')).toBe('{"a":"1","b":"2","c":null}\n');
    expect(csv(['a']).text('1,2,3\n')).toBe('{"a":"1"}\n');
  });

  it('drops trailing empty columns as Java split does, so they become null', () => {
    expect(csv(['a', 'b', 'c']).text('1,,\n')).toBe('{"a":"1","b":null,"c":null}\n');
    expect(csv(['a', 'b', 'c']).text(',,3\n')).toBe('{"a":"","b":"","c":"3"}\n');
    expect(csv(['a', 'b']).text('\n')).toBe('{"a":"","b":null}\n');
  });

  it('splits on a tab (the Java pattern \\t, or a tab itself), an escaped pipe and a multi-character delimiter', () => {
    for (const delimiter of ['\\t', '\t']) {
      expect(csv(['t', 'level', 'msg'], { delimiter }).text('12:00\tINFO\tstarted\n')).toBe('{"t":"12:00","level":"INFO","msg":"started"}\n');
    }
    expect(csv(['a', 'b'], { delimiter: '\\|' }).text('x|y\n')).toBe('{"a":"x","b":"y"}\n');
    expect(csv(['a', 'b'], { delimiter: '\\Q|\\E' }).text('x|y\n')).toBe('{"a":"x","b":"y"}\n');
    expect(csv(['a', 'b'], { delimiter: '::' }).text('x::y\n')).toBe('{"a":"x","b":"y"}\n');
  });

  it('reads a bare | as Java does: an empty alternation that splits between every character', () => {
    expect(csv(['a', 'b', 'c']).text('x|y\n')).toBe('{"a":"x|y","b":null,"c":null}\n');
    expect(csv(['a', 'b', 'c'], { delimiter: '|' }).text('x|y\n')).toBe('{"a":"x","b":"|","c":"y"}\n');
    expect(csv(['a', 'b'], { delimiter: '.' }).text('x.y\n')).toBe('{"a":null,"b":null}\n');
  });

  it('translates Java-only pattern syntax: possessive quantifiers, \\h and POSIX classes', () => {
    expect(csv(['a', 'b', 'c'], { delimiter: '\\h++' }).text('x \t y\u00a0z\n')).toBe('{"a":"x","b":"y","c":"z"}\n');
    expect(csv(['a', 'b'], { delimiter: '\\p{Punct}' }).text('x;y\n')).toBe('{"a":"x","b":"y"}\n');
  });

  it('uses a delimiter that still holds a backslash as a regular expression, like the agent', () => {
    expect(csv(['a', 'b', 'c'], { delimiter: '\\s+' }).text('x   y\tz\n')).toBe('{"a":"x","b":"y","c":"z"}\n');
  });

  it('keeps quotes as text unless quoted is on', () => {
    expect(csv(['a', 'b']).text('"x,y",z\n')).toBe('{"a":"\\"x","b":"y\\""}\n');
  });

  it('reads RFC 4180 quoted columns with quoted: true', () => {
    const run = csv(['name', 'quote', 'empty'], { quoted: true });
    expect(run.text('"Doe, Jane","she said ""hi""",\n')).toBe('{"name":"Doe, Jane","quote":"she said \\"hi\\"","empty":""}\n');
    expect(run.text('plain,"",x\n')).toBe('{"name":"plain","quote":"","empty":"x"}\n');
  });

  it('sends a record with an unterminated quote unconverted and counts a processing error', () => {
    const run = csv(['a', 'b'], { quoted: true });
    expect(run.text('"open,b\n')).toBe('"open,b\n');
    expect(run.metrics.processingErrors).toBe(1);
  });

  it('keeps the first place and the last value of a field named twice', () => {
    expect(csv(['a', 'b', 'a']).text('1,2,3\n')).toBe('{"a":"3","b":"2"}\n');
  });

  it('keeps numeric field names in the order given', () => {
    expect(csv(['z', '2', '1']).text('a,b,c\n')).toBe('{"z":"a","2":"b","1":"c"}\n');
  });

  it('pretty prints like Jackson', () => {
    expect(csv(['a', 'b'], { jsonFormat: 'PRETTYPRINT' }).text('1,2\n')).toBe('{\n  "a" : "1",\n  "b" : "2"\n}\n');
  });

  it('escapes control characters and quotes in values', () => {
    expect(csv(['a', 'b']).text('say "x"\u0001,back\\slash\n')).toBe('{"a":"say \\"x\\"\\u0001","b":"back\\\\slash"}\n');
  });
});
