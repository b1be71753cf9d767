// The flags the embedding commands share (-m, --pooling, -t) and loading the embedder they name.
using System.CommandLine;
using Quill.Embeddings;

namespace Quill.Cli.Commands;

internal sealed class EmbeddingOptions
{
    private readonly Option<string?> _model = new("--model", "-m")
    {
        Description = "An embedding model: a bert or gpt2 GGUF, a BERT .onnx, or a Hugging Face folder (default: all-MiniLM-L6-v2, built in)",
    };

    private readonly Option<string?> _pooling = new("--pooling") { Description = "How token vectors become one: mean, cls or max (default: the model's)" };
    private readonly Option<int> _threads = CommonOptions.Threads();

    public void AddTo(Command command)
    {
        command.Options.Add(_model);
        command.Options.Add(_pooling);
        command.Options.Add(_threads);
    }

    public ITextEmbedder Load(ParseResult r)
    {
        Pooling? pooling = r.GetValue(_pooling)?.ToLowerInvariant() switch
        {
            null => null,
            "mean" => Pooling.Mean,
            "cls" => Pooling.Cls,
            "max" => Pooling.Max,
            string other => throw new ArgumentException($"--pooling must be mean, cls or max, found '{other}'"),
        };
        using var progress = new ConsoleProgress("loading embedding model");
        return EmbedderCatalog.Load(r.GetValue(_model), pooling, r.GetValue(_threads));
    }

    /// <summary>Embeds <paramref name="texts"/>, warning on stderr about each text cut to the model's maximum.</summary>
    public static float[][] Embed(ITextEmbedder embedder, IReadOnlyList<string> texts)
    {
        EmbeddingResult result = embedder.Embed(texts);
        for (int i = 0; i < texts.Count; i++)
        {
            if (result.Truncated[i])
                Console.Error.WriteLine($"quill: warning: text {i + 1} is longer than {embedder.MaxTokens} tokens; only its start was embedded");
        }
        return result.Vectors;
    }
}
