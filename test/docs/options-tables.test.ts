import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_OPTION_DOCS, CLIENT_OPTIONS } from '../../protocol/client-options.js';
import { SERVER_OPTIONS, type ServerOptionDeclaration } from '../../server/config/declarations.js';
import { RELAY_DEFAULTS, SERVE_DEFAULTS } from '../../server/config/options.js';

/**
 * The options tables of docs/integration.md are the options' declarations, rendered: one for
 * `registerModuleRelay()` (protocol/client-options.ts) and one for `serve`, `relay` and the
 * config file (server/config/declarations.ts). An option added, renamed or given another
 * default without the docs following fails here, with the table to paste.
 */
const DOC = new URL('../../docs/integration.md', import.meta.url);

function block(name: string): string {
  const text = readFileSync(DOC, 'utf8');
  const match = new RegExp(`<!-- options:${name} -->\\n([\\s\\S]*?)<!-- /options:${name} -->`).exec(text);
  if (!match) throw new Error(`docs/integration.md has no <!-- options:${name} --> block`);
  return match[1]!;
}

const clientTable = () => [
  '| option | default | meaning |',
  '| --- | --- | --- |',
  ...Object.entries(CLIENT_OPTION_DOCS).map(([name, d]) => `| \`${name}\` | ${d.shown} | ${d.doc} |`),
  '',
].join('\n');

const serverTable = () => [
  '| option | flag | default | meaning |',
  '| --- | --- | --- | --- |',
  ...Object.entries<ServerOptionDeclaration>(SERVER_OPTIONS).map(([name, d]) => `| \`${name}\` | ${d.flag ? `\`${d.flag}\`` : '—'} | ${d.shown} | ${d.doc} |`),
  '',
].join('\n');

describe('options tables in docs/integration.md', () => {
  it('registerModuleRelay(): one row per declared option, as declared', () => {
    expect(Object.keys(CLIENT_OPTION_DOCS)).toEqual(Object.keys(CLIENT_OPTIONS));
    expect(block('client'), `render:\n${clientTable()}`).toBe(clientTable());
  });

  it('serve, relay and the config file: one row per declared option, as declared', () => {
    expect(block('server'), `render:\n${serverTable()}`).toBe(serverTable());
  });

  it('each server option\'s shown default is the value the API fills in', () => {
    const wrong: string[] = [];
    const defaults: Record<string, unknown> = { ...RELAY_DEFAULTS, relayPort: SERVE_DEFAULTS.relayPort };
    for (const [name, d] of Object.entries<ServerOptionDeclaration>(SERVER_OPTIONS)) {
      const value = defaults[name];
      const expected = Array.isArray(value) ? value.map((v) => `\`${v}\``).join(' ') : typeof value === 'string' ? `'${value}'` : value;
      if (value === undefined || (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && !Array.isArray(value))) continue;
      if (name === 'assets') continue; // shown as the flag's word
      if (!d.shown.includes(String(expected))) wrong.push(`${name}: shown ${d.shown}, default ${String(expected)}`);
    }
    expect(SERVER_OPTIONS.port.shown).toContain(String(SERVE_DEFAULTS.port));
    expect(wrong).toEqual([]);
  });
});
