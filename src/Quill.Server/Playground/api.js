// The OpenAI-shaped HTTP calls the playground makes (models, streamed completions and chat) and their request bodies; no UI.
import { readServerSentEvents } from './sse.js';

/** An error the server reported in the OpenAI shape `{"error":{"message",...}}`, or a transport failure. */
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

function headers(apiKey, json) {
  const h = {};
  if (json) h['Content-Type'] = 'application/json';
  if (apiKey) h.Authorization = `Bearer ${apiKey}`;
  return h;
}

/** The message of an error response: `error.message` of the OpenAI shape, else the body text, else the status. */
async function errorFrom(response) {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text);
    const message = parsed?.error?.message ?? (typeof parsed?.error === 'string' ? parsed.error : null);
    if (message) return new ApiError(`${message} (HTTP ${response.status})`, response.status);
  } catch { /* not JSON: fall through to the text */ }
  return new ApiError(text.trim() || `HTTP ${response.status} ${response.statusText}`, response.status);
}

/** GET /v1/models: the `data` array of model objects. */
export async function listModels(apiKey) {
  const response = await fetch('v1/models', { headers: headers(apiKey, false) });
  if (!response.ok) throw await errorFrom(response);
  const body = await response.json();
  return Array.isArray(body?.data) ? body.data : [];
}

/** Sampling fields shared by both endpoints; optional ones are left out when unset so the server's defaults apply. */
function samplingFields(settings) {
  const body = {
    model: settings.model,
    max_tokens: settings.maxTokens,
    temperature: settings.temperature,
    top_p: settings.topP,
  };
  if (settings.stop.length > 0) body.stop = [...settings.stop];
  if (settings.seed !== null) body.seed = settings.seed;
  return body;
}

/** The body of POST /v1/completions for these settings and prompt (streamed, usage requested in the last chunk). */
export function completionBody(settings, prompt) {
  const body = { ...samplingFields(settings), prompt };
  if (settings.showProbabilities) body.logprobs = 5;
  body.stream = true;
  body.stream_options = { include_usage: true };
  return body;
}

/** The body of POST /v1/chat/completions for these settings and messages (streamed, usage requested in the last chunk). */
export function chatBody(settings, messages) {
  const body = { ...samplingFields(settings), messages: messages.map(m => ({ role: m.role, content: m.content })) };
  if (settings.showProbabilities) {
    body.logprobs = true;
    body.top_logprobs = 5;
  }
  body.stream = true;
  body.stream_options = { include_usage: true };
  return body;
}

/**
 * POSTs a streaming request and calls onChunk with each parsed JSON chunk until `[DONE]` or the end of the body.
 * Aborting the signal cancels the fetch (the server then cancels the generation) and rejects with an AbortError.
 * @param {string} path 'v1/completions' or 'v1/chat/completions'
 */
export async function streamRequest(path, body, apiKey, signal, onChunk) {
  let response;
  try {
    response = await fetch(path, { method: 'POST', headers: headers(apiKey, true), body: JSON.stringify(body), signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(`Could not reach the server: ${e.message}`, 0);
  }
  if (!response.ok) throw await errorFrom(response);
  for await (const data of readServerSentEvents(response)) {
    if (data === '[DONE]') return;
    let chunk;
    try {
      chunk = JSON.parse(data);
    } catch {
      throw new ApiError(`The server sent an event that is not JSON: ${data.slice(0, 120)}`, response.status);
    }
    if (chunk?.error) throw new ApiError(chunk.error.message ?? JSON.stringify(chunk.error), response.status);
    onChunk(chunk);
  }
}
