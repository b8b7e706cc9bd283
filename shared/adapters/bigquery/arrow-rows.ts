import { Type, type Data, type DataType, type Field, type RecordBatch, type Schema } from 'apache-arrow';
import type { Row } from '../../model/types.ts';
import {
  portableBytes,
  portableDatetime,
  portableDecimal,
  portableFloat,
  portableInteger,
  portableTime,
  portableTimestamp,
} from '../../warehouse/values.ts';

/**
 * Arrow record batches from the BigQuery Storage Read API as portable rows:
 * the same values the REST path gives (row-values.ts) for every BigQuery
 * type. How BigQuery maps its types to Arrow: INT64 int64, FLOAT64
 * float64, NUMERIC decimal128(38, 9), BIGNUMERIC decimal256(76, 38), BOOL
 * bool, STRING/GEOGRAPHY utf8, JSON utf8 tagged with the extension name
 * google:sqlType:json, BYTES binary, DATE date32, DATETIME timestamp(us)
 * without a zone, TIMESTAMP timestamp(us, UTC), TIME time64(us), INTERVAL
 * month_day_nano, ARRAY list, STRUCT and RANGE struct. Values are read from
 * the buffers, not through Arrow's getters, which round int64 timestamps to
 * milliseconds.
 */

/** Reads the value at a (logical) index of one column's data. */
type Read = (data: Data, index: number) => unknown;

const JSON_EXTENSION = 'google:sqlType:json';

const pad = (n: number | bigint, width = 2) => String(n).padStart(width, '0');

/** Days since the epoch as 'YYYY-MM-DD'. */
function dayText(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/** Microseconds since the epoch as 'YYYY-MM-DD HH:MM:SS.ffffff' (the text the portable* helpers take). */
function microsText(micros: bigint): string {
  let seconds = micros / 1_000_000n;
  let fraction = micros % 1_000_000n;
  if (fraction < 0n) {
    fraction += 1_000_000n;
    seconds -= 1n;
  }
  const civil = new Date(Number(seconds) * 1000).toISOString();
  return `${civil.slice(0, 10)} ${civil.slice(11, 19)}.${pad(fraction, 6)}`;
}

/** Microseconds since midnight as 'HH:MM:SS.ffffff'. */
function timeText(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  return `${pad(seconds / 3600n)}:${pad((seconds / 60n) % 60n)}:${pad(seconds % 60n)}.${pad(micros % 1_000_000n, 6)}`;
}

/** A two's-complement little-endian integer of `words` 32-bit words. */
function wideInteger(words: Uint32Array, at: number, count: number): bigint {
  let value = 0n;
  for (let w = count - 1; w >= 0; w--) value = (value << 32n) | BigInt(words[at + w]!);
  const bits = BigInt(count * 32);
  return value >= 1n << (bits - 1n) ? value - (1n << bits) : value;
}

/** An unscaled decimal integer with `scale` digits after the point, as exact text. */
function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return portableDecimal(`${negative ? '-' : ''}${text}`);
}

/** An INTERVAL as BigQuery prints it: 'Y-M D H:M:S[.ffffff]'. */
function intervalText(months: number, days: number, nanos: bigint): string {
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;
  const micros = abs / 1000n;
  const seconds = micros / 1_000_000n;
  const fraction = micros % 1_000_000n;
  const y = Math.trunc(months / 12);
  const m = Math.abs(months % 12);
  const time = `${sign}${seconds / 3600n}:${(seconds / 60n) % 60n}:${seconds % 60n}${fraction === 0n ? '' : `.${pad(fraction, 6)}`}`;
  return `${y}-${months < 0 && y === 0 ? '-' : ''}${m} ${days} ${time}`;
}

function utf8(data: Data, index: number): string {
  const offsets = data.valueOffsets as Int32Array;
  const at = data.offset + index;
  const start = offsets[at]!;
  const values = data.values as Uint8Array;
  return Buffer.from(values.buffer, values.byteOffset + start, offsets[at + 1]! - start).toString('utf8');
}

