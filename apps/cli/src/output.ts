/**
 * Output: human tables by default, `--output json|yaml` for scripts (the whole API answer, unchanged
 * and complete), as kubectl and the aws CLI do. Tables are computed from the same data: a command
 * returns a View saying how to show it as text.
 */
import YAML from 'yaml';

export type OutputFormat = 'table' | 'json' | 'yaml';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'yaml'];

export interface Column<R> {
  readonly header: string;
  readonly value: (row: R) => unknown;
}

export type View =
  | {
      readonly kind: 'table';
      readonly data: unknown;
      readonly rows: readonly unknown[];
      readonly columns: readonly Column<never>[];
      readonly empty?: string;
    }
  | {
      readonly kind: 'fields';
      readonly data: unknown;
      readonly fields: readonly (readonly [string, unknown])[];
      readonly after?: View;
    }
  | { readonly kind: 'text'; readonly data: unknown; readonly text: string }
  | { readonly kind: 'none' };

export function table<R>(data: unknown, rows: readonly R[], columns: readonly Column<R>[], empty?: string): View {
  return { kind: 'table', data, rows, columns: columns as readonly Column<never>[], ...(empty ? { empty } : {}) };
}

export function fields(data: unknown, entries: readonly (readonly [string, unknown])[], after?: View): View {
  return { kind: 'fields', data, fields: entries, ...(after ? { after } : {}) };
}

export function text(data: unknown, value: string): View {
  return { kind: 'text', data, text: value };
}

function cell(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  if (Array.isArray(value)) return value.length ? value.map(cell).join(',') : '-';
  if (typeof value === 'object') {
    return (
      Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${k}=${cell(v)}`)
        .join(',') || '-'
    );
  }
  return String(value);
}

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function renderView(view: View): string {
  switch (view.kind) {
    case 'none':
      return '';
    case 'text':
      return view.text;
    case 'table': {
      if (!view.rows.length && view.empty) return view.empty;
      const columns = view.columns as readonly Column<unknown>[];
      return renderTable(
        columns.map((c) => c.header),
        view.rows.map((r) => columns.map((c) => cell(c.value(r)))),
      );
    }
    case 'fields': {
      const shown = view.fields.filter(([, v]) => v !== undefined);
      const width = Math.max(0, ...shown.map(([k]) => k.length));
      const block = shown.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${cell(v)}`).join('\n');
      return view.after ? `${block}\n\n${renderView(view.after)}` : block;
    }
  }
}

export function render(view: View, format: OutputFormat): string {
  if (view.kind === 'none') return '';
  if (format === 'json') return JSON.stringify(view.data, null, 2);
  if (format === 'yaml') return YAML.stringify(view.data).trimEnd();
  return renderView(view);
}
