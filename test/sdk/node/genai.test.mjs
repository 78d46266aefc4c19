// End-to-end test: the official `@google/genai` package talks to Sluice's Gemini API
// (/v1beta/models/{model}:{method}) with nothing changed but httpOptions.baseUrl (see
// harness.mjs); the demo provider behind it speaks OpenAI, so every answer here went through
// Sluice's translation both ways.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { ApiError, GoogleGenAI } from '@google/genai';

import { SUITE_TIMEOUT_MS, startSluice } from './harness.mjs';

const MODEL = 'gpt-4o-mini';
const CONTENTS = 'Say something about sluices.';
const CONFIG = { systemInstruction: 'You are a test.' };

let sluice;
let ai;

describe('@google/genai against sluice serve --demo', { timeout: SUITE_TIMEOUT_MS }, () => {
  before(async () => {
    sluice = await startSluice();
    ai = new GoogleGenAI({ apiKey: 'sk-test', httpOptions: { baseUrl: `http://${sluice.addr}` } });
  });

  after(async () => {
    await sluice?.stop();
  });

  test('generateContent: text, finish reason and usage', async () => {
    const res = await ai.models.generateContent({ model: MODEL, contents: CONTENTS, config: CONFIG });

    assert.ok(res.text && res.text.length > 0, `text = ${res.text}`);
    assert.equal(res.candidates.length, 1);
    assert.equal(res.candidates[0].content.role, 'model');
    assert.equal(res.candidates[0].finishReason, 'STOP');
    assert.equal(res.modelVersion, MODEL);
    const u = res.usageMetadata;
    assert.equal(u.candidatesTokenCount, 16);
    assert.ok(u.promptTokenCount > 0, `promptTokenCount = ${u.promptTokenCount}`);
    assert.equal(u.totalTokenCount, u.promptTokenCount + u.candidatesTokenCount);
  });

  test('generateContentStream: the chunks add up to the whole answer; the last has the finish and usage', async () => {
    const whole = await ai.models.generateContent({ model: MODEL, contents: CONTENTS, config: CONFIG });

    const stream = await ai.models.generateContentStream({ model: MODEL, contents: CONTENTS, config: CONFIG });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);

    assert.ok(chunks.length > 1, `${chunks.length} chunks: the answer was not streamed`);
    assert.equal(chunks.map((c) => c.text ?? '').join(''), whole.text);
    const last = chunks.at(-1);
    assert.equal(last.candidates[0].finishReason, 'STOP');
    assert.equal(last.usageMetadata.candidatesTokenCount, 16);
    for (const c of chunks.slice(0, -1)) assert.equal(c.candidates[0].finishReason, undefined);
  });

  test('a function call: functionCalls with parsed args and the finish reason', async () => {
    const res = await ai.models.generateContent({
      model: MODEL,
      contents: 'What is the weather in Paris? [[mock tool_call=get_weather]]',
      config: {
        tools: [
          {
            functionDeclarations: [
              {
                name: 'get_weather',
                description: 'The weather in a city.',
                parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] },
              },
            ],
          },
        ],
      },
    });
    assert.equal(res.functionCalls?.length, 1, JSON.stringify(res.candidates));
    assert.equal(res.functionCalls[0].name, 'get_weather');
    assert.equal(typeof res.functionCalls[0].args.city, 'string');
  });

  test('embedContent: one vector per text, of the asked dimensionality', async () => {
    const res = await ai.models.embedContent({
      model: 'text-embedding-3-small',
      contents: ['a sluice', 'a weir'],
      config: { outputDimensionality: 8 },
    });
    assert.equal(res.embeddings.length, 2);
    for (const [i, e] of res.embeddings.entries()) {
      assert.equal(e.values.length, 8, `embeddings[${i}]`);
      for (const x of e.values) assert.ok(Number.isFinite(x), `embeddings[${i}] has ${x}`);
    }
    assert.notDeepEqual(res.embeddings[0].values, res.embeddings[1].values);
  });

  test('countTokens: an estimate that grows with the prompt', async () => {
    const short = await ai.models.countTokens({ model: MODEL, contents: CONTENTS });
    const long = await ai.models.countTokens({
      model: MODEL,
      contents: 'Say something about sluices, locks, weirs and canals, at length and with examples.',
    });
    assert.ok(Number.isInteger(short.totalTokens) && short.totalTokens > 0, `short: ${short.totalTokens}`);
    assert.ok(long.totalTokens > short.totalTokens, `long ${long.totalTokens} <= short ${short.totalTokens}`);
  });

  test('unknown model throws ApiError 404 NOT_FOUND', async () => {
    await assert.rejects(ai.models.generateContent({ model: 'no-such-model', contents: CONTENTS }), (err) => {
      assert.ok(err instanceof ApiError, `got ${err?.constructor?.name}: ${err}`);
      assert.equal(err.status, 404);
      assert.match(err.message, /NOT_FOUND/);
      assert.match(err.message, /no-such-model/);
      return true;
    });
  });

  test('a stream cut upstream throws ApiError after some text, without a finish reason', async () => {
    const stream = await ai.models.generateContentStream({ model: MODEL, contents: 'Hello [[mock cut_after=2]]' });
    const chunks = [];
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) chunks.push(chunk);
      })(),
      (err) => {
        assert.ok(err instanceof ApiError, `got ${err?.constructor?.name}: ${err}`);
        assert.equal(err.status, 502);
        assert.match(err.message, /UNAVAILABLE/);
        return true;
      },
      'the stream ended cleanly',
    );
    assert.ok(chunks.length > 0, 'threw before any chunk: the cut should come mid-stream');
    for (const c of chunks) assert.equal(c.candidates[0].finishReason, undefined);
  });
});