function scalarReader(type: DataType, field: Field): Read {
  switch (type.typeId) {
    case Type.Int: {
      const wide = (type as unknown as { bitWidth: number }).bitWidth === 64;
      return (data, i) => {
        const v = (data.values as BigInt64Array | Int32Array)[data.offset + i]!;
        return wide ? portableInteger(v) : v;
      };
    }
    case Type.Float:
      return (data, i) => portableFloat((data.values as Float64Array)[data.offset + i]!);
    case Type.Decimal: {
      const { scale, bitWidth } = type as unknown as { scale: number; bitWidth: number };
      const words = bitWidth / 32;
      return (data, i) => decimalText(wideInteger(data.values as Uint32Array, (data.offset + i) * words, words), scale);
    }
    case Type.Bool:
      return (data, i) => {
        const bit = data.offset + i;
        return ((data.values as Uint8Array)[bit >> 3]! & (1 << (bit & 7))) !== 0;
      };
    case Type.Utf8:
    case Type.LargeUtf8:
      if (field.metadata.get('ARROW:extension:name') === JSON_EXTENSION)
        return (data, i) => JSON.parse(utf8(data, i)) as unknown;
      return utf8;
    case Type.Binary:
    case Type.LargeBinary:
      return (data, i) => {
        const offsets = data.valueOffsets as Int32Array;
        const at = data.offset + i;
        return portableBytes((data.values as Uint8Array).subarray(offsets[at], offsets[at + 1]));
      };
    case Type.Date:
      return (data, i) => dayText((data.values as Int32Array)[data.offset + i]!);
    case Type.Timestamp: {
      const zoned = (type as unknown as { timezone: string | null }).timezone;
      return (data, i) => {
        const text = microsText(BigInt((data.values as BigInt64Array)[data.offset + i]!));
        return zoned === null || zoned === undefined || zoned === '' ? portableDatetime(text) : portableTimestamp(text);
      };
    }
    case Type.Time:
      return (data, i) => portableTime(timeText(BigInt((data.values as BigInt64Array)[data.offset + i]!)));
    case Type.Interval:
      // month_day_nano: int32 months, int32 days, int64 nanoseconds per value.
      return (data, i) => {
        const at = (data.offset + i) * 4;
        const words = data.values as Int32Array;
        const nanos = (BigInt(words[at + 3]!) << 32n) | BigInt(words[at + 2]! >>> 0);
        return intervalText(words[at]!, words[at + 1]!, nanos);
      };
    case Type.List:
    case Type.LargeList: {
      const child = (type as unknown as { children: Field[] }).children[0]!;
      const item = nullable(scalarReader(child.type as DataType, child));
      return (data, i) => {
        const offsets = data.valueOffsets as Int32Array;
        const at = data.offset + i;
        const values = data.children[0]!;
        const list: unknown[] = [];
        for (let k = offsets[at]!; k < offsets[at + 1]!; k++) list.push(item(values, k));
        return list;
      };
    }
    case Type.Struct: {
      const fields = (type as unknown as { children: Field[] }).children;
      const readers = fields.map((f) => nullable(scalarReader(f.type as DataType, f)));
      return (data, i) => {
        const value: Record<string, unknown> = {};
        // Struct children are sliced with their parent: the logical index carries over.
        fields.forEach((f, k) => (value[f.name] = readers[k]!(data.children[k]!, i)));
        return value;
      };
    }
    default:
      throw new Error(
        `The Storage Read API answered column '${field.name}' as Arrow type ${Type[type.typeId]}, which this system does not read`,
      );
  }
}

/** A reader that gives null where the validity bitmap says so. */
function nullable(read: Read): Read {
  return (data, i) => (data.nullCount > 0 && !data.getValid(i) ? null : read(data, i));
}

/** A top-level column: a REPEATED (list) column that is null reads as [] on the REST path too. */
function columnReader(field: Field): Read {
  const type = field.type as DataType;
  const read = nullable(scalarReader(type, field));
  if (type.typeId !== Type.List) return read;
  return (data, i) => read(data, i) ?? [];
}

/**
 * A converter of record batches of one read session's schema to portable
 * rows, keys in the order of `columns` (the order the query selected;
 * the Storage Read API answers in table order).
 */
export function arrowRowReader(schema: Schema, columns?: readonly string[]): (batch: RecordBatch) => Row[] {
  const order = columns ?? schema.fields.map((f) => f.name);
  const readers = order.map((name) => {
    const index = schema.fields.findIndex((f) => f.name === name);
    if (index < 0)
      throw new Error(
        `The read session has no column '${name}' (it has ${schema.fields.map((f) => f.name).join(', ')})`,
      );
    return { name, index, read: columnReader(schema.fields[index]!) };
  });
  return (batch) => {
    const rows: Row[] = new Array<Row>(batch.numRows);
    const columns = readers.map((r) => batch.data.children[r.index]!);
    for (let i = 0; i < batch.numRows; i++) {
      const row: Row = {};
      readers.forEach((r, k) => (row[r.name] = r.read(columns[k]!, i)));
      rows[i] = row;
    }
    return rows;
  };
}
