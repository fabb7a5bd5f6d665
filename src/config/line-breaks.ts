/**
 * A carriage return not followed by a line feed (a file saved with classic
 * Mac line endings, or one whose last line ends in a bare CR) is a line
 * break to the Kinesis Agent's parser: Jackson counts `\r` as JSON
 * whitespace and as a new line (RFC 8259 section 2; YAML 1.2 section 5.4
 * says the same of CR alone). The YAML parser used here refuses it as "an
 * unexpected scalar", so each lone CR is turned into a LF before parsing.
 * One character for one, so every offset, and the line numbers problems
 * show, stay right. CRLF is left alone (the parser reads it).
 */
export function normalizeLoneCarriageReturns(text: string): string {
  return text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
}
