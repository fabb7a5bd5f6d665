/**
 * How the framer tests a line against `multiLineStartPattern` and
 * `fileFooterPattern`: with the Kinesis Agent's semantics, not JavaScript's
 * `RegExp.test` (which finds a match anywhere in the line).
 *
 * The line given is its content without the `\n` (and without a `\r`
 * before it).
 */
export type LineTest = (line: string) => boolean;

/** Flags that change where a match may start or end; every other flag (i, u, s, ...) is kept. */
function baseFlags(re: RegExp): string {
  return re.flags.replace(/[gymd]/g, '');
}

/**
 * A record starts at a line the pattern matches **at the line's start**:
 * Java's `Matcher.lookingAt()`, as the Kinesis Agent's
 * `tailing/RegexSplitter.java` (awslabs/amazon-kinesis-agent,
 * `advanceBufferToNextPattern`) tests each line. So `ProjectName:` starts
 * a record at `ProjectName: ...` but not at `Caused by: ... ProjectName: ...`.
 * A sticky regex matched at index 0 anchors the same way, alternatives
 * included (`a|b` anchors both).
 */
export function recordStartTest(pattern: RegExp): LineTest {
  const sticky = new RegExp(pattern.source, `${baseFlags(pattern)}y`);
  return (line) => {
    sticky.lastIndex = 0;
    return sticky.test(line);
  };
}

/**
 * A footer is a line the pattern matches **whole, once trimmed**: Java's
 * `Matcher.matches()` on `line.trim()`, the Kinesis Agent's reading of
 * `fileFooterPattern` (added in its 1.1.3, "to give up tailing if not
 * necessary"; issue #14 of this project). So `END` is a footer at `END`
 * or `  END \r`, not at `SENDING`. The pattern is wrapped in `^(?:...)$`
 * rather than compared by match length, so that backtracking finds a
 * whole-line match where the first match found is shorter (`a|ab`).
 */
export function footerTest(pattern: RegExp): LineTest {
  const whole = new RegExp(`^(?:${pattern.source})$`, baseFlags(pattern));
  return (line) => whole.test(javaTrim(line));
}

/** Java's `String.trim()`: strips code units up to U+0020 (spaces and control characters) at both ends. */
function javaTrim(s: string): string {
  let from = 0;
  let to = s.length;
  while (from < to && s.charCodeAt(from) <= 0x20) from++;
  while (to > from && s.charCodeAt(to - 1) <= 0x20) to--;
  return from === 0 && to === s.length ? s : s.slice(from, to);
}
