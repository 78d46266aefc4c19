// End-to-end test: the official `openai` npm package talks to Sluice with nothing changed but its
// baseURL (see harness.mjs). Run with `bash test/sdk/node/run.sh` (or `node --test` in this
// folder after `npm ci`).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import OpenAI, { toFile } from 'openai';

import { SUITE_TIMEOUT_MS, startSluice } from './harness.mjs';

// The demo provider is deterministic: the same messages always produce the same reply.
const MESSAGES = [
  { role: 'system', content: 'You are a test.' },
  { role: 'user', content: 'Say something about sluices.' },
];

let sluice; // the running sluice process
let client;

describe('openai npm package against sluice serve --demo', { timeout: SUITE_TIMEOUT_MS }, () => {
  before(async () => {
    sluice = await startSluice();
    client = new OpenAI({ baseURL: `http://${sluice.addr}/v1`, apiKey: 'sk-test', maxRetries: 0 });
  });

  after(async () => {
    await sluice?.stop();
  });

  test('chat completion: content, finish_reason, usage and sluice headers', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: MESSAGES })
      .withResponse();

    assert.equal(data.object, 'chat.completion');
    assert.equal(data.choices.length, 1);
    const [choice] = data.choices;
    assert.equal(typeof choice.message.content, 'string');
    assert.ok(choice.message.content.length > 0, 'message.content is empty');
    assert.equal(choice.finish_reason, 'stop');
    assert.ok(data.usage, 'usage missing');
    assert.equal(data.usage.completion_tokens, 16);
    assert.ok(data.usage.prompt_tokens > 0, `prompt_tokens = ${data.usage.prompt_tokens}`);
    assert.equal(data.usage.total_tokens, data.usage.prompt_tokens + data.usage.completion_tokens);
    assert.equal(response.headers.get('x-sluice-provider'), 'demo');

    // asResponse() hands back the raw fetch Response, unparsed.
    const raw = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: MESSAGES })
      .asResponse();
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get('x-sluice-provider'), 'demo');
    const body = await raw.json();
    assert.equal(body.choices[0].message.content, choice.message.content);
  });

  test('streaming with include_usage: deltas match the non-streamed reply, one usage chunk', async () => {
    const whole = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });

    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish = null;
    const usageChunks = [];
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      for (const c of chunk.choices) {
        text += c.delta?.content ?? '';
        if (c.finish_reason) finish = c.finish_reason;
      }
      if (chunk.usage) usageChunks.push(chunk);
    }

    assert.equal(text, whole.choices[0].message.content);
    assert.equal(finish, 'stop');
    assert.equal(usageChunks.length, 1, 'want exactly one chunk carrying usage');
    const [last] = usageChunks;
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage.completion_tokens, 16);
    assert.equal(last.usage.prompt_tokens, whole.usage.prompt_tokens);
    assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + last.usage.completion_tokens);
  });

  test('streaming without include_usage: no chunk carries usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: MESSAGES,
      stream: true,
    });
    let chunks = 0;
    let text = '';
    for await (const chunk of stream) {
      chunks++;
      assert.equal(chunk.usage ?? null, null, `chunk ${chunks} has usage ${JSON.stringify(chunk.usage)}`);
      for (const c of chunk.choices) text += c.delta?.content ?? '';
    }
    assert.ok(chunks > 0, 'stream had no chunks');
    assert.ok(text.length > 0, 'stream had no content');
  });

  test('embeddings: the default base64 encoding decodes to the same vectors as float', async () => {
    const req = { model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 8 };

    const b64 = await client.embeddings.create(req); // the SDK asks for base64 and decodes it
    const flt = await client.embeddings.create({ ...req, encoding_format: 'float' });

    for (const [name, res] of [['base64', b64], ['float', flt]]) {
      assert.equal(res.object, 'list', name);
      assert.equal(res.data.length, 2, `${name}: data.length`);
      for (const [i, d] of res.data.entries()) {
        assert.equal(d.index, i, `${name}: data[${i}].index`);
        assert.equal(d.embedding.length, 8, `${name}: data[${i}].embedding.length`);
        for (const x of d.embedding) assert.ok(Number.isFinite(x), `${name}: data[${i}] has ${x}`);
      }
    }
    for (let i = 0; i < 2; i++) {
      const got = Array.from(b64.data[i].embedding);
      const want = flt.data[i].embedding;
      for (let j = 0; j < 8; j++) {
        assert.ok(
          Math.abs(got[j] - want[j]) <= 1e-6,
          `data[${i}].embedding[${j}]: base64 ${got[j]}, float ${want[j]}`,
        );
      }
    }
    assert.notDeepEqual(Array.from(b64.data[0].embedding), Array.from(b64.data[1].embedding));
  });

  test('batch: upload a JSONL file, run a batch to completion, read its output file', async () => {
    const lines = ['one', 'two'].map((text, i) => JSON.stringify({
      custom_id: `req-${i}`, method: 'POST', url: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] },
    }));
    const file = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'input.jsonl'), purpose: 'batch' });
    assert.equal(file.purpose, 'batch');
    let batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    assert.equal(batch.status, 'validating');
    const deadline = Date.now() + 20_000;
    while (!['completed', 'failed', 'expired', 'cancelled'].includes(batch.status) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      batch = await client.batches.retrieve(batch.id);
    }
    assert.equal(batch.status, 'completed');
    assert.deepEqual(batch.request_counts, { total: 2, completed: 2, failed: 0 });
    const text = await (await client.files.content(batch.output_file_id)).text();
    const out = text.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(out.map((l) => l.custom_id).sort(), ['req-0', 'req-1']);
    for (const l of out) {
      assert.equal(l.response.status_code, 200);
      assert.equal(l.response.body.object, 'chat.completion');
    }
  });

  test('models.list includes the demo chat model', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes('gpt-4o-mini'), `models: ${ids.join(', ')}`);
  });

  test('unknown model throws NotFoundError with code model_not_found', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'no-such-model', messages: MESSAGES }),
      (err) => {
        assert.ok(err instanceof OpenAI.NotFoundError, `got ${err?.constructor?.name}: ${err}`);
        assert.equal(err.status, 404);
        assert.equal(err.code, 'model_not_found');
        return true;
      },
    );
  });

  test('upstream 429 throws RateLimitError with retry-after', async () => {
    await assert.rejects(
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          ...MESSAGES.slice(0, -1),
          { role: 'user', content: 'Hello [[mock status=429 retry_after=3]]' },
        ],
      }),
      (err) => {
        assert.ok(err instanceof OpenAI.RateLimitError, `got ${err?.constructor?.name}: ${err}`);
        assert.equal(err.status, 429);
        assert.equal(err.headers.get('retry-after'), '3');
        return true;
      },
    );
  });

  test('a stream cut upstream makes iteration throw', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [...MESSAGES.slice(0, -1), { role: 'user', content: 'Hello [[mock cut_after=2]]' }],
      stream: true,
    });
    let chunks = 0;
    let finish = null;
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) {
          chunks++;
          for (const c of chunk.choices) if (c.finish_reason) finish = c.finish_reason;
        }
      })(),
      (err) => {
        assert.ok(err instanceof Error, `got ${err}`);
        return true;
      },
      'the stream ended cleanly',
    );
    assert.ok(chunks > 0, 'threw before any chunk: the cut should come mid-stream');
    assert.equal(finish, null, 'a cut stream must not carry a finish_reason');
  });
});
