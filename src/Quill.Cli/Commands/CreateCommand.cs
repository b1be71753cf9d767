// `quill create`: writes a decoder GGUF with deterministic random weights and a usable tokenizer.
using System.CommandLine;
using Quill.Models.Synthetic;
using Quill.Tensors;

namespace Quill.Cli.Commands;

internal static class CreateCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output", "-o") { Description = "The .gguf file to write", Required = true };
        var arch = new Option<string>("--arch") { Description = "llama, qwen2 or gpt2", DefaultValueFactory = _ => "llama" };
        var dim = new Option<int>("--dim") { Description = "Embedding width C", DefaultValueFactory = _ => 64 };
        var layers = new Option<int>("--layers") { Description = "Transformer blocks", DefaultValueFactory = _ => 2 };
        var heads = new Option<int>("--heads") { Description = "Attention heads H", DefaultValueFactory = _ => 4 };
        var kvHeads = new Option<int?>("--kv-heads") { Description = "Key/value heads (default: --heads)" };
        var ffn = new Option<int>("--ffn") { Description = "Feed-forward width F", DefaultValueFactory = _ => 128 };
        var vocab = new Option<int>("--vocab") { Description = "Vocabulary size V (at least 260)", DefaultValueFactory = _ => 512 };
        var ctx = new Option<int>("--ctx") { Description = "Context length", DefaultValueFactory = _ => 512 };
        var type = new Option<string>("--type") { Description = "Weight type: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1", DefaultValueFactory = _ => "f32" };
        var seed = new Option<ulong>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 42UL };
        var tied = new Option<bool>("--tied") { Description = "Share the output head with the token embedding" };
        var command = new Command("create", "Write a model with deterministic random weights (for tests and benchmarks)\n" +
            "  example: quill create -o tiny.gguf --arch llama --dim 64 --layers 2 --heads 4 --kv-heads 2 --ffn 128 --vocab 300")
        {
            output, arch, dim, layers, heads, kvHeads, ffn, vocab, ctx, type, seed, tied,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            var options = new SyntheticModelOptions
            {
                Architecture = r.GetValue(arch)!,
                Dim = r.GetValue(dim),
                Layers = r.GetValue(layers),
                Heads = r.GetValue(heads),
                KvHeads = r.GetValue(kvHeads) ?? r.GetValue(heads),
                FeedForwardDim = r.GetValue(ffn),
                VocabSize = r.GetValue(vocab),
                ContextLength = r.GetValue(ctx),
                Type = ParseType(r.GetValue(type)!),
                Seed = r.GetValue(seed),
                TiedEmbeddings = r.GetValue(tied),
            };
            string path = r.GetValue(output)!;
            using (var progress = new ConsoleProgress("writing"))
                SyntheticModelWriter.Write(path, options, progress);
            Console.Out.WriteLine($"wrote {path} ({new FileInfo(path).Length:N0} bytes)");
            return 0;
        }));
        return command;
    }

    internal static GgmlType ParseType(string text) => text.ToLowerInvariant() switch
    {
        "f32" => GgmlType.F32,
        "f16" => GgmlType.F16,
        "bf16" => GgmlType.BF16,
        "q8_0" => GgmlType.Q8_0,
        "q4_0" => GgmlType.Q4_0,
        "q4_1" => GgmlType.Q4_1,
        "q5_0" => GgmlType.Q5_0,
        "q5_1" => GgmlType.Q5_1,
        _ => throw new ArgumentException($"--type '{text}' is not one of: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1"),
    };
}
