import type { OptionDefinition } from './option-table.js';
import type { Processor } from './processor.js';

const OPEN = 0x7b;
const CLOSE = 0x7d;

/**
 * ADDBRACKETS, the Kinesis Agent's example converter (BracketsDataConverter.java): `{` + record + `}`.
 * The record's own newline stays inside, just before the `}`, exactly as the
 * agent sends it.
 */
export function createAddBrackets(): Processor {
  return {
    process(data: Buffer): Buffer {
      const out = Buffer.allocUnsafe(data.length + 2);
      out[0] = OPEN;
      data.copy(out, 1);
      out[data.length + 1] = CLOSE;
      return out;
    },
  };
}

export const ADDBRACKETS: OptionDefinition<'ADDBRACKETS'> = {
  optionName: 'ADDBRACKETS',
  javaSource: 'BracketsDataConverter.java',
  summary: 'writes { before and } after each record',
  keys: [],
  read: () => ({ optionName: 'ADDBRACKETS' }),
  create: () => createAddBrackets(),
};
