// The sampling and length flags shared by `generate` and `chat`, mapped onto a GenerationRequest.
using System.CommandLine;
using Quill.Generation;

namespace Quill.Cli.Commands;

internal sealed class SamplingFlags
{
    private readonly Option<int> _maxTokens = new("--max-tokens", "-n") { Description = "Most tokens to generate", DefaultValueFactory = _ => 128 };
    private readonly Option<float> _temperature = new("--temperature", "--temp")
    {
        Description = "Sampling temperature; 0 = greedy",
        DefaultValueFactory = _ => 0.8f
    };
    private readonly Option<float> _topP = new("--top-p")
    {
        Description = "Nucleus sampling: keep the smallest set with this much probability (1 = off)",
        DefaultValueFactory = _ => 0.95f
    };
    private readonly Option<int> _topK = new("--top-k") { Description = "Keep the K most likely tokens (0 = off)", DefaultValueFactory = _ => 40 };
    private readonly Option<float> _minP = new("--min-p")
    {
        Description = "Drop tokens below this fraction of the top probability (0 = off)",
        DefaultValueFactory = _ => 0.05f
    };
    private readonly Option<float> _repeatPenalty = new("--repeat-penalty")
    {
        Description = "Penalise recently seen tokens (1 = off)",
        DefaultValueFactory = _ => 1.0f
    };
    private readonly Option<float> _presencePenalty = new("--presence-penalty") { Description = "OpenAI presence penalty", DefaultValueFactory = _ => 0f };
    private readonly Option<float> _frequencyPenalty = new("--frequency-penalty") { Description = "OpenAI frequency penalty", DefaultValueFactory = _ => 0f };
    private readonly Option<ulong?> _seed = new("--seed", "-s") { Description = "Random seed (same seed, same text)" };
    private readonly Option<string[]> _stop = new("--stop")
    {
        Description = "Stop when this text appears (repeatable; \\n and \\t are escapes)",
        AllowMultipleArgumentsPerToken = false
    };
    private readonly Option<int?> _context =
        new("--ctx")
        {
            Description = "KV cache size in tokens, prompt plus output; generation stops when it is full (default: the model's whole context " +
        "length)"
        };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _maxTokens, _temperature, _topP, _topK, _minP, _repeatPenalty, _presencePenalty, _frequencyPenalty, _seed, _stop,
            _context })
            command.Options.Add(o);
    }

    public GenerationRequest Request(ParseResult r)
    {
        int maxTokens = r.GetValue(_maxTokens);
        if (maxTokens < 0) throw new ArgumentException($"--max-tokens must be 0 or more, got {maxTokens}");
        float temperature = r.GetValue(_temperature);
        float topP = r.GetValue(_topP);
        if (topP is <= 0 or > 1) throw new ArgumentException($"--top-p must be in (0, 1], got {topP}");
        return new GenerationRequest
        {
            MaxTokens = maxTokens,
            Stop = (r.GetValue(_stop) ?? []).Select(EscapedText.Unescape).ToArray(),
            ContextLength = r.GetValue(_context),
            Sampling = new SamplingOptions
            {
                Temperature = temperature,
                TopP = topP,
                TopK = r.GetValue(_topK),
                MinP = r.GetValue(_minP),
                RepeatPenalty = r.GetValue(_repeatPenalty),
                PresencePenalty = r.GetValue(_presencePenalty),
                FrequencyPenalty = r.GetValue(_frequencyPenalty),
                Seed = r.GetValue(_seed),
            },
        };
    }
}
