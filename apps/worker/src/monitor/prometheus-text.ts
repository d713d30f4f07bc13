/**
 * A strict reader of Prometheus' text exposition format 0.0.4 (what the brokers' prom-client serves):
 * `# HELP`/`# TYPE` comments and `name{label="value",...} value [timestamp]` lines. Anything else is
 * an error, so the same function checks the control plane's own /metrics output in tests.
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromExposition {
  readonly samples: PromSample[];
  /** Metric family name -> counter | gauge | histogram | summary | untyped. */
  readonly types: ReadonlyMap<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parsePrometheusText(text: string): PromExposition {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] as string;
    if (line.trim() === '') continue;
    const fail = (why: string): never => {
      throw new SyntaxError(`metrics line ${n + 1}: ${why}: ${line.slice(0, 120)}`);
    };
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/.exec(line);
      if (!m) {
        if (/^# (HELP|TYPE)\b/.test(line)) fail('malformed HELP/TYPE comment');
        continue; // other comments are allowed
      }
      if (m[1] === 'TYPE') {
        if (!TYPES.has(m[3] ?? '')) fail(`unknown type "${m[3]}"`);
        if (types.has(m[2] as string)) fail('second TYPE for the same metric');
        types.set(m[2] as string, m[3] as string);
      }
      continue;
    }
    const nameMatch = NAME.exec(line);
    if (!nameMatch) fail('no metric name');
    const name = (nameMatch as RegExpExecArray)[0];
    let i = name.length;
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i++;
      while (line[i] !== '}') {
        const labelMatch = LABEL_NAME.exec(line.slice(i));
        if (!labelMatch) fail('bad label name');
        const label = (labelMatch as RegExpExecArray)[0];
        i += label.length;
        if (line[i] !== '=' || line[i + 1] !== '"') fail(`label ${label} has no ="value"`);
        i += 2;
        let value = '';
        for (;;) {
          const c = line[i];
          if (c === undefined) fail('unterminated label value');
          if (c === '"') break;
          if (c === '\\') {
            const next = line[i + 1];
            if (next === 'n') value += '\n';
            else if (next === '\\' || next === '"') value += next;
            else fail('bad escape in label value');
            i += 2;
            continue;
          }
          value += c;
          i++;
        }
        i++; // closing quote
        if (Object.hasOwn(labels, label)) fail(`label ${label} twice`);
        labels[label] = value;
        if (line[i] === ',') i++;
        else if (line[i] !== '}') fail('expected , or } after a label');
      }
      i++;
    }
    if (line[i] !== ' ') fail('expected a space before the value');
    const parts = line
      .slice(i + 1)
      .trim()
      .split(/ +/);
    if (parts.length < 1 || parts.length > 2) fail('expected a value and an optional timestamp');
    const value = parseValue(parts[0] as string);
    if (value === undefined) fail(`bad value "${parts[0]}"`);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) fail('bad timestamp');
    samples.push({ name, labels, value: value as number });
  }
  return { samples, types };
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** Label text for the exposition format (backslash, quote and newline escaped). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
