/**
 * The typed form of one `dataProcessingOptions` entry, after validation.
 * Owned by the process stage; each processor's OptionDefinition (its key
 * table and reader, listed in ./registry.ts) reads raw entries into these.
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
  | {
      optionName: 'SINGLELINE';
      /** `parseOptions: [NO_TRIM]`: lines are joined as they are, not trimmed. Default false. */
      noTrim?: boolean;
      /** `parseOptions: [ESCAPE_NEW_LINE]`: lines are joined with the three characters `\\n`. Default false. */
      escapeNewLine?: boolean;
    }
  | {
      optionName: 'CSVTOJSON';
      customFieldNames: string[];
      /**
       * The delimiter text (after JSON/YAML unquoting), a Java regular
       * expression as in the Kinesis Agent: `,`, `\t` (written "\\t" in JSON) for a tab, `\|`, `\s+`.
       */
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
  | {
      optionName: 'ADDMETADATA';
      /** Any JSON value, written as given; null when the entry has no `metadata`. */
      metadata: unknown;
      timestamp: boolean;
      jsonFormat: JsonFormat;
    }
  | {
      optionName: 'ADDEC2METADATA';
      metadataTTL: number;
      tags: boolean;
      jsonFormat: JsonFormat;
      /** Required by the Kinesis Agent (it builds a log parser it never uses); no effect on the output. */
      logFormat?: LogFormat;
    }
  | { optionName: 'ADDBRACKETS' };

export type OptionName = ProcessingOption['optionName'];
