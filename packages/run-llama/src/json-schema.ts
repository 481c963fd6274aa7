import { SchemaUnsupportedError, type JsonSchema } from '@llama-pajamas/run-core';
import type { GbnfJsonSchema } from 'node-llama-cpp';

/** Keywords that only annotate a schema; they are accepted and ignored (`description` is kept). */
const ANNOTATIONS = new Set([
  'title',
  '$schema',
  '$id',
  '$comment',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
]);

/** Keywords a GBNF grammar built by node-llama-cpp cannot enforce, with what to do instead. */
export const UNSUPPORTED_SCHEMA_KEYWORDS: Readonly<Record<string, string>> = {
  pattern: 'Regular expressions are not supported; use enum or const for fixed strings.',
  patternProperties: 'Use properties, or additionalProperties with one schema.',
  propertyNames: 'Use properties, or additionalProperties with one schema.',
  minimum: 'Numeric ranges are not enforced; use enum for a fixed set of numbers.',
  maximum: 'Numeric ranges are not enforced; use enum for a fixed set of numbers.',
  exclusiveMinimum: 'Numeric ranges are not enforced; use enum for a fixed set of numbers.',
  exclusiveMaximum: 'Numeric ranges are not enforced; use enum for a fixed set of numbers.',
  multipleOf: 'Numeric ranges are not enforced; use enum for a fixed set of numbers.',
  allOf: 'Merge the schemas into one object schema.',
  not: 'Negation is not supported.',
  if: 'Conditional schemas are not supported; use anyOf.',
  then: 'Conditional schemas are not supported; use anyOf.',
  else: 'Conditional schemas are not supported; use anyOf.',
  dependentRequired: 'Conditional schemas are not supported; use anyOf.',
  dependentSchemas: 'Conditional schemas are not supported; use anyOf.',
  uniqueItems: 'Unique items are not enforced.',
  contains: 'Use items or prefixItems.',
  minContains: 'Use items or prefixItems.',
  maxContains: 'Use items or prefixItems.',
  unevaluatedProperties: 'Use additionalProperties.',
  unevaluatedItems: 'Use items.',
  contentEncoding: 'Use a plain string.',
  contentMediaType: 'Use a plain string.',
};

const TYPE_KEYWORDS: Readonly<Record<string, ReadonlySet<string>>> = {
  string: new Set(['minLength', 'maxLength', 'format']),
  object: new Set(['properties', 'required', 'additionalProperties', 'minProperties', 'maxProperties']),
  array: new Set(['items', 'prefixItems', 'minItems', 'maxItems']),
  number: new Set(),
  integer: new Set(),
  boolean: new Set(),
  null: new Set(),
};
const STRING_FORMATS = new Set(['date-time', 'date', 'time']);

