// `quill embed`, `quill similarity`, `quill analogy`: text vectors, cosine similarity and word analogies; the models live in Quill.Embeddings.
using System.CommandLine;
using System.Globalization;
using Quill.Embeddings;
using Quill.Formats;

namespace Quill.Cli.Commands;

internal static class EmbedCommand
{
    /// <summary>Candidates ranked by `analogy` when none are given: the royalty and family words of the course's example.</summary>
    public static readonly string[] DefaultCandidates =
    [
        "queen", "king", "prince", "princess", "woman", "man", "duke", "duchess", "emperor", "empress", "monarch", "lady",
        "lord", "girl", "boy", "mother", "father", "daughter", "son", "wife", "husband", "sister", "brother", "throne",
    ];

    public static Command Embed()
    {
        var texts = new Argument<string[]>("TEXT") { Description = "Texts to embed; - reads one text per line from stdin", Arity = ArgumentArity.OneOrMore };
        var json = CommonOptions.Json();
        var options = new EmbeddingOptions();
        var command = new Command("embed", "Print one vector per text\n  example: quill embed --json \"The cat sat\" \"A dog ran\"") { texts, json };
        options.AddTo(command);
        command.SetAction(r => CliErrors.Run(() =>
        {
            List<string> inputs = ReadTexts(r.GetValue(texts)!);
            using ITextEmbedder embedder = options.Load(r);
            float[][] vectors = EmbeddingOptions.Embed(embedder, inputs);
            if (r.GetValue(json))
            {
                Console.Out.WriteLine(PlainJson.Serialize(new Dictionary<string, object>
                {
                    ["model"] = embedder.ModelName,
                    ["dim"] = embedder.Dimensions, ["data"] = vectors
                }));
                return 0;
            }
            foreach (float[] vector in vectors)
                Console.Out.WriteLine("[" + string.Join(", ", vector.Select(v => v.ToString("G7", CultureInfo.InvariantCulture))) + "]");
            return 0;
        }));
        return command;
    }

    public static Command Similarity()
    {
        var a = new Argument<string>("A") { Description = "First text" };
        var b = new Argument<string>("B") { Description = "Second text" };
        var options = new EmbeddingOptions();
        var command = new Command("similarity",
            "Print the cosine similarity of two texts' vectors\n  example: quill similarity \"I love dogs\" \"I adore puppies\"") { a, b };
        options.AddTo(command);
        command.SetAction(r => CliErrors.Run(() =>
        {
            using ITextEmbedder embedder = options.Load(r);
            float[][] vectors = EmbeddingOptions.Embed(embedder, [r.GetValue(a)!, r.GetValue(b)!]);
            Console.Out.WriteLine(TextPooling.Cosine(vectors[0], vectors[1]).ToString("F6", CultureInfo.InvariantCulture));
            return 0;
        }));
        return command;
    }

    public static Command Analogy()
    {
        var a = new Argument<string>("A") { Description = "The word to start from (king)" };
        var b = new Argument<string>("B") { Description = "The word to take away (man)" };
        var c = new Argument<string>("C") { Description = "The word to add (woman)" };
        var candidates =
            new Option<string?>("--candidates") { Description = "Comma-separated words to rank (default: a built-in list of royalty and family words)" };
        var json = CommonOptions.Json();
        var options = new EmbeddingOptions();
        var command = new Command("analogy",
            "Rank words by cosine with A − B + C (the built-in candidates leave A, B and C out)\n  example: quill analogy king man woman --candidates " +
            "queen,prince,princess") { a, b, c, candidates, json };
        options.AddTo(command);
        command.SetAction(r => CliErrors.Run(() =>
        {
            // The built-in list leaves out the three words themselves, as word-vector tools' most_similar does.
            string[] words = r.GetValue(candidates) is { } list
                ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : [.. DefaultCandidates.Except([r.GetValue(a)!, r.GetValue(b)!, r.GetValue(c)!], StringComparer.OrdinalIgnoreCase)];
            if (words.Length == 0) throw new ArgumentException("--candidates needs at least one word");
            using ITextEmbedder embedder = options.Load(r);
            float[][] vectors = EmbeddingOptions.Embed(embedder, [r.GetValue(a)!, r.GetValue(b)!, r.GetValue(c)!, .. words]);
            var target = new float[embedder.Dimensions];
            for (int i = 0; i < target.Length; i++) target[i] = vectors[0][i] - vectors[1][i] + vectors[2][i];
            var ranked = words.Select((word, i) => (Word: word, Cosine: TextPooling.Cosine(target, vectors[3 + i])))
                .OrderByDescending(x => x.Cosine).ToList();
            if (r.GetValue(json))
            {
                Console.Out.WriteLine(PlainJson.Serialize(ranked.Select(x => new Dictionary<string, object> { ["word"] = x.Word, ["cosine"] = x.Cosine })));
                return 0;
            }
            Console.Out.WriteLine($"{r.GetValue(a)} − {r.GetValue(b)} + {r.GetValue(c)} ≈");
            int width = Math.Max(4, ranked.Max(x => x.Word.Length));
            for (int i = 0; i < ranked.Count; i++)
                Console.Out.WriteLine($"{i + 1,4}  {ranked[i].Word.PadRight(width)}  {ranked[i].Cosine.ToString("F4", CultureInfo.InvariantCulture)}");
            return 0;
        }));
        return command;
    }

    private static List<string> ReadTexts(string[] arguments)
    {
        if (arguments is ["-"])
        {
            var lines = new List<string>();
            using var reader = new StreamReader(Console.OpenStandardInput(), new System.Text.UTF8Encoding(false, false));
            while (reader.ReadLine() is { } line)
            {
                if (line.Trim().Length > 0) lines.Add(line);
            }
            if (lines.Count == 0) throw new ArgumentException("stdin: expected at least one non-empty line to embed");
            return lines;
        }
        return [.. arguments];
    }
}
