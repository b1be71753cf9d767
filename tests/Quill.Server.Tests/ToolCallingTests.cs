// Tool calling over HTTP: raw JSON (whole and streamed, many seeds), the official OpenAI SDK's ChatTool, tool messages going back in, and 400s.
using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace Quill.Server.Tests;

[Collection(ToolServerCollection.Name)]
public sealed class ToolCallingTests(ToolServerFixture server)
{
    private const string WeatherSchema =
        """{"type":"object","properties":{"city":{"type":"string","maxLength":10},"unit":{"enum":["c","f"]}},""" +
        "\"required\":[\"city\",\"unit\"],\"additionalProperties\":false}";

    private const string Tools =
        """[{"type":"function","function":{"name":"get_weather","description":"Weather in a city","parameters":""" + WeatherSchema + """}},""" +
        """{"type":"function","function":{"name":"now","parameters":{"type":"object","properties":{}}}}]""";

    private static string Request(string fields) =>
        """{"messages":[{"role":"user","content":"Weather in Paris?"}],"max_tokens":80,"tools":""" + Tools + "," + fields + "}";

    private static void AssertValidCall(string name, string arguments)
    {
        using JsonDocument args = JsonDocument.Parse(arguments);
        if (name == "now")
        {
            Assert.Equal(JsonValueKind.Object, args.RootElement.ValueKind);
            return;
        }
        Assert.Equal("get_weather", name);
        Assert.Equal(["city", "unit"], args.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.InRange(args.RootElement.GetProperty("city").GetString()!.Length, 0, 10);
        Assert.Contains(args.RootElement.GetProperty("unit").GetString(), new[] { "c", "f" });
    }

    [Theory]
    [InlineData("required", 1)]
    [InlineData("required", 2)]
    [InlineData("required", 3)]
    [InlineData("{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}", 4)]
    [InlineData("auto", 5)]
    [InlineData("auto", 6)]
    public async Task WholeAndStreamedRepliesHaveTheSameValidCalls(string choice, int seed)
    {
        using HttpClient client = server.Client();
        string toolChoice = choice.StartsWith('{') ? choice : $"\"{choice}\"";
        string body = Request($"\"seed\":{seed},\"tool_choice\":{toolChoice}");
        JsonElement whole = await RawApi.PostOkAsync(client, "v1/chat/completions", body);
        JsonElement choice0 = whole.GetProperty("choices")[0];
        JsonElement message = choice0.GetProperty("message");
        var calls = message.TryGetProperty("tool_calls", out JsonElement tc)
            ? tc.EnumerateArray().Select(c => (Id: c.GetProperty("id").GetString()!, Type: c.GetProperty("type").GetString(),
                Name: c.GetProperty("function").GetProperty("name").GetString()!,
                Args: c.GetProperty("function").GetProperty("arguments").GetString()!)).ToList()
            : [];
        if (choice != "auto") Assert.NotEmpty(calls);
        if (choice.StartsWith('{')) Assert.All(calls, c => Assert.Equal("get_weather", c.Name));
        foreach (var call in calls)
        {
            Assert.StartsWith("call_", call.Id);
            Assert.Equal("function", call.Type);
            AssertValidCall(call.Name, call.Args);
        }
        if (calls.Count > 0)
        {
            Assert.Equal("tool_calls", choice0.GetProperty("finish_reason").GetString());
            Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        }

        List<JsonElement> events = await RawApi.StreamAsync(client, "v1/chat/completions", body.Replace("\"seed\"", "\"stream\":true,\"seed\""));
        var names = new List<string>();
        var args = new List<StringBuilder>();
        var content = new StringBuilder();
        string? finish = null;
        foreach (JsonElement e in events)
        {
            JsonElement c = e.GetProperty("choices")[0];
            JsonElement delta = c.GetProperty("delta");
            if (delta.TryGetProperty("content", out JsonElement text) && text.ValueKind == JsonValueKind.String) content.Append(text.GetString());
            if (c.GetProperty("finish_reason").ValueKind == JsonValueKind.String) finish = c.GetProperty("finish_reason").GetString();
            if (!delta.TryGetProperty("tool_calls", out JsonElement pieces)) continue;
            foreach (JsonElement piece in pieces.EnumerateArray())
            {
                int index = piece.GetProperty("index").GetInt32();
                if (index == names.Count)
                {
                    Assert.StartsWith("call_", piece.GetProperty("id").GetString());
                    names.Add(piece.GetProperty("function").GetProperty("name").GetString()!);
                    args.Add(new StringBuilder());
                }
                args[index].Append(piece.GetProperty("function").GetProperty("arguments").GetString());
            }
        }
        Assert.Equal(calls.Select(c => (c.Name, c.Args)), names.Zip(args, (n, a) => (n, a.ToString())));
        Assert.Equal(choice0.GetProperty("finish_reason").GetString(), finish);
        string wholeContent = message.GetProperty("content").ValueKind == JsonValueKind.Null ? "" : message.GetProperty("content").GetString()!;
        Assert.Equal(wholeContent, content.ToString());
    }

    [Fact]
    public async Task ToolMessagesGoBackIntoThePrompt()
    {
        using HttpClient client = server.Client();
        const string Call = """{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",""" +
            """ "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"unit\":\"c\"}"}}]}""";
        const string Result = """{"role":"tool","tool_call_id":"call_1","content":"21 degrees"}""";
        JsonElement before = await RawApi.PostOkAsync(client, "v1/chat/completions",
            """{"messages":[{"role":"user","content":"Weather?"}],"max_tokens":2,"tools":""" + Tools + "}");
        JsonElement after = await RawApi.PostOkAsync(client, "v1/chat/completions",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}," + Call + "," + Result + "],\"max_tokens\":2,\"tools\":" + Tools + "}");
        int PromptTokens(JsonElement r) => r.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        Assert.True(PromptTokens(after) > PromptTokens(before) + 20);

