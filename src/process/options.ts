/**
 * The typed form of one `dataProcessingOptions` entry, after validation.
 * Owned by the process stage; src/config/ validates raw entries into these
 * with `processingOptionSchema` from ./schema.ts.
 */
export type JsonFormat = 'COMPACT' | 'PRETTYPRINT';

export type LogFormat =
  | 'COMMONAPACHELOG'
  | 'COMBINEDAPACHELOG'
  | 'APACHEERRORLOG'
  | 'SYSLOG'
  | 'RFC3339SYSLOG'
  | 'RFC5424SYSLOG';

export type ProcessingOption =
  | { optionName: 'SINGLELINE' }
  | {
      optionName: 'CSVTOJSON';
      customFieldNames: string[];
      delimiter: string;
      /** RFC 4180 quoting; off by default so output matches the Kinesis Agent. */
      quoted: boolean;
      jsonFormat: JsonFormat;
    }
  | {
      optionName: 'LOGTOJSON';
      logFormat: LogFormat;
      matchPattern?: RegExp;
      customFieldNames?: string[];
      jsonFormat: JsonFormat;
    }
  | { optionName: 'JSON'; fields?: string[]; jsonFormat: JsonFormat }
  | { optionName: 'ADDMETADATA'; metadata: unknown; timestamp: boolean; jsonFormat: JsonFormat }
  | { optionName: 'ADDEC2METADATA'; metadataTTL: number; tags: boolean; jsonFormat: JsonFormat }
  | { optionName: 'ADDBRACKETS' };

export type OptionName = ProcessingOption['optionName'];