type Mutable = Record<string, unknown>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Converter {
  readonly defs: Record<string, GbnfJsonSchema> = {};
  constructor(
    private readonly param: string,
    private readonly rawDefs: Record<string, unknown>,
  ) {}

  fail(path: string, keyword: string, hint?: string): never {
    throw new SchemaUnsupportedError({ path, keyword, param: this.param, ...(hint === undefined ? {} : { hint }) });
  }

  /** Any JSON value (the empty schema `{}`). */
  any(description?: unknown): GbnfJsonSchema {
    const d = typeof description === 'string' ? { description } : {};
    return {
      oneOf: [
        { type: ['string', 'number', 'boolean', 'null'] },
        { type: 'object', additionalProperties: true },
        { type: 'array' },
      ],
      ...d,
    } as GbnfJsonSchema;
  }

  convert(node: unknown, path: string): GbnfJsonSchema {
    if (node === true) return this.any();
    if (!isRecord(node)) this.fail(path, typeof node === 'boolean' ? 'false' : 'a non-object schema');
    const out: Mutable = {};
    if (typeof node.description === 'string') out.description = node.description;
    const keys = Object.keys(node).filter((k) => !ANNOTATIONS.has(k) && k !== 'description' && k !== '$defs');
    for (const k of keys) {
      const hint = UNSUPPORTED_SCHEMA_KEYWORDS[k];
      if (hint !== undefined) this.fail(`${path}/${k}`, k, hint);
    }
    if ('definitions' in node) this.fail(`${path}/definitions`, 'definitions', "Put shared schemas in '$defs'.");
    if ('$ref' in node) {
      const ref = node.$ref;
      const m = typeof ref === 'string' ? /^#\/\$defs\/([^/]+)$/.exec(ref) : null;
      if (!m?.[1] || !(m[1] in this.rawDefs)) {
        this.fail(
          `${path}/$ref`,
          `$ref ${String(ref)}`,
          "Only local references '#/$defs/<name>' to a defined name are supported.",
        );
      }
      if (keys.length > 1) this.fail(path, '$ref with other keywords');
      if (!(m[1] in this.defs)) {
        this.defs[m[1]] = this.any(); // placeholder first: recursive references terminate
        this.defs[m[1]] = this.convert(this.rawDefs[m[1]], `#/$defs/${m[1]}`);
      }
      return { ...out, $ref: `#/$defs/${m[1]}` } as GbnfJsonSchema;
    }
    for (const union of ['anyOf', 'oneOf'] as const) {
      if (union in node) {
        const list = node[union];
        if (!Array.isArray(list) || list.length === 0)
          this.fail(`${path}/${union}`, `${union} (not a non-empty array)`);
        if (keys.length > 1)
          this.fail(path, `${union} with other keywords`, `Move the other keywords into each ${union} branch.`);
        return { ...out, oneOf: list.map((s, i) => this.convert(s, `${path}/${union}/${i}`)) } as GbnfJsonSchema;
      }
    }
    if ('const' in node) {
      if (!['string', 'number', 'boolean'].includes(typeof node.const) && node.const !== null) {
        this.fail(
          `${path}/const`,
          'const (object or array)',
          'Only string, number, boolean and null constants are supported.',
        );
      }
      return { ...out, const: node.const } as GbnfJsonSchema;
    }
    if ('enum' in node) {
      const values = node.enum;
      if (!Array.isArray(values) || values.length === 0) this.fail(`${path}/enum`, 'enum (not a non-empty array)');
      for (const v of values) {
        if (v !== null && !['string', 'number', 'boolean'].includes(typeof v)) {
          this.fail(
            `${path}/enum`,
            'enum (object or array member)',
            'Only string, number, boolean and null members are supported.',
          );
        }
      }
      return { ...out, enum: values } as GbnfJsonSchema;
    }
    const type = node.type;
    if (type === undefined) {
      const rest = keys.filter((k) => k !== 'type');
      if (rest.length > 0) this.fail(`${path}/${rest[0]}`, `${rest[0]} without type`, 'Say the type of the value.');
      return this.any(node.description);
    }
    const types: unknown[] = Array.isArray(type) ? (type as unknown[]) : [type];
    if (types.length === 0) this.fail(`${path}/type`, 'type (empty)');
    for (const t of types)
      if (typeof t !== 'string' || !(t in TYPE_KEYWORDS)) this.fail(`${path}/type`, `type ${String(t)}`);
    const allowed = new Set(['type', ...types.flatMap((t) => [...(TYPE_KEYWORDS[t as string] ?? [])])]);
    for (const k of keys)
      if (!allowed.has(k)) this.fail(`${path}/${k}`, k, `'${k}' does not apply to type ${types.join('|')}.`);
    if (types.length > 1) {
      const simple = types.filter((t) => t !== 'object' && t !== 'array' && t !== 'string');
      const complex = types.filter((t) => t === 'object' || t === 'array' || t === 'string');
      const branches: GbnfJsonSchema[] = [];
      if (simple.length > 0) branches.push({ type: simple } as GbnfJsonSchema);
      for (const t of complex) branches.push(this.convert({ ...node, type: t, description: undefined }, path));
      return (branches.length === 1 ? { ...branches[0], ...out } : { ...out, oneOf: branches }) as GbnfJsonSchema;
    }
    const t = types[0] as string;
    out.type = t;
    if (t === 'string') {
      if (node.format !== undefined) {
        if (typeof node.format !== 'string' || !STRING_FORMATS.has(node.format)) {
          this.fail(
            `${path}/format`,
            `format ${JSON.stringify(node.format)}`,
            'Supported formats: date-time, date, time.',
          );
        }
        if (node.minLength !== undefined || node.maxLength !== undefined)
          this.fail(path, 'format with minLength/maxLength');
        out.format = node.format;
      }
      for (const k of ['minLength', 'maxLength'] as const) {
        if (node[k] !== undefined) {
          if (!Number.isInteger(node[k]) || (node[k] as number) < 0)
            this.fail(`${path}/${k}`, `${k} (not a non-negative integer)`);
          out[k] = node[k];
        }
      }
    } else if (t === 'object') {
      const props = node.properties;
      if (props !== undefined && !isRecord(props)) this.fail(`${path}/properties`, 'properties (not an object)');
      if (props) {
        const converted: Record<string, GbnfJsonSchema> = {};
        for (const [k, v] of Object.entries(props)) converted[k] = this.convert(v, `${path}/properties/${k}`);
        out.properties = converted;
      }
      if (node.required !== undefined) {
        const req = node.required;
        if (!Array.isArray(req) || req.some((r) => typeof r !== 'string' || !(props && r in props))) {
          this.fail(
            `${path}/required`,
            'required (names that are not in properties)',
            'List only names defined in properties.',
          );
        }
        out.required = req;
      }
      const extra = node.additionalProperties;
      if (extra !== undefined)
        out.additionalProperties =
          typeof extra === 'boolean' ? extra : this.convert(extra, `${path}/additionalProperties`);
      else if (!props) out.additionalProperties = true;
      for (const k of ['minProperties', 'maxProperties'] as const) {
        if (node[k] !== undefined) {
          if (!Number.isInteger(node[k]) || (node[k] as number) < 0)
            this.fail(`${path}/${k}`, `${k} (not a non-negative integer)`);
          out[k] = node[k];
        }
      }
    } else if (t === 'array') {
      if (node.items !== undefined) {
        if (node.items === false) out.items = undefined;
        else out.items = this.convert(node.items, `${path}/items`);
      }
      if (node.prefixItems !== undefined) {
        if (!Array.isArray(node.prefixItems)) this.fail(`${path}/prefixItems`, 'prefixItems (not an array)');
        out.prefixItems = node.prefixItems.map((s, i) => this.convert(s, `${path}/prefixItems/${i}`));
      }
      for (const k of ['minItems', 'maxItems'] as const) {
        if (node[k] !== undefined) {
          if (!Number.isInteger(node[k]) || (node[k] as number) < 0)
            this.fail(`${path}/${k}`, `${k} (not a non-negative integer)`);
          out[k] = node[k];
        }
      }
    }
    return out as GbnfJsonSchema;
  }
}

