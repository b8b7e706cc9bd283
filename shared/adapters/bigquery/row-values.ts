import {
  portableBytes,
  portableDatetime,
  portableDecimal,
  portableFloat,
  portableInteger,
  portableTime,
  portableTimestamp,
} from '../../warehouse/values.ts';

/** A field of a query result's schema (TableFieldSchema), as the REST API answers it. */
export interface ResultField {
  name: string;
  type: string;
  mode?: string;
  fields?: ResultField[];
  rangeElementType?: { type: string };
}

type Convert = (value: unknown) => unknown;

/** The `.value` the client's wrapper classes (BigQueryDate, BigQueryInt, Geography...) carry. */
const inner = (value: unknown): string => String((value as { value: unknown }).value);

/**
 * The conversion of one field's values from what the client decodes
 * (getQueryResults with wrapIntegers and parseJSON) to portable values:
 * BigQueryInt, BigQueryDate/Datetime/Time/Timestamp, Big, Buffer,
 * Geography and BigQueryRange become plain values, recursively through
 * ARRAYs and STRUCTs. null when the client's value is already portable.
 */
function scalarConverter(field: ResultField): Convert | null {
  switch (field.type) {
    case 'INTEGER':
    case 'INT64':
      return (v) => portableInteger(typeof v === 'object' ? inner(v) : (v as number | string));
    case 'FLOAT':
    case 'FLOAT64':
      return (v) => portableFloat(v as number);
    case 'NUMERIC':
    case 'BIGNUMERIC':
      // The client gives a Big built from the exact text; toFixed() prints it without an exponent.
      return (v) => portableDecimal((v as { toFixed(): string }).toFixed());
    case 'BYTES':
      return (v) => portableBytes(v as Buffer);
    case 'DATE':
    case 'GEOGRAPHY':
      return inner;
    case 'DATETIME':
      return (v) => portableDatetime(inner(v));
    case 'TIME':
      return (v) => portableTime(inner(v));
    case 'TIMESTAMP':
      return (v) => portableTimestamp(inner(v));
    case 'RANGE': {
      const bound = scalarConverter({ name: 'bound', type: field.rangeElementType?.type ?? 'DATE' }) ?? inner;
      return (v) => {
        const { start, end } = v as { start?: unknown; end?: unknown };
        return { start: start == null ? null : bound(start), end: end == null ? null : bound(end) };
      };
    }
    case 'RECORD':
    case 'STRUCT': {
      const convert = rowConverter(field.fields ?? []);
      return (v) => convert({ ...(v as Record<string, unknown>) });
    }
    default:
      // STRING, BOOLEAN, JSON (parsed by the client), INTERVAL (text).
      return null;
  }
}

function fieldConverter(field: ResultField): Convert | null {
  const scalar = scalarConverter(field);
  if (field.mode === 'REPEATED') {
    if (scalar === null) return null;
    return (v) => (v as unknown[]).map((item) => (item === null ? null : scalar(item)));
  }
  return scalar === null ? null : (v) => (v === null || v === undefined ? null : scalar(v));
}

/** Converts a decoded row in place, field by field, driven by the result schema. */
export function rowConverter(
  fields: readonly ResultField[],
): (row: Record<string, unknown>) => Record<string, unknown> {
  const converters = fields
    .map((field) => [field.name, fieldConverter(field)] as const)
    .filter((entry): entry is readonly [string, Convert] => entry[1] !== null);
  return (row) => {
    for (const [name, convert] of converters) row[name] = convert(row[name]);
    return row;
  };
}
