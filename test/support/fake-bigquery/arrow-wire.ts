import {
  Binary,
  Bool,
  DateDay,
  Decimal,
  Field as ArrowField,
  Float64,
  Int64,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  Time,
  TimeUnit,
  Timestamp,
  Utf8,
  type Data,
  type DataType,
} from 'apache-arrow';
import type { Field } from './schema.ts';

/**
 * Arrow as the BigQuery Storage Read API sends it, built from the REST
 * wire cells the fake already answers (the same DuckDB rows, the same
 * values): one IPC message for the session's schema, one per record batch.
 * Types as BigQuery maps them (see shared/adapters/bigquery/arrow-rows.ts).
 */

const JSON_META = new Map([['ARROW:extension:name', 'google:sqlType:json']]);

function arrowType(field: Field): DataType {
  switch (field.type) {
    case 'INTEGER':
      return new Int64();
    case 'FLOAT':
      return new Float64();
    case 'NUMERIC':
      return new Decimal(9, 38, 128);
    case 'BIGNUMERIC':
      return new Decimal(38, 76, 256);
    case 'BOOLEAN':
      return new Bool();
    case 'BYTES':
      return new Binary();
    case 'DATE':
      return new DateDay();
    case 'DATETIME':
      return new Timestamp(TimeUnit.MICROSECOND, null);
    case 'TIMESTAMP':
      return new Timestamp(TimeUnit.MICROSECOND, 'UTC');
    case 'TIME':
      return new Time(TimeUnit.MICROSECOND, 64);
    case 'RECORD':
      return new Struct(field.fields!.map(arrowField));
    case 'RANGE': {
      const bound = { name: 'start', type: field.rangeElementType!.type };
      return new Struct([arrowField(bound), arrowField({ ...bound, name: 'end' })]);
    }
    default:
      // STRING, GEOGRAPHY, JSON (tagged by metadata).
      return new Utf8();
  }
}

export function arrowField(field: Field): ArrowField {
  const scalar = new ArrowField(
    field.name,
    arrowType({ ...field, mode: 'NULLABLE' }),
    true,
    field.type === 'JSON' ? JSON_META : null,
  );
  if (field.mode !== 'REPEATED') return scalar;
  return new ArrowField(field.name, new List(scalar), false);
}

const civilMicros = (text: string): bigint => {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(Date.parse(`${whole!.replace(' ', 'T')}Z`)) * 1000n + BigInt(fraction.padEnd(6, '0').slice(0, 6));
};

const timeMicros = (text: string): bigint => {
  const [whole, fraction = ''] = text.split('.');
  const [h, m, s] = whole!.split(':').map(Number) as [number, number, number];
  return BigInt((h * 3600 + m * 60 + s) * 1e6) + BigInt(fraction.padEnd(6, '0').slice(0, 6));
};

function unscaled(text: string, scale: number): bigint {
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = text.replace(/^-/, '').split('.');
  const value = BigInt(`${whole}${fraction.padEnd(scale, '0')}`);
  return negative ? -value : value;
}

function validity(values: readonly unknown[]): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null) nullCount++;
    else nullBitmap[i >> 3]! |= 1 << (i & 7);
  });
  return { nullBitmap, nullCount };
}

function variable(values: readonly unknown[], bytes: (v: unknown) => Buffer) {
  const parts = values.map((v) => (v === null ? Buffer.alloc(0) : bytes(v)));
  const valueOffsets = new Int32Array(values.length + 1);
  parts.forEach((p, i) => (valueOffsets[i + 1] = valueOffsets[i]! + p.length));
  return { valueOffsets, data: new Uint8Array(Buffer.concat(parts)) };
}

