// Every problem code of the contract (the code table of the Problem schema in
// http/openapi.json) has plain words in the pages (web/api.js), so no buyer
// ever reads a bare code; and the words hold no code (no snake_case).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);
const openapi = JSON.parse(readFileSync(new URL('http/openapi.json', root), 'utf8'));
const table = openapi.components.schemas.Problem.properties.code.description;
const codes = [...table.matchAll(/^\| `([a-z_]+)` \| \d{3} \|/gm)].map((m) => m[1]);
const source = readFileSync(new URL('web/api.js', root), 'utf8');
const words = Object.fromEntries(
  [
    ...source
      .slice(source.indexOf('const words = {'), source.indexOf('};', source.indexOf('const words = {')))
      .matchAll(/^ {2}([a-z_]+): '([^']+)',$/gm),
  ].map((m) => [m[1], m[2]]),
);

test('every problem code of the API has plain words in the pages', () => {
  assert.ok(codes.length >= 40, `read ${codes.length} codes from the OpenAPI table`);
  assert.deepEqual(
    codes.filter((c) => !(c in words)),
    [],
  );
  for (const [code, text] of Object.entries(words)) assert.ok(!text.includes('_'), `${code}: ${text}`);
});
