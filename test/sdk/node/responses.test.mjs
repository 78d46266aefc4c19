// End-to-end test: the official `openai` npm package's Responses API (client.responses) against
// Sluice's /v1/responses, with nothing changed but its baseURL (see harness.mjs).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import OpenAI from 'openai';

import { SUITE_TIMEOUT_MS, startSluice } from './harness.mjs';

const MODEL = 'gpt-4o-mini';
const REQUEST = { model: MODEL, instructions: 'You are a test.', input: 'Say something about sluices.' };

let sluice;
let client;

describe('openai npm package Responses API against sluice serve --demo', { timeout: SUITE_TIMEOUT_MS }, () => {
  before(async () => {
    sluice = await startSluice();
    client = new OpenAI({ baseURL: `http://${sluice.addr}/v1`, apiKey: 'sk-test', maxRetries: 0 });
  });

  after(async () => {
    await sluice?.stop();
  });

  test('responses.create: a completed response with output_text and usage', async () => {
    const res = await client.responses.create(REQUEST);

    assert.equal(res.object, 'response');
    assert.match(res.id, /^resp_/);
    assert.equal(res.status, 'completed');
    assert.equal(res.error, null);
    assert.ok(res.output_text.length > 0, 'output_text is empty');
    assert.equal(res.output.length, 1);
    assert.equal(res.output[0].type, 'message');
    assert.equal(res.output[0].role, 'assistant');
    assert.equal(res.output[0].content[0].type, 'output_text');
    assert.equal(res.output[0].content[0].text, res.output_text);
    assert.equal(res.usage.output_tokens, 16);
    assert.ok(res.usage.input_tokens > 0, `input_tokens = ${res.usage.input_tokens}`);
    assert.equal(res.usage.total_tokens, res.usage.input_tokens + res.usage.output_tokens);
  });

  test('responses.create with stream: numbered events whose deltas add up to the completed response', async () => {
    const whole = await client.responses.create(REQUEST);

    const stream = await client.responses.create({ ...REQUEST, stream: true });
    const events = [];
    for await (const ev of stream) events.push(ev);

    assert.equal(events[0].type, 'response.created');
    assert.equal(events[1].type, 'response.in_progress');
    assert.deepEqual(
      events.map((e) => e.sequence_number),
      events.map((_, i) => i),
    );
    const last = events.at(-1);
    assert.equal(last.type, 'response.completed');
    const deltas = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta);
    assert.ok(deltas.length > 1, `${deltas.length} deltas: the answer was not streamed`);
    assert.equal(deltas.join(''), whole.output_text);
    assert.equal(last.response.status, 'completed');
    assert.equal(last.response.output[0].content[0].text, whole.output_text);
    assert.equal(last.response.usage.output_tokens, 16);
  });

  test('responses.stream: the helper assembles the final response', async () => {
    const whole = await client.responses.create(REQUEST);

    let text = '';
    const stream = client.responses.stream(REQUEST).on('response.output_text.delta', (ev) => (text += ev.delta));
    const final = await stream.finalResponse();

    assert.equal(text, whole.output_text);
    assert.equal(final.output_text, whole.output_text);
    assert.equal(final.status, 'completed');
    assert.equal(final.usage.output_tokens, 16);
  });

  test('a function call: a function_call item with call_id and arguments', async () => {
    const res = await client.responses.create({
      model: MODEL,
      input: 'What is the weather in Paris? [[mock tool_call=get_weather]]',
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          strict: false,
        },
      ],
    });
    const call = res.output.find((o) => o.type === 'function_call');
    assert.ok(call, `no function_call in ${JSON.stringify(res.output)}`);
    assert.equal(call.name, 'get_weather');
    assert.ok(call.call_id, 'function_call without call_id');
    assert.equal(typeof JSON.parse(call.arguments).city, 'string');
  });

  test('unknown model throws NotFoundError with code model_not_found', async () => {
    await assert.rejects(client.responses.create({ ...REQUEST, model: 'no-such-model' }), (err) => {
      assert.ok(err instanceof OpenAI.NotFoundError, `got ${err?.constructor?.name}: ${err}`);
      assert.equal(err.status, 404);
      assert.equal(err.code, 'model_not_found');
      return true;
    });
  });

  test('a stream cut upstream ends with error and response.failed, never response.completed', async () => {
    const stream = await client.responses.create({ model: MODEL, input: 'Hello [[mock cut_after=2]]', stream: true });
    const events = [];
    for await (const ev of stream) events.push(ev);

    const types = events.map((e) => e.type);
    assert.ok(types.includes('response.output_text.delta'), `no text before the failure: ${types.join(', ')}`);
    assert.ok(!types.includes('response.completed'), 'a cut stream must not complete');
    const [err, failed] = events.slice(-2);
    assert.equal(err.type, 'error');
    assert.equal(err.code, 'stream_interrupted');
    assert.ok(err.message.length > 0);
    assert.equal(err.param, null);
    assert.equal(failed.type, 'response.failed');
    assert.equal(failed.response.status, 'failed');
    assert.equal(failed.response.error.code, 'server_error');
    assert.equal(failed.response.error.message, err.message);
  });
});
