import type { Command } from 'commander';
import {
  CATALOG,
  findCatalogEntry,
  listModels,
  modelInfo,
  removeModel,
  resolveHubConfig,
  type ModelInfo,
} from '@llama-pajamas/models';
import { EXIT_CODES_HELP, formatBytes, withExitCodes } from '../exit-codes.js';

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}

function revisions(m: ModelInfo): string {
  const refs = Object.entries(m.refs).map(([ref, commit]) => `${ref}=${commit.slice(0, 7)}`);
  const detached = m.snapshots.map((s) => s.commit).filter((c) => !Object.values(m.refs).includes(c));
  return [...refs, ...detached.map((c) => c.slice(0, 7))].join(',') || '-';
}

/** Registers `llama-pajamas models list | info | rm`. */
export function registerModelsCommand(program: Command): void {
  const models = program
    .command('models')
    .description('Models in the Hugging Face cache (HF_HUB_CACHE / HF_HOME/hub) and the catalog of named models.')
    .addHelpText(
      'after',
      `
Examples:
  llama-pajamas models list             # what is cached: size, revision, tasks, license
  llama-pajamas models list --catalog   # the named models \`pull\` knows, and which are cached
  llama-pajamas models info whisper-tiny.en
  llama-pajamas models rm Xenova/whisper-tiny.en${EXIT_CODES_HELP}`,
    );

  const list = models
    .command('list')
    .alias('ls')
    .description('List cached models (with --catalog: the catalog)')
    .option('--catalog', 'list the catalog of named models instead')
    .option('--json', 'print JSON');
  list.action(
    withExitCodes(list, async (flags: { catalog?: boolean; json?: boolean }) => {
      const hub = resolveHubConfig(process.env);
      const cached = await listModels(hub);
      if (flags.catalog) {
        const rows = CATALOG.map((e) => {
          const have = cached.find((m) => m.repo === e.repo || m.source?.name === e.name);
          return { ...e, cached: have !== undefined, cachedAs: have?.repo };
        });
        if (flags.json) return out(JSON.stringify(rows, null, 2));
        table([
          ['NAME', 'TASK', 'DEFAULT', 'REPO', 'DTYPES', 'SIZE', 'LICENSE', 'VERIFIED', 'CACHED'],
          ...rows.map((e) => [
            e.name,
            e.task,
            e.isDefault ? 'yes' : '',
            `${e.repo}@${e.revision.slice(0, 12)}`,
            Object.keys(e.dtypes).join(','),
            formatBytes(e.dtypes[e.defaultDtype]?.approxBytes ?? 0),
            `${e.license}${e.commercialUse ? '' : ' (not commercial)'}`,
            e.verified ? 'yes' : 'no',
            e.cached ? 'yes' : '',
          ]),
        ]);
        return;
      }
      if (flags.json) return out(JSON.stringify(cached, null, 2));
      if (cached.length === 0) {
        out(
          `No models in ${hub.cacheDir}. Try \`llama-pajamas pull whisper-tiny.en\` (see \`models list --catalog\`).`,
        );
        return;
      }
      table([
        ['REPO', 'NAMES', 'TASKS', 'SIZE', 'REVISIONS', 'LICENSE'],
        ...cached.map((m) => [
          m.repo,
          m.names.join(',') || '-',
          m.tasks.join(',') || '-',
          formatBytes(m.size),
          revisions(m),
          m.license ?? '-',
        ]),
      ]);
    }),
  );

  const info = models
    .command('info')
    .argument('<model>', 'repo id (org/name), catalog name or local model name')
    .description('Show one cached model: size, revisions, files, tasks, license, source')
    .option('--json', 'print JSON');
  info.action(
    withExitCodes(info, async (name: string, flags: { json?: boolean }) => {
      const hub = resolveHubConfig(process.env);
      const m = await modelInfo(name, hub);
      const entry = findCatalogEntry(name) ?? CATALOG.find((e) => e.repo === m.repo);
      if (flags.json) return out(JSON.stringify({ ...m, catalog: entry }, null, 2));
      out(`repo:      ${m.repo}`);
      out(`path:      ${m.path}`);
      out(`size:      ${formatBytes(m.size)}`);
      out(`revisions: ${revisions(m)}`);
      out(`tasks:     ${m.tasks.join(', ') || '-'}`);
      out(`license:   ${m.license ?? 'unknown'}`);
      if (entry) {
        out(`catalog:   ${entry.name} (${entry.family}, ${entry.description})`);
        out(`verified:  ${entry.verified ? 'yes' : 'no'} — ${entry.evidence}`);
        if (entry.licenseNote) out(`note:      ${entry.licenseNote}`);
      }
      if (m.source)
        out(
          `source:    ${m.source.source.kind} ${m.source.source.origin}${m.source.source.note ? ` — ${m.source.source.note}` : ''}`,
        );
      for (const s of m.snapshots) {
        out(`snapshot ${s.commit}:`);
        for (const f of s.files) out(`  ${f}`);
      }
    }),
  );

  const rm = models
    .command('rm')
    .alias('remove')
    .argument('<model>', 'repo id (org/name), catalog name or local model name')
    .description('Remove a model from the cache (all its revisions)');
  rm.action(
    withExitCodes(rm, async (name: string) => {
      const hub = resolveHubConfig(process.env);
      const before = await listModels(hub);
      const removed = await removeModel(name, hub);
      const freed = before.filter((m) => removed.includes(m.repo)).reduce((n, m) => n + m.size, 0);
      out(`removed ${removed.join(', ')} (${formatBytes(freed)} freed)`);
    }),
  );
}
