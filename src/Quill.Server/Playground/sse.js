// Server-sent events read from a fetch Response body (POST streams, which EventSource cannot send); not EventSource: no reconnects, ids or retries.

/**
 * Yields the data of each event in the body of a `text/event-stream` response, as text ("[DONE]" included).
 * Follows the event-stream grammar: lines end in LF, CRLF or CR; `data:` lines of one event join with LF;
 * an empty line ends an event; lines starting with `:` are comments; other fields are ignored.
 * @param {Response} response
 * @returns {AsyncGenerator<string>}
 */
export async function* readServerSentEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let data = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      // A CR at the very end may be the first half of a CRLF still in flight: wait for the next read.
      while ((end = lineEnd(buffer)) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(buffer.startsWith('\r\n', end) ? end + 2 : end + 1);
        if (line === '') {
          if (data.length > 0) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        }
      }
    }
    if (buffer.startsWith('data:')) data.push(buffer.slice(buffer.startsWith('data: ') ? 6 : 5));
    if (data.length > 0) yield data.join('\n');
  } finally {
    reader.releaseLock();
  }
}

/** Index of the first complete line ending in the buffer, or -1 (a trailing lone CR is not yet complete). */
function lineEnd(buffer) {
  const lf = buffer.indexOf('\n');
  const cr = buffer.indexOf('\r');
  if (cr < 0 || (lf >= 0 && lf < cr)) return lf;
  return cr === buffer.length - 1 ? -1 : cr;
}
