import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { browserSuite } from '../support/harness.js';
import { waitRouted } from '../support/http-cache.js';
import { appResult } from '../support/page-log.js';

/**
 * Module graphs that do not run in the page: a module SharedWorker and an AudioWorklet, each
 * importing a module of its own, under the default store. Both must load right on the first
 * visit (through the worker and the relay) and after the switch to the routed version.
 * (Chromium 156 shows neither graph's requests in a Resource Timing a test can read, so which
 * route served them is not asserted here.)
 */
const FILES: Record<string, string> = {
  'app.mjs': `
const shared = new SharedWorker(new URL('./shared/main.mjs', import.meta.url), { type: 'module', name: String(Math.random()) });
shared.port.start();
const fromShared = await new Promise((resolve) => { shared.port.onmessage = (event) => resolve(event.data); });
const audio = new OfflineAudioContext(1, 128, 44100);
await audio.audioWorklet.addModule(new URL('./worklet/processor.mjs', import.meta.url));
const node = new AudioWorkletNode(audio, 'modrelay-test');
const fromWorklet = await new Promise((resolve) => { node.port.onmessage = (event) => resolve(event.data); });
window.__result = { shared: fromShared, worklet: fromWorklet };
`,
  'shared/main.mjs': `import { value } from './dep.mjs';
onconnect = (event) => event.ports[0].postMessage(value);
`,
  'shared/dep.mjs': "export const value = 'shared-v1';\n",
  'worklet/processor.mjs': `import { value } from './dep.mjs';
registerProcessor('modrelay-test', class extends AudioWorkletProcessor {
  constructor() { super(); this.port.postMessage(value); }
  process() { return false; }
});
`,
  'worklet/dep.mjs': "export const value = 'worklet-v1';\n",
};

interface Result { shared: string; worklet: string }

const h = browserSuite();

const result = (page: Page) => appResult<Result>(page);

describe('SharedWorker and AudioWorklet graphs under the default store', () => {
  test('both load right on the first visit and from the routed version', async () => {
    const site = await h.site(FILES);
    const server = await h.serve(site.root);
    const { page } = await h.page();
    await page.goto(server.url);
    expect(await result(page)).toEqual({ shared: 'shared-v1', worklet: 'worklet-v1' });
    await waitRouted(page);
    await page.reload();
    expect(await result(page)).toEqual({ shared: 'shared-v1', worklet: 'worklet-v1' });
  });
});
