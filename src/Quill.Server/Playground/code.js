// The curl command and C# program equivalent to the playground's current request; text only, nothing is sent.

const KeyVariable = 'QUILL_API_KEY';

/** Quotes text for a POSIX shell inside single quotes (a ' becomes '\''). */
function shellQuote(text) {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A C# regular string literal for any text. */
export function csharpString(text) {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0);
    switch (ch) {
      case '\\': out += '\\\\'; break;
      case '"': out += '\\"'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      case '\0': out += '\\0'; break;
      default:
        out += code < 0x20 || code === 0x2028 || code === 0x2029 ? `\\u${code.toString(16).padStart(4, '0')}` : ch;
    }
  }
  return `${out}"`;
}

/** A C# float literal (`0.7f`). */
function csharpFloat(value) {
  const text = String(value);
  return `${text}f`;
}

/** curl streaming the request; the key, when one is set, is read from $QUILL_API_KEY rather than written out. */
export function curlCommand(baseUrl, path, body, hasKey) {
  const lines = [`curl -N ${baseUrl}${path}`, `  -H "Content-Type: application/json"`];
  if (hasKey) lines.push(`  -H "Authorization: Bearer $${KeyVariable}"`);
  lines.push(`  -d ${shellQuote(JSON.stringify(body, null, 2))}`);
  return lines.join(' \\\n');
}

function clientLines(baseUrl, hasKey) {
  const key = hasKey ? `Environment.GetEnvironmentVariable("${KeyVariable}")!` : '"no-key"';
  return [
    'var client = new OpenAIClient(',
    `    new ApiKeyCredential(${key}),`,
    `    new OpenAIClientOptions { Endpoint = new Uri(${csharpString(`${baseUrl}v1`)}) });`,
  ];
}

const messageTypes = { system: 'SystemChatMessage', user: 'UserChatMessage', assistant: 'AssistantChatMessage' };

/** A C# program (top-level statements) streaming the chat with the OpenAI .NET SDK 2.x. */
export function csharpChat(baseUrl, settings, messages, hasKey) {
  const options = [
    `    Temperature = ${csharpFloat(settings.temperature)},`,
    `    MaxOutputTokenCount = ${settings.maxTokens},`,
    `    TopP = ${csharpFloat(settings.topP)},`,
  ];
  if (settings.seed !== null) options.push(`    Seed = ${settings.seed},`);
  if (settings.stop.length > 0) options.push(`    StopSequences = { ${settings.stop.map(csharpString).join(', ')} },`);
  if (settings.showProbabilities) options.push('    IncludeLogProbabilities = true,', '    TopLogProbabilityCount = 5,');
  const lines = [];
  if (settings.seed !== null) lines.push('#pragma warning disable OPENAI001 // ChatCompletionOptions.Seed is marked experimental');
  lines.push('using System.ClientModel;', 'using OpenAI;', 'using OpenAI.Chat;', '');
  lines.push(...clientLines(baseUrl, hasKey));
  lines.push(`ChatClient chat = client.GetChatClient(${csharpString(settings.model)});`, '');
  lines.push('List<ChatMessage> messages =', '[');
  for (const m of messages) lines.push(`    new ${messageTypes[m.role] ?? 'UserChatMessage'}(${csharpString(m.content)}),`);
  lines.push('];', '');
  lines.push('var options = new ChatCompletionOptions', '{', ...options, '};', '');
  lines.push(
    'await foreach (StreamingChatCompletionUpdate update in chat.CompleteChatStreamingAsync(messages, options))',
    '{',
    '    foreach (ChatMessageContentPart part in update.ContentUpdate)',
    '        Console.Write(part.Text);',
    '}',
    'Console.WriteLine();');
  return lines.join('\n');
}

/** A C# program streaming a legacy completion over plain HttpClient: the OpenAI 2.x SDK has no typed completions
 *  client (LegacyCompletionClient offers constructors only), so the JSON body is sent as the curl command sends it. */
export function csharpCompletion(baseUrl, body, hasKey) {
  const json = JSON.stringify(body, null, 2);
  let quotes = '"""';
  while (json.includes(quotes)) quotes += '"';
  const lines = [
    'using System.Net.Http.Headers;',
    'using System.Text;',
    'using System.Text.Json;',
    '',
    `using var http = new HttpClient { BaseAddress = new Uri(${csharpString(`${baseUrl}v1/`)}) };`,
  ];
  if (hasKey) {
    lines.push(`http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Environment.GetEnvironmentVariable("${KeyVariable}"));`);
  }
  lines.push(
    '',
    `string body = ${quotes}`,
    ...json.split('\n').map(l => `    ${l}`),
    `    ${quotes};`,
    'using var request = new HttpRequestMessage(HttpMethod.Post, "completions")',
    '{',
    '    Content = new StringContent(body, Encoding.UTF8, "application/json"),',
    '};',
    'using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);',
    'response.EnsureSuccessStatusCode();',
    '',
    '// The stream is server-sent events: "data: {json}" lines, ending with "data: [DONE]".',
    'using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());',
    'while (await reader.ReadLineAsync() is { } line)',
    '{',
    '    if (!line.StartsWith("data: ")) continue;',
    '    string data = line["data: ".Length..];',
    '    if (data == "[DONE]") break;',
    '    using JsonDocument chunk = JsonDocument.Parse(data);',
    '    foreach (JsonElement choice in chunk.RootElement.GetProperty("choices").EnumerateArray())',
    '        Console.Write(choice.GetProperty("text").GetString());',
    '}',
    'Console.WriteLine();');
  return lines.join('\n');
}
