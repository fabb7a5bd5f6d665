import { describe, expect, it } from 'vitest';
import { InvalidProcessingOptionError } from '../../src/process/index.js';
import type { LogFormat, ProcessingOption } from '../../src/process/options.js';
import { capturingLogger, chainOf } from './helpers.js';

type LogOpt = Extract<ProcessingOption, { optionName: 'LOGTOJSON' }>;

function logToJson(logFormat: LogFormat, extra: Partial<LogOpt> = {}, log = capturingLogger().log) {
  return chainOf([{ optionName: 'LOGTOJSON', logFormat, jsonFormat: 'COMPACT', ...extra }], log);
}

const parse = (s: string | null): unknown => (s === null ? null : JSON.parse(s));

describe('LOGTOJSON COMMONAPACHELOG', () => {
  const run = logToJson('COMMONAPACHELOG');

  it('converts the documentation example exactly, "-" becoming null', () => {
    expect(run.text('64.242.88.10 - - [07/Mar/2004:16:10:02 -0800] "GET /mailman/listinfo/hsdivision HTTP/1.1" 200 6291\n')).toBe(
      '{"host":"64.242.88.10","ident":null,"authuser":null,"datetime":"07/Mar/2004:16:10:02 -0800",' +
        '"request":"GET /mailman/listinfo/hsdivision HTTP/1.1","response":"200","bytes":"6291"}\n',
    );
  });

  it('converts the Apache documentation line with a user and accepts a combined line (the rest is ignored)', () => {
    expect(parse(run.text('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"\n'))).toEqual({
      host: '127.0.0.1',
      ident: null,
      authuser: 'frank',
      datetime: '10/Oct/2000:13:55:36 -0700',
      request: 'GET /apache_pb.gif HTTP/1.0',
      response: '200',
      bytes: '2326',
    });
  });

  it('renames the fields with customFieldNames alone (documentation example)', () => {
    const renamed = logToJson('COMMONAPACHELOG', { customFieldNames: ['f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7'] });
    expect(renamed.text('64.242.88.10 - - [07/Mar/2004:16:10:02 -0800] "GET /mailman/listinfo/hsdivision HTTP/1.1" 200 6291\n')).toBe(
      '{"f1":"64.242.88.10","f2":null,"f3":null,"f4":"07/Mar/2004:16:10:02 -0800","f5":"GET /mailman/listinfo/hsdivision HTTP/1.1","f6":"200","f7":"6291"}\n',
    );
  });

  it('fills customFieldNames from matchPattern groups (documentation example)', () => {
    const custom = logToJson('COMMONAPACHELOG', {
      matchPattern: /^([\d.]+) - - \[([\w:/]+\s[+-]\d{4})\] "(.+?)" (\d{3})/,
      customFieldNames: ['host', 'timestamp', 'request', 'response'],
    });
    expect(custom.text('123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200\n')).toBe(
      '{"host":"123.45.67.89","timestamp":"27/Oct/2000:09:27:09 -0400","request":"GET /java/javaResources.html HTTP/1.0","response":"200"}\n',
    );
  });

  it('names fields after the named groups of matchPattern when customFieldNames is absent', () => {
    const named = logToJson('COMMONAPACHELOG', { matchPattern: /(?<client>\S+) \S+ (?<user>\S+) \[[^\]]+\] "(?<request>[^"]*)" (?<status>\d+) .*/ });
    expect(named.text('10.0.0.1 - - [07/Mar/2004:16:10:02 -0800] "GET / HTTP/1.1" 200 6291\n')).toBe(
      '{"client":"10.0.0.1","user":null,"request":"GET / HTTP/1.1","status":"200"}\n',
    );
  });

  it('matches matchPattern against the whole line, as Java matches() does', () => {
    const partial = logToJson('COMMONAPACHELOG', { matchPattern: /(\d+)/, customFieldNames: ['n'] });
    expect(partial.text('42\n')).toBe('{"n":"42"}\n');
    expect(partial.text('42 and more\n')).toBeNull();
  });
});