/** Arrow data of one column from its REST cells (`v` values: text, `{f}` records, `[{v}]` lists). */
export function columnData(field: Field, cells: readonly unknown[]): Data {
  const type = arrowField(field).type;
  const length = cells.length;
  if (field.mode === 'REPEATED') {
    const lists = cells.map((c) => ((c ?? []) as Array<{ v: unknown }>).map((item) => item.v));
    const valueOffsets = new Int32Array(length + 1);
    lists.forEach((l, i) => (valueOffsets[i + 1] = valueOffsets[i]! + l.length));
    const child = columnData({ ...field, mode: 'NULLABLE' }, lists.flat());
    return makeData({ type: type as List, length, nullCount: 0, valueOffsets, child });
  }
  const { nullBitmap, nullCount } = validity(cells);
  const base = { length, nullCount, nullBitmap };
  const fill = <A extends BigInt64Array | Float64Array | Int32Array>(array: A, of: (v: string) => A[number]) => {
    cells.forEach((c, i) => c !== null && (array[i] = of(String(c))));
    return array;
  };
  switch (field.type) {
    case 'INTEGER':
      return makeData({ ...base, type: type as Int64, data: fill(new BigInt64Array(length), BigInt) });
    case 'FLOAT':
      return makeData({ ...base, type: type as Float64, data: fill(new Float64Array(length), Number) });
    case 'DATE':
      return makeData({
        ...base,
        type: type as DateDay,
        data: fill(new Int32Array(length), (v) => Date.parse(`${v}T00:00:00Z`) / 86_400_000),
      });
    case 'TIMESTAMP':
      return makeData({ ...base, type: type as Timestamp, data: fill(new BigInt64Array(length), BigInt) });
    case 'DATETIME':
      return makeData({ ...base, type: type as Timestamp, data: fill(new BigInt64Array(length), civilMicros) });
    case 'TIME':
      return makeData({ ...base, type: type as Time, data: fill(new BigInt64Array(length), timeMicros) });
    case 'NUMERIC':
    case 'BIGNUMERIC': {
      const { scale, bitWidth } = type as Decimal;
      const words = bitWidth / 32;
      const data = new Uint32Array(length * words);
      cells.forEach((c, i) => {
        if (c === null) return;
        let v = BigInt.asUintN(bitWidth, unscaled(String(c), scale));
        for (let w = 0; w < words; w++, v >>= 32n) data[i * words + w] = Number(v & 0xffffffffn);
      });
      return makeData({ ...base, type: type as Decimal, data });
    }
    case 'BOOLEAN': {
      const data = new Uint8Array(Math.ceil(length / 8));
      cells.forEach((c, i) => c === 'true' && (data[i >> 3]! |= 1 << (i & 7)));
      return makeData({ ...base, type: type as Bool, data });
    }
    case 'BYTES':
      return makeData({ ...base, type: type as Binary, ...variable(cells, (v) => Buffer.from(String(v), 'base64')) });
    case 'RECORD': {
      const children = field.fields!.map((f, k) =>
        columnData(
          f,
          cells.map((c) => (c === null ? null : ((c as { f: Array<{ v: unknown }> }).f[k]!.v ?? null))),
        ),
      );
      return makeData({ ...base, type: type as Struct, children });
    }
    case 'RANGE': {
      const bound = { name: 'start', type: field.rangeElementType!.type };
      const parts = cells.map((c) =>
        c === null
          ? [null, null]
          : String(c)
              .slice(1, -1)
              .split(', ')
              .map((b) => (b === 'UNBOUNDED' ? null : b)),
      );
      const children = [0, 1].map((k) =>
        columnData(
          bound,
          parts.map((p) => p[k] ?? null),
        ),
      );
      return makeData({ ...base, type: type as Struct, children });
    }
    default:
      return makeData({ ...base, type: type as Utf8, ...variable(cells, (v) => Buffer.from(String(v), 'utf8')) });
  }
}

/** The IPC bytes of a schema message alone. */
export function schemaMessage(fields: readonly Field[]): Uint8Array {
  const schema = new Schema(fields.map(arrowField));
  const bytes = tableToIPC(new Table(schema), 'stream');
  // The stream ends with an 8-byte end-of-stream marker.
  return bytes.slice(0, bytes.length - 8);
}

/** The IPC bytes of one record batch message (no schema before it), for rows given as REST cells. */
export function recordBatchMessage(
  fields: readonly Field[],
  rows: ReadonlyArray<readonly unknown[]>,
  head = schemaMessage(fields).length,
): Uint8Array {
  const schema = new Schema(fields.map(arrowField));
  const children = fields.map((f, k) =>
    columnData(
      f,
      rows.map((r) => r[k] ?? null),
    ),
  );
  const data = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  const bytes = tableToIPC(new Table([new RecordBatch(schema, data)]), 'stream');
  return bytes.slice(head, bytes.length - 8);
}
