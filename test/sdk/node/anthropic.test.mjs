// End-to-end test: the official `@anthropic-ai/sdk` package talks to Sluice's /v1/messages with
// nothing changed but its baseURL (see harness.mjs); the demo provider behind it speaks OpenAI, so
// every answer here went through Sluice's translation both ways.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import Anthropic from '@anthropic-ai/sdk';

import { SUITE_TIMEOUT_MS, startSluice } from './harness.mjs';

const MODEL = 'gpt-4o-mini';
const SYSTEM = 'You are a test.';
const MESSAGES = [{ role: 'user', content: 'Say something about sluices.' }];

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'The weather in a city.',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

let sluice;
let client;

describe('@anthropic-ai/sdk against sluice serve --demo', { timeout: SUITE_TIMEOUT_MS }, () => {
  before(async () => {
    sluice = await startSluice();
    client = new Anthropic({ baseURL: `http://${sluice.addr}`, apiKey: 'sk-test', maxRetries: 0 });
  });

  after(async () => {
    await sluice?.stop();
  });

  test('messages.create: a text message with stop reason and usage', async () => {
    const { data: msg, response } = await client.messages
      .create({ model: MODEL, max_tokens: 256, system: SYSTEM, messages: MESSAGES })
      .withResponse();

    assert.equal(msg.type, 'message');
    assert.equal(msg.role, 'assistant');
    assert.match(msg.id, /^msg_/);
    assert.equal(msg.model, MODEL);
    assert.equal(msg.content.length, 1);
    assert.equal(msg.content[0].type, 'text');
    assert.ok(msg.content[0].text.length > 0, 'empty text');
    assert.equal(msg.stop_reason, 'end_turn');
    assert.equal(msg.usage.output_tokens, 16);
    assert.ok(msg.usage.input_tokens > 0, `input_tokens = ${msg.usage.input_tokens}`);
    assert.equal(response.headers.get('x-sluice-provider'), 'demo');
  });

  test('messages.stream: the text deltas add up to the created message, with its usage', async () => {
    const whole = await client.messages.create({ model: MODEL, max_tokens: 256, system: SYSTEM, messages: MESSAGES });

    const stream = client.messages.stream({ model: MODEL, max_tokens: 256, system: SYSTEM, messages: MESSAGES });
    const types = [];
    let text = '';
    stream.on('streamEvent', (ev) => types.push(ev.type));
    stream.on('text', (delta) => (text += delta));
    const final = await stream.finalMessage();

    assert.equal(types[0], 'message_start');
    assert.equal(types.at(-1), 'message_stop');
    assert.equal(types.filter((t) => t === 'message_start').length, 1);
    assert.ok(types.includes('content_block_delta'), `events: ${types.join(', ')}`);
    assert.equal(text, whole.content[0].text);
    assert.equal(final.content[0].text, text);
    assert.equal(final.stop_reason, 'end_turn');
    assert.equal(final.usage.output_tokens, 16);
  });

  test('messages.countTokens: an estimate that grows with the prompt', async () => {
    const short = await client.messages.countTokens({ model: MODEL, messages: MESSAGES });
    const long = await client.messages.countTokens({
      model: MODEL,
      system: SYSTEM,
      messages: [{ role: 'user', content: 'Say something about sluices, locks, weirs and canals, at length.' }],
    });
    assert.ok(Number.isInteger(short.input_tokens) && short.input_tokens > 0, `short: ${short.input_tokens}`);
    assert.ok(long.input_tokens > short.input_tokens, `long ${long.input_tokens} <= short ${short.input_tokens}`);
  });

  test('a tool call: tool_use with parsed input, then the tool result answered in text', async () => {
    const ask = { role: 'user', content: 'What is the weather in Paris? [[mock tool_call=get_weather]]' };
    const first = await client.messages.create({ model: MODEL, max_tokens: 256, tools: [WEATHER_TOOL], messages: [ask] });

    assert.equal(first.stop_reason, 'tool_use');
    const use = first.content.find((b) => b.type === 'tool_use');
    assert.ok(use, `no tool_use block in ${JSON.stringify(first.content)}`);
    assert.equal(use.name, 'get_weather');
    assert.ok(use.id, 'tool_use without an id');
    assert.equal(typeof use.input, 'object');
    assert.equal(typeof use.input.city, 'string');

    // Streamed, the same call arrives as input_json_delta fragments the SDK assembles.
    const streamed = await client.messages
      .stream({ model: MODEL, max_tokens: 256, tools: [WEATHER_TOOL], messages: [ask] })
      .finalMessage();
    const streamedUse = streamed.content.find((b) => b.type === 'tool_use');
    assert.equal(streamed.stop_reason, 'tool_use');
    assert.deepEqual(streamedUse.input, use.input);

    const answer = await client.messages.create({
      model: MODEL,
      max_tokens: 256,
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'What is the weather in Paris?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'Sunny, 21 °C' }] },
      ],
    });
    assert.equal(answer.stop_reason, 'end_turn');
    assert.equal(answer.content[0].type, 'text');
    assert.ok(answer.content[0].text.length > 0);
  });

  test('unknown model throws NotFoundError with not_found_error', async () => {
    await assert.rejects(
      client.messages.create({ model: 'no-such-model', max_tokens: 16, messages: MESSAGES }),
      (err) => {
        assert.ok(err instanceof Anthropic.NotFoundError, `got ${err?.constructor?.name}: ${err}`);
        assert.equal(err.status, 404);
        assert.equal(err.error?.type, 'error');
        assert.equal(err.error?.error?.type, 'not_found_error');
        assert.match(err.error?.error?.message, /no-such-model/);
        return true;
      },
    );
  });

  test('upstream 429 throws RateLimitError with rate_limit_error', async () => {
    await assert.rejects(
      client.messages.create({
        model: MODEL,
        max_tokens: 16,
        messages: [{ role: 'user', content: 'Hello [[mock status=429]]' }],
      }),
      (err) => {
        assert.ok(err instanceof Anthropic.RateLimitError, `got ${err?.constructor?.name}: ${err}`);
        assert.equal(err.status, 429);
        assert.equal(err.error?.error?.type, 'rate_limit_error');
        return true;
      },
    );
  });

  test('a stream cut upstream throws the error event, after some text and before message_stop', async () => {
    const stream = await client.messages.create({
      model: MODEL,
      max_tokens: 256,
      stream: true,
      messages: [{ role: 'user', content: 'Hello [[mock cut_after=2]]' }],
    });
    const types = [];
    await assert.rejects(
      (async () => {
        for await (const ev of stream) types.push(ev.type);
      })(),
      (err) => {
        assert.ok(err instanceof Anthropic.APIError, `got ${err?.constructor?.name}: ${err}`);
        assert.equal(err.error?.error?.type, 'api_error');
        return true;
      },
      'the stream ended cleanly',
    );
    assert.ok(types.includes('content_block_delta'), `threw before any text: ${types.join(', ')}`);
    assert.ok(!types.includes('message_stop'), 'a cut stream must not end with message_stop');
  });
});