describe('LOGTOJSON COMBINEDAPACHELOG', () => {
  const run = logToJson('COMBINEDAPACHELOG');

  it('converts an Apache combined line', () => {
    expect(run.text('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"\n')).toBe(
      '{"host":"127.0.0.1","ident":null,"authuser":"frank","datetime":"10/Oct/2000:13:55:36 -0700","request":"GET /apache_pb.gif HTTP/1.0",' +
        '"response":"200","bytes":"2326","referer":"http://www.example.com/start.html","agent":"Mozilla/4.08 [en] (Win98; I ;Nav)"}\n',
    );
  });

  it('converts nginx combined lines: "-" referer and bytes become null, trailing fields are ignored', () => {
    expect(parse(run.text('203.0.113.7 - - [25/Nov/2026:17:40:38 +0000] "GET /api/v1/items?id=42 HTTP/2.0" 304 - "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36" "-"\n'))).toEqual({
      host: '203.0.113.7',
      ident: null,
      authuser: null,
      datetime: '25/Nov/2026:17:40:38 +0000',
      request: 'GET /api/v1/items?id=42 HTTP/2.0',
      response: '304',
      bytes: null,
      referer: null,
      agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
    });
  });

  it('accepts a host name and a bare "-" request', () => {
    expect(parse(run.text('www.example.com - - [01/Jan/2026:00:00:00 +0100] "-" 400 0 "-" "-"\n'))).toMatchObject({ host: 'www.example.com', request: null, response: '400' });
  });

  it('skips lines the agent\'s pattern does not match (an IPv6 client, an escaped quote, a common line) and counts them', () => {
    const local = logToJson('COMBINEDAPACHELOG');
    expect(local.text('::1 - - [25/Nov/2026:17:40:38 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.5.0"\n')).toBeNull();
    expect(local.text('10.0.0.1 - - [25/Nov/2026:17:40:38 +0000] "GET /\\"x HTTP/1.1" 200 5 "-" "curl/8.5.0"\n')).toBeNull();
    expect(local.text('10.0.0.1 - - [25/Nov/2026:17:40:38 +0000] "GET / HTTP/1.1" 200 5\n')).toBeNull();
    expect(local.metrics.recordsSkipped).toBe(3);
    expect(local.metrics.processingErrors).toBe(0);
  });

  it('does not match a line with a carriage return or a second line, as the agent does not', () => {
    expect(run.text('1.2.3.4 - - [25/Nov/2026:17:40:38 +0000] "GET / HTTP/1.1" 200 5 "-" "curl"\r\n')).toBeNull();
    expect(run.text('1.2.3.4 - - [25/Nov/2026:17:40:38 +0000] "GET / HTTP/1.1" 200 5 "-" "curl"\nsecond\n')).toBeNull();
  });

  it('logs a sample of skipped lines at debug, not one per line', () => {
    const cap = capturingLogger('debug');
    const sampled = logToJson('COMBINEDAPACHELOG', {}, cap.log);
    for (let i = 0; i < 50; i++) expect(sampled.text(`garbage ${i}\n`)).toBeNull();
    expect(sampled.metrics.recordsSkipped).toBe(50);
    const debug = cap.lines().filter((l) => String(l.msg).includes('does not match'));
    expect(debug).toHaveLength(1);
    expect(debug[0]).toMatchObject({ level: 'debug', line: 'garbage 0' });
  });
});

describe('LOGTOJSON APACHEERRORLOG', () => {
  const run = logToJson('APACHEERRORLOG');

  it('converts an Apache 2.4 error line with module, pid and tid', () => {
    expect(run.text('[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico\n')).toBe(
      '{"timestamp":"Fri Sep 09 10:42:29.902022 2011","module":"core","severity":"error","processid":"35708","threadid":"4328636416",' +
        '"client":"72.15.99.187","message":"File does not exist: /usr/local/apache2/htdocs/favicon.ico"}\n',
    );
  });

  it('gives null to an absent module and thread id and keeps the client port', () => {
    expect(parse(run.text('[Sun Mar 01 10:00:00.123456 2026] [error] [pid 1234] [client 198.51.100.1:54321] AH00898: Error reading from remote server\n'))).toEqual({
      timestamp: 'Sun Mar 01 10:00:00.123456 2026',
      module: null,
      severity: 'error',
      processid: '1234',
      threadid: null,
      client: '198.51.100.1:54321',
      message: 'AH00898: Error reading from remote server',
    });
  });

  it('skips an Apache 2.2 line without a pid, as the agent\'s pattern requires one', () => {
    expect(run.text('[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /export/home/live/ap/htdocs/test\n')).toBeNull();
  });
});

describe('LOGTOJSON SYSLOG', () => {
  const run = logToJson('SYSLOG');

  it('converts an rsyslog RFC 3164 line', () => {
    expect(run.text('Nov 25 17:40:38 ip-172-31-5-10 sshd[2817]: Accepted publickey for ec2-user from 203.0.113.9 port 50022 ssh2\n')).toBe(
      '{"timestamp":"Nov 25 17:40:38","hostname":"ip-172-31-5-10","program":"sshd","processid":"2817","message":"Accepted publickey for ec2-user from 203.0.113.9 port 50022 ssh2"}\n',
    );
  });

  it('converts a journald-forwarded line and a space-padded day', () => {
    expect(parse(run.text('Nov 25 17:40:38 ip-172-31-5-10 systemd[1]: Started session-5.scope - Session 5 of User ec2-user.\n'))).toMatchObject({ program: 'systemd', processid: '1' });
    expect(parse(run.text('Mar  2 03:04:05 web01 CRON[123]: (root) CMD (run-parts /etc/cron.hourly)\n'))).toMatchObject({
      timestamp: 'Mar  2 03:04:05',
      hostname: 'web01',
      program: 'CRON',
      message: '(root) CMD (run-parts /etc/cron.hourly)',
    });
  });

  it('gives null to an absent pid and keeps "-" as text (syslog has no "-" convention)', () => {
    expect(parse(run.text('Nov 25 17:40:38 ip-172-31-5-10 kernel: - [    0.000000] Linux version 6.1.0\n'))).toEqual({
      timestamp: 'Nov 25 17:40:38',
      hostname: 'ip-172-31-5-10',
      program: 'kernel',
      processid: null,
      message: '- [    0.000000] Linux version 6.1.0',
    });
  });

  it('skips a line that carries a <PRI> prefix, as the agent does', () => {
    expect(run.text("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8\n")).toBeNull();
  });
});

