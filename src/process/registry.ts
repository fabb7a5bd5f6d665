import { createAddBrackets } from './add-brackets.js';
import { createAddEc2Metadata } from './add-ec2-metadata.js';
import { createAddMetadata } from './add-metadata.js';
import { createCsvToJson } from './csv-to-json.js';
import { createJson } from './json.js';
import { createLogToJson } from './log-to-json.js';
import type { OptionName, ProcessingOption } from './options.js';
import type { Processor, ProcessorContext } from './processor.js';
import { createSingleLine } from './single-line.js';

type Factory<K extends OptionName> = (opt: Extract<ProcessingOption, { optionName: K }>, ctx: ProcessorContext) => Processor;

/** One factory per optionName: a new processor is one new file and one line here. */
export const PROCESSOR_FACTORIES: { [K in OptionName]: Factory<K> } = {
  SINGLELINE: () => createSingleLine(),
  CSVTOJSON: (opt) => createCsvToJson(opt),
  LOGTOJSON: createLogToJson,
  JSON: (opt) => createJson(opt),
  ADDMETADATA: (opt) => createAddMetadata(opt),
  ADDEC2METADATA: createAddEc2Metadata,
  ADDBRACKETS: () => createAddBrackets(),
};

export function createProcessor(opt: ProcessingOption, ctx: ProcessorContext): Processor {
  const factory = PROCESSOR_FACTORIES[opt.optionName] as Factory<typeof opt.optionName>;
  return factory(opt as never, ctx);
}
