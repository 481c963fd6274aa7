/**
 * The curl / JS SDK / Python SDK code of each request the page sends, so that what works here can be pasted into
 * a terminal or a program. Files are named, never inlined; the key is read from `$LLAMA_PAJAMAS_API_KEY`.
 */

/** The same request in three clients. */
export interface Snippet {
  curl: string;
  js: string;
  python: string;
}

/** Where the request goes and whether it needs the key. */
export interface SnippetTarget {
  origin: string;
  keyRequired: boolean;
}

const AUTH_CURL = ' -H "Authorization: Bearer $LLAMA_PAJAMAS_API_KEY"';

/** A JSON value as a Python literal (`true` → `True`, `null` → `None`). */
export function pyLiteral(value: unknown, indent = ''): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'None';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => pyLiteral(v, indent)).join(', ')}]`;
  if (typeof value === 'object' && 'py' in value && typeof value.py === 'string') return value.py;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${pyLiteral(v, indent)}`).join(', ')}}`;
}

/** A JSON value as a JavaScript literal, with `{ js }` markers left as code. */
export function jsLiteral(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `[${value.map((v) => jsLiteral(v)).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    if ('js' in value && typeof value.js === 'string') return value.js;
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{ ${entries.map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${jsLiteral(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function jsClient(t: SnippetTarget): string {
  return [
    "import OpenAI from 'openai';",
    '',
    `const client = new OpenAI({ baseURL: '${t.origin}/v1', apiKey: process.env.LLAMA_PAJAMAS_API_KEY ?? 'none' });`,
  ].join('\n');
}

/** The Python imports (os, openai, and `extra`) and the client line. */
function pyClient(t: SnippetTarget, extra: readonly string[] = []): string {
  return [
    extra.length > 0 ? `import ${['os', ...extra].join(', ')}` : 'import os',
    'from openai import OpenAI',
    '',
    `client = OpenAI(base_url="${t.origin}/v1", api_key=os.environ.get("LLAMA_PAJAMAS_API_KEY", "none"))`,
  ].join('\n');
}

/** curl with a JSON body given inline; `-N` for streams, `-o out` to save the answer. */
function curlJson(
  t: SnippetTarget,
  path: string,
  body: unknown,
  opts: { stream?: boolean; out?: string } = {},
): string {
  const head = `curl -sS --fail-with-body ${opts.stream ? '-N ' : ''}${t.origin}${path}${t.keyRequired ? AUTH_CURL : ''}`;
  const tail = opts.out ? ` -o ${shellQuote(opts.out)}` : '';
  return `${head} \\\n  -H "Content-Type: application/json" -d ${shellQuote(JSON.stringify(body))}${tail}`;
}

/**
 * `POST /v1/images/*`: the body without its images, and the image file names (one, or several for a batch).
 * The SDKs have no image-detection methods, so they use their generic `post` (`client.post` / `cast_to=httpx.Response`).
 */
export function imageSnippet(
  t: SnippetTarget,
  path: string,
  body: Record<string, unknown>,
  files: readonly string[],
): Snippet {
  const batch = files.length > 1;
  const rest = Object.entries(body).filter(([, v]) => v !== undefined);
  const jsonRest = rest.map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`).join('');
  const fmt = batch ? `[${files.map(() => '"%s"').join(',')}]` : '"%s"';
  const curl = [
    `printf '{"image":${fmt}${jsonRest.replace(/%/g, '%%').replace(/'/g, `'\\''`)}}' ${files.map((f) => `"$(base64 -w0 ${shellQuote(f)})"`).join(' ')} |`,
    `  curl -sS --fail-with-body ${t.origin}${path}${t.keyRequired ? AUTH_CURL : ''} \\`,
    `  -H "Content-Type: application/json" --data-binary @-`,
  ].join('\n');
  const jsImages = files.map((f) => ({ js: `fs.readFileSync(${JSON.stringify(f)}).toString('base64')` }));
  const jsBody = { image: batch ? jsImages : jsImages[0], ...Object.fromEntries(rest) };
  const js = [
    "import fs from 'node:fs';",
    jsClient(t),
    `const result = await client.post('${path.replace(/^\/v1/, '')}', { body: ${jsLiteral(jsBody)} });`,
    'console.log(JSON.stringify(result, null, 2));',
  ].join('\n');
  const pyImages = files.map((f) => ({ py: `b64(${JSON.stringify(f)})` }));
  const pyBody = { image: batch ? pyImages : pyImages[0], ...Object.fromEntries(rest) };
  const python = [
    pyClient(t, ['base64', 'httpx']),
    'b64 = lambda path: base64.b64encode(open(path, "rb").read()).decode()',
    `result = client.post("${path.replace(/^\/v1/, '')}", cast_to=httpx.Response, body=${pyLiteral(pyBody)}).json()`,
    'print(result)',
  ].join('\n');
  return { curl, js, python };
}

/** `POST /v1/embeddings` (text). */
export function embeddingsSnippet(t: SnippetTarget, model: string, input: readonly string[]): Snippet {
  const body = { model, input };
  return {
    curl: curlJson(t, '/v1/embeddings', body),
    js: [
      jsClient(t),
      `const { data } = await client.embeddings.create(${jsLiteral({ ...body, encoding_format: 'float' })});`,
      'console.log(data.map((d) => d.embedding.length));',
    ].join('\n'),
    python: [
      pyClient(t),
      `data = client.embeddings.create(model=${pyLiteral(model)}, input=${pyLiteral(input)}).data`,
      'print([len(d.embedding) for d in data])',
    ].join('\n'),
  };
}

/** `POST /v1/audio/transcriptions` (multipart) with the file's name and the other fields. */
export function transcriptionSnippet(t: SnippetTarget, file: string, fields: Record<string, string>): Snippet {
  const stream = fields.stream === 'true';
  const form = Object.entries(fields)
    .map(([k, v]) => ` -F ${shellQuote(`${k}=${v}`)}`)
    .join('');
  const args = Object.entries(fields)
    .filter(([k]) => k !== 'stream' && !k.startsWith('timestamp_granularities'))
    .map(([k, v]) => [k, k === 'temperature' ? Number(v) : v] as const);
  const granularities = fields['timestamp_granularities[]'];
  const jsArgs: Record<string, unknown> = {
    file: { js: `fs.createReadStream(${JSON.stringify(file)})` },
    ...Object.fromEntries(args),
  };
  if (granularities) jsArgs.timestamp_granularities = [granularities];
  if (stream) jsArgs.stream = true;
  const pyArgs = args.map(([k, v]) => `, ${k}=${pyLiteral(v)}`).join('');
  return {
    curl: `curl -sS --fail-with-body ${stream ? '-N ' : ''}${t.origin}/v1/audio/transcriptions${t.keyRequired ? AUTH_CURL : ''} \\\n  -F file=@${shellQuote(file)}${form}`,
    js: [
      "import fs from 'node:fs';",
      jsClient(t),
      `const result = await client.audio.transcriptions.create(${jsLiteral(jsArgs)});`,
      stream
        ? "for await (const event of result) if (event.type === 'transcript.text.delta') process.stdout.write(event.delta);"
        : 'console.log(result);',
    ].join('\n'),
    python: [
      pyClient(t),
      `with open(${pyLiteral(file)}, "rb") as f:`,
      `    result = client.audio.transcriptions.create(file=f${pyArgs}${granularities ? `, timestamp_granularities=[${pyLiteral(granularities)}]` : ''}${stream ? ', stream=True' : ''})`,
      stream
        ? '    for event in result:\n        if event.type == "transcript.text.delta":\n            print(event.delta, end="", flush=True)'
        : '    print(result)',
    ].join('\n'),
  };
}

/** `POST /v1/audio/speech`, saved to `out`. */
export function speechSnippet(t: SnippetTarget, body: Record<string, unknown>, out: string): Snippet {
  const clean = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
  const { stream_format: _stream, ...sdkBody } = clean;
  return {
    curl: curlJson(t, '/v1/audio/speech', clean, { out }),
    js: [
      "import fs from 'node:fs';",
      jsClient(t),
      `const speech = await client.audio.speech.create(${jsLiteral(sdkBody)});`,
      `fs.writeFileSync(${JSON.stringify(out)}, Buffer.from(await speech.arrayBuffer()));`,
    ].join('\n'),
    python: [
      pyClient(t),
      `with client.audio.speech.with_streaming_response.create(${Object.entries(sdkBody)
        .map(([k, v]) => `${k}=${pyLiteral(v)}`)
        .join(', ')}) as response:`,
      `    response.stream_to_file(${pyLiteral(out)})`,
    ].join('\n'),
  };
}

/** `POST /v1/chat/completions` with streaming. */
export function chatSnippet(
  t: SnippetTarget,
  model: string,
  messages: readonly { role: string; content: string }[],
): Snippet {
  const body = { model, messages, stream: true };
  return {
    curl: curlJson(t, '/v1/chat/completions', body, { stream: true }),
    js: [
      jsClient(t),
      `const stream = await client.chat.completions.create(${jsLiteral(body)});`,
      "for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? '');",
    ].join('\n'),
    python: [
      pyClient(t),
      `stream = client.chat.completions.create(model=${pyLiteral(model)}, messages=${pyLiteral(messages)}, stream=True)`,
      'for chunk in stream:',
      '    print(chunk.choices[0].delta.content or "", end="", flush=True)',
    ].join('\n'),
  };
}
