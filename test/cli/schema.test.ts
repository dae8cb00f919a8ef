import Ajv2020 from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { serializeGraph } from '../../src/graph';
import { paramsOf, template, templateNames } from '../helpers/docs';

async function schemaText() {
  const out: string[] = [];
  const code = await main(['schema'], { out: (l) => out.push(l), err: (l) => out.push(l) });
  expect(code).toBe(0);
  return out.join('\n');
}

describe('siamese-studio schema', () => {
  it('matches docs/graph.schema.json (regenerate with `npx siamese-studio schema > docs/graph.schema.json`)', async () => {
    expect(`${await schemaText()}\n`).toBe(readFileSync(new URL('../../docs/graph.schema.json', import.meta.url), 'utf8'));
  });

  it('accepts every template and rejects a bad param', async () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const check = ajv.compile(JSON.parse(await schemaText()));
    // The schema is the current format's: a template stored in an older one is checked as the app reads it (migrated).
    for (const name of templateNames) {
      expect(check(JSON.parse(serializeGraph(template(name)))), JSON.stringify(check.errors)).toBe(true);
    }
    const doc = template('byol');
    paramsOf(doc, 'ema_enc').tauBase = 1.5;
    expect(check(JSON.parse(JSON.stringify(doc)))).toBe(false);
    const unknown = template('byol');
    unknown.nodes[0].type = 'mystery';
    expect(check(JSON.parse(JSON.stringify(unknown)))).toBe(false);
  });
});
