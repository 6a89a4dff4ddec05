// The pages' budget: every file of web/ together is at most 200 KB gzipped,
// and none is fetched from another origin (the CSP would refuse it anyway).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const dir = new URL('../../web/', import.meta.url);

test('the page assets are at most 200 KB gzipped and load nothing from elsewhere', () => {
  const files = readdirSync(dir);
  const sizes = files.map((f) => gzipSync(readFileSync(new URL(f, dir)), { level: 9 }).length);
  const total = sizes.reduce((a, b) => a + b, 0);
  console.log(`# web/: ${files.length} files, ${total} bytes gzipped`);
  assert.ok(total <= 200 * 1024, `${total} bytes`);
  for (const f of files)
    assert.doesNotMatch(readFileSync(new URL(f, dir), 'utf8'), /(src|href)="(https?:)?\/\//, f);
});