describe('LOGTOJSON RFC3339SYSLOG', () => {
  it('converts an rsyslog high-precision line', () => {
    expect(logToJson('RFC3339SYSLOG').text('2026-11-25T17:40:38.123456+00:00 ip-172-31-5-10 systemd[1]: Starting Daily apt upgrade and clean activities...\n')).toBe(
      '{"timestamp":"2026-11-25T17:40:38.123456+00:00","hostname":"ip-172-31-5-10","program":"systemd","processid":"1","message":"Starting Daily apt upgrade and clean activities..."}\n',
    );
  });

  it('accepts a Z timestamp without fraction and skips an RFC 3164 line', () => {
    const run = logToJson('RFC3339SYSLOG');
    expect(parse(run.text('2026-11-25T17:40:38Z host app: hi\n'))).toMatchObject({ timestamp: '2026-11-25T17:40:38Z', processid: null, message: 'hi' });
    expect(run.text('Nov 25 17:40:38 host app: hi\n')).toBeNull();
  });
});

describe('LOGTOJSON RFC5424SYSLOG', () => {
  const run = logToJson('RFC5424SYSLOG');

  it('converts the RFC 5424 example with structured data', () => {
    expect(run.text('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry...\n')).toBe(
      '{"priority":"165","version":"1","timestamp":"2003-10-11T22:14:15.003Z","hostname":"mymachine.example.com","appname":"evntslog","procid":null,"msgid":"ID47",' +
        '"structureddata":"[exampleSDID@32473 iut=\\"3\\" eventSource=\\"Application\\" eventID=\\"1011\\"]","message":"An application event log entry..."}\n',
    );
  });

  it('drops the BOM of the message and turns "-" into null', () => {
    expect(parse(run.text("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8\n"))).toEqual({
      priority: '34',
      version: '1',
      timestamp: '2003-10-11T22:14:15.003Z',
      hostname: 'mymachine.example.com',
      appname: 'su',
      procid: null,
      msgid: 'ID47',
      structureddata: null,
      message: "'su root' failed for lonvick on /dev/pts/8",
    });
  });

  it('accepts several SD elements, an escaped bracket, and no message at all', () => {
    expect(parse(run.text('<165>1 2003-10-11T22:14:15.003Z host app 42 - [a@1 x="1\\]"][b@2 y="2"]\n'))).toMatchObject({
      procid: '42',
      structureddata: '[a@1 x="1\\]"][b@2 y="2"]',
      message: null,
    });
  });

  it('skips an RFC 3164 line', () => {
    expect(run.text('Nov 25 17:40:38 host app[1]: hi\n')).toBeNull();
  });
});

describe('LOGTOJSON configuration errors', () => {
  it('refuses customFieldNames whose count does not fit the format', () => {
    expect(() => logToJson('SYSLOG', { customFieldNames: ['a', 'b'] })).toThrow(InvalidProcessingOptionError);
  });

  it('refuses a matchPattern whose groups do not fit customFieldNames', () => {
    expect(() => logToJson('COMMONAPACHELOG', { matchPattern: /(a)(b)/, customFieldNames: ['x'] })).toThrow(/2 capturing group/);
  });

  it('refuses a matchPattern with neither customFieldNames nor named groups', () => {
    expect(() => logToJson('COMMONAPACHELOG', { matchPattern: /(a)/ })).toThrow(InvalidProcessingOptionError);
  });
});

describe('LOGTOJSON PRETTYPRINT', () => {
  it('lays the record out as Jackson\'s default pretty printer does', () => {
    expect(logToJson('SYSLOG', { jsonFormat: 'PRETTYPRINT' }).text('Nov 25 17:40:38 host app: hi\n')).toBe(
      '{\n  "timestamp" : "Nov 25 17:40:38",\n  "hostname" : "host",\n  "program" : "app",\n  "processid" : null,\n  "message" : "hi"\n}\n',
    );
  });
});
