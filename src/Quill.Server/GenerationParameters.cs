// Validates the sampling, stop, n, stream and response_format fields and maps them onto a GenerationRequest; each endpoint builds its prompt.
using System.Text.Json;
using Quill.Generation;
using Quill.Generation.Constraints;
using Quill.Server.Contracts;
using Quill.Tokenizers;

namespace Quill.Server;

/// <summary>
/// OpenAI's defaults, not llama.cpp's: temperature 1, top_p 1, top-k and min-p off (top_k and min_p are accepted as
/// llama.cpp extensions). presence_penalty and frequency_penalty look at the whole context, prompt included
/// (RepeatLastN -1, as llama.cpp's server with repeat_last_n -1). With n &gt; 1 choice i draws with seed + i.
/// </summary>
internal sealed class GenerationParameters
{
    public const int MaxChoices = 16;
    public const int MaxStops = 16;
    public const int MaxTopLogprobs = 20;

    private readonly SamplingOptions _sampling;
    private readonly Func<ITokenConstraint?> _constraint;
    private readonly bool _cachePrompt;

    private GenerationParameters(SamplingOptions sampling, IReadOnlyList<string> stop, int n, bool stream, bool includeUsage,
        Func<ITokenConstraint?> constraint, bool cachePrompt)
    {
        _sampling = sampling;
        _constraint = constraint;
        _cachePrompt = cachePrompt;
        (Stop, N, Stream, IncludeUsage) = (stop, n, stream, includeUsage);
    }

    public IReadOnlyList<string> Stop { get; }
    public int N { get; }
    public bool Stream { get; }
    public bool IncludeUsage { get; }

    /// <summary>Reads and checks the shared fields; throws <see cref="ApiError"/> (400, param = the field) for a bad one.</summary>
    public static GenerationParameters Read(IGenerationParameters p, ITokenizer tokenizer)
    {
        double temperature = p.Temperature ?? 1.0;
        if (!(temperature >= 0 && temperature <= 2)) throw Range("temperature", temperature, "between 0 and 2");
        double topP = p.TopP ?? 1.0;
        if (!(topP >= 0 && topP <= 1)) throw Range("top_p", topP, "between 0 and 1");
        int topK = p.TopK ?? 0;
        if (topK < 0) throw Range("top_k", topK, "0 (off) or more");
        double minP = p.MinP ?? 0;
        if (!(minP >= 0 && minP <= 1)) throw Range("min_p", minP, "between 0 and 1");
        double presence = p.PresencePenalty ?? 0, frequency = p.FrequencyPenalty ?? 0;
        if (!(presence >= -2 && presence <= 2)) throw Range("presence_penalty", presence, "between -2 and 2");
        if (!(frequency >= -2 && frequency <= 2)) throw Range("frequency_penalty", frequency, "between -2 and 2");
        int n = p.N ?? 1;
        if (n < 1 || n > MaxChoices) throw Range("n", n, $"between 1 and {MaxChoices}");
        bool stream = p.Stream ?? false;
        if (p.StreamOptions is not null && !stream)
            throw ApiError.BadRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options");
        var sampling = new SamplingOptions
        {
            Temperature = (float)temperature,
            TopP = (float)topP,
            TopK = topK,
            MinP = (float)minP,
            RepeatPenalty = 1,
            PresencePenalty = (float)presence,
            FrequencyPenalty = (float)frequency,
            RepeatLastN = -1,
            Seed = p.Seed is long seed ? unchecked((ulong)seed) : null,
        };
        return new GenerationParameters(sampling, ReadStop(p.Stop), n, stream, p.StreamOptions?.IncludeUsage ?? false,
            ReadResponseFormat(p.ResponseFormat, tokenizer), p.CachePrompt ?? true);
    }

    /// <summary>The request of choice <paramref name="choice"/>: its own seed and its own (stateful) constraint.</summary>
    public GenerationRequest RequestFor(int choice, int[] prompt, int maxTokens, int? logprobs) => new()
    {
        PromptTokens = prompt,
        MaxTokens = maxTokens,
        Sampling = _sampling.Seed is ulong seed ? _sampling with { Seed = unchecked(seed + (ulong)choice) } : _sampling,
        Stop = Stop,
        Logprobs = logprobs,
        Constraint = _constraint(),
        CachePrompt = _cachePrompt,
    };

    private static IReadOnlyList<string> ReadStop(JsonElement? stop)
    {
        if (stop is not { } element || element.ValueKind == JsonValueKind.Null) return [];
        if (element.ValueKind == JsonValueKind.String) return [NonEmpty(element.GetString()!, "stop")];
        if (element.ValueKind != JsonValueKind.Array)
            throw ApiError.BadRequest("Invalid type for 'stop': expected a string or an array of strings.", "stop", "invalid_type");
        var list = new List<string>();
        int i = 0;
        foreach (JsonElement item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
                throw ApiError.BadRequest($"Invalid type for 'stop[{i}]': expected a string.", $"stop[{i}]", "invalid_type");
            list.Add(NonEmpty(item.GetString()!, $"stop[{i}]"));
            i++;
        }
        if (list.Count > MaxStops) throw Range("stop", list.Count, $"at most {MaxStops} strings");
        return list;
    }

    private static string NonEmpty(string value, string param) =>
        value.Length > 0 ? value : throw ApiError.BadRequest($"Invalid '{param}': a stop string must not be empty.", param);

    private static Func<ITokenConstraint?> ReadResponseFormat(ResponseFormat? format, ITokenizer tokenizer)
    {
        switch (format?.Type)
        {
            case null when format is null:
            case "text":
                return () => null;
            case "json_object":
                return Checked(() => JsonConstraint.ForObject(tokenizer), "response_format");
            case "json_schema":
                if (format.JsonSchema?.Schema is not { ValueKind: JsonValueKind.Object or JsonValueKind.True } schema)
                    throw ApiError.BadRequest("Invalid 'response_format.json_schema.schema': expected a JSON Schema object.",
                        "response_format.json_schema.schema");
                JsonElement owned = schema.Clone();
                return Checked(() => JsonConstraint.ForSchema(tokenizer, owned), "response_format.json_schema.schema");
            default:
                throw ApiError.BadRequest($"Invalid 'response_format.type': expected 'text', 'json_object' or 'json_schema', found '{format.Type}'.",
                    "response_format.type");
        }
    }

    /// <summary>Builds one constraint now so an unsupported schema is a 400 before anything is queued.</summary>
    private static Func<ITokenConstraint?> Checked(Func<ITokenConstraint> create, string param)
    {
        ITokenConstraint? first;
        try
        {
            first = create();
        }
        catch (ArgumentException e)
        {
            throw ApiError.BadRequest($"Invalid '{param}': {e.Message}", param);
        }
        catch (NotImplementedException)
        {
            throw ApiError.BadRequest($"Invalid '{param}': constrained JSON output is not available in this build.", param);
        }
        return () => Interlocked.Exchange(ref first, null) ?? create();
    }

    private static ApiError Range(string param, double value, string expected) =>
        ApiError.BadRequest($"Invalid '{param}': expected {expected}, found {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}.", param,
            "invalid_value");
}