        // What the server renders: the fixture's template knows no tools, so the generic format writes call and result as text.
        var calling = Quill.Tools.ToolCalling.For(Quill.Tokenizers.ChatTemplates.ChatTemplate.Parse(ServerFixture.Template),
            [new Quill.Tools.ToolDefinition("get_weather")], Quill.Tools.ToolChoice.Auto, true);
        string prompt = calling.Render(Quill.Tokenizers.ChatTemplates.ChatTemplate.Parse(ServerFixture.Template),
        [
            new("user", "Weather?"),
            new("assistant", "") { ToolCalls = [new("call_1", "get_weather", "{\"city\":\"Paris\",\"unit\":\"c\"}")] },
            new("tool", "21 degrees") { ToolCallId = "call_1" },
        ]);
        Assert.Contains("<tool_call>\n{\"name\":\"get_weather\", \"arguments\": {\"city\":\"Paris\",\"unit\":\"c\"}}\n</tool_call>", prompt);
        Assert.Contains("<tool_response>\n21 degrees\n</tool_response>", prompt);
        Assert.StartsWith("<|system|># Tools", prompt);
    }

    [Fact]
    public async Task TheOpenAISdkGetsToolCallsWholeAndStreamed()
    {
        ChatClient chat = new OpenAIClient(new ApiKeyCredential(ServerFixture.ApiKey), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") })
            .GetChatClient(server.ModelId);
        ChatTool weather = ChatTool.CreateFunctionTool("get_weather", "Weather in a city", BinaryData.FromString(WeatherSchema));
        var options = new ChatCompletionOptions
        {
            Tools = { weather }, ToolChoice = ChatToolChoice.CreateRequiredChoice(), MaxOutputTokenCount = 80, Temperature = 1,
        };
#pragma warning disable OPENAI001
        options.Seed = 7;
#pragma warning restore OPENAI001
        ChatCompletion completion = (await chat.CompleteChatAsync([new UserChatMessage("Weather in Paris?")], options)).Value;
        Assert.Equal(global::OpenAI.Chat.ChatFinishReason.ToolCalls, completion.FinishReason);
        ChatToolCall call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        AssertValidCall(call.FunctionName, call.FunctionArguments.ToString());

        var streamedName = new StringBuilder();
        var streamedArguments = new StringBuilder();
        global::OpenAI.Chat.ChatFinishReason? finish = null;
        await foreach (StreamingChatCompletionUpdate update in chat.CompleteChatStreamingAsync([new UserChatMessage("Weather in Paris?")], options))
        {
            foreach (StreamingChatToolCallUpdate piece in update.ToolCallUpdates)
            {
                Assert.Equal(0, piece.Index);
                streamedName.Append(piece.FunctionName);
                streamedArguments.Append(piece.FunctionArgumentsUpdate?.ToString());
            }
            finish ??= update.FinishReason;
        }
        Assert.Equal(global::OpenAI.Chat.ChatFinishReason.ToolCalls, finish);
        Assert.Equal((call.FunctionName, call.FunctionArguments.ToString()), (streamedName.ToString(), streamedArguments.ToString()));

        // The call and its result go back in; tool_choice none answers in text.
        ChatCompletion next = (await chat.CompleteChatAsync(
            [new UserChatMessage("Weather in Paris?"), new AssistantChatMessage(completion.ToolCalls), new ToolChatMessage(call.Id, "21 degrees")],
            new ChatCompletionOptions { Tools = { weather }, ToolChoice = ChatToolChoice.CreateNoneChoice(), MaxOutputTokenCount = 8 })).Value;
        Assert.Empty(next.ToolCalls);
        Assert.NotEqual(global::OpenAI.Chat.ChatFinishReason.ToolCalls, next.FinishReason);
    }

    public static TheoryData<string, string, string> BadRequests => new()
    {
        { "\"tools\":{\"type\":\"function\"}", "tools", "Invalid type for 'tools': expected an array of tools, found a object." },
        { "\"tools\":[{\"type\":\"function\",\"function\":{\"description\":\"x\"}}]", "tools[0].function.name",
            "Missing required parameter: 'tools[0].function.name'." },
        { "\"tools\":" + Tools + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"nope\"}}", "tool_choice",
            "Invalid 'tool_choice': tool_choice: function 'nope' is not among the tools (get_weather, now)" },
        { "\"tools\":" + Tools + ",\"tool_choice\":\"sometimes\"", "tool_choice",
            "Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or a function, found 'sometimes'." },
        { "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"zip\",\"parameters\":" +
            "{\"type\":\"object\",\"properties\":{\"z\":{\"type\":\"string\",\"pattern\":\"^[0-9]+$\"}}}}}]",
            "tools[0].function.parameters",
            "Invalid 'tools[0].function.parameters': tools[0].function.parameters of function 'zip': 'pattern' at #/properties/z is not supported" },
        { "\"tool_choice\":\"required\"", "tool_choice", "Invalid 'tool_choice': tool_choice: 'required' needs tools, found none" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadToolFieldsAre400WithOneClearMessage(string fields, string param, string message)
    {
        using HttpClient client = server.Client();
        using HttpResponseMessage response = await RawApi.PostAsync(client, "v1/chat/completions",
            """{"messages":[{"role":"user","content":"x"}],""" + fields + "}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement error = await RawApi.ErrorOf(response);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(message, error.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }
}
