export { createProcessorChain, type ProcessorChain } from './chain.js';
export type { Processor, ProcessorContext } from './processor.js';
export { RecordConversionError } from './processor.js';
export { InvalidProcessingOptionError } from './errors.js';
export { PROCESSOR_FACTORIES, createProcessor } from './registry.js';
export { LOG_FORMATS, type LogFormatSpec } from './log-formats.js';
export { DEFAULT_IMDS_ENDPOINT, resolveImdsEndpoint } from '../aws/imds.js';
export type { ProcessingOption, OptionName, JsonFormat, LogFormat } from './options.js';