/**
 * Checks a caller's JSON Schema and turns it into the schema node-llama-cpp builds a grammar from; throws
 * {@link SchemaUnsupportedError} naming the first keyword the grammar cannot enforce.
 */
export function toGrammarSchema(schema: JsonSchema, param: string): GbnfJsonSchema {
  if (!isRecord(schema)) throw new SchemaUnsupportedError({ path: '#', keyword: 'a non-object schema', param });
  const rawDefs = schema.$defs;
  if (rawDefs !== undefined && !isRecord(rawDefs)) {
    throw new SchemaUnsupportedError({ path: '#/$defs', keyword: '$defs (not an object)', param });
  }
  const c = new Converter(param, rawDefs ?? {});
  const root = c.convert(schema, '#') as Mutable;
  if (Object.keys(c.defs).length === 0) return root as GbnfJsonSchema;
  if (
    '$ref' in root ||
    !('type' in root || 'oneOf' in root) ||
    ['string', 'number', 'integer', 'boolean', 'null'].includes(root.type as string)
  ) {
    // Only object, array and oneOf nodes carry $defs in node-llama-cpp: wrap the root in a one-branch oneOf.
    return { oneOf: [root], $defs: c.defs } as unknown as GbnfJsonSchema;
  }
  return { ...root, $defs: c.defs } as GbnfJsonSchema;
}
