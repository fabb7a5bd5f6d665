import { ADDBRACKETS } from './add-brackets.js';
import { ADDEC2METADATA } from './add-ec2-metadata.js';
import { ADDMETADATA } from './add-metadata.js';
import { CSVTOJSON } from './csv-to-json.js';
import { JSON_OPTION } from './json.js';
import { LOGTOJSON } from './log-to-json.js';
import type { OptionDefinition } from './option-table.js';
import type { OptionName, ProcessingOption } from './options.js';
import type { Processor, ProcessorContext } from './processor.js';
import { SINGLELINE } from './single-line.js';

/**
 * Every processing option, by optionName: the one list. The mapped type
 * makes a member of ProcessingOption without an entry a compile error; the
 * config reader, the docs and the fuzz tests all walk this table.
 */
export const PROCESSORS: { readonly [K in OptionName]: OptionDefinition<K> } = {
  SINGLELINE,
  CSVTOJSON,
  LOGTOJSON,
  JSON: JSON_OPTION,
  ADDMETADATA,
  ADDEC2METADATA,
  ADDBRACKETS,
};

/** The option names in the order the documentation lists them. */
export const OPTION_NAMES = Object.keys(PROCESSORS) as OptionName[];

/** The definition of one option, typed for its name. */
export function definitionOf<K extends OptionName>(name: K): OptionDefinition<K> {
  return PROCESSORS[name] as OptionDefinition<K>;
}

/** Builds one processor; throws only for an option the config reader would have refused. */
export function createProcessor(opt: ProcessingOption, ctx: ProcessorContext): Processor {
  const def = PROCESSORS[opt.optionName] as OptionDefinition<typeof opt.optionName>;
  return def.create(opt as never, ctx);
}
