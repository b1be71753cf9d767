// Options shared by several commands, declared once so every command spells them the same way.
using System.CommandLine;
using Quill.Models;

namespace Quill.Cli.Commands;

internal static class CommonOptions
{
    public static Option<string> Model(bool required = true) => new("--model", "-m")
    {
        Description = "Path to a GGUF model file",
        Required = required,
    };

    public static Option<int> Threads() => new("--threads", "-t")
    {
        Description = "Threads for the forward pass (default: every core)",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>--kv-type f16|f32: the KV cache's element type; read it with <see cref="KvType(ParseResult, Option{string})"/>.</summary>
    public static Option<string> KvType() => new("--kv-type")
    {
        Description = "KV cache element type: f16 (half the memory, as llama.cpp's default) or f32",
        DefaultValueFactory = _ => "f16",
        HelpName = "f16|f32",
    };

    /// <summary>The parsed --kv-type; an unknown name throws an ArgumentException that names the choices.</summary>
    public static KvCacheType KvType(ParseResult result, Option<string> option) => KvCacheTypes.Parse(result.GetValue(option) ?? "f16", "--kv-type");

    public static Option<bool> Json() => new("--json") { Description = "Print JSON instead of text" };

    public static Option<bool> Mmap() => new("--mmap")
    {
        Description = "Compute from the memory-mapped file instead of copying weights into aligned memory at load",
    };

    public static Option<bool> HugePages() => new("--huge-pages")
    {
        Description = "Copy the weights onto 2 MiB pages (Linux): decode a few % faster, load slower where fresh memory is slow to touch",
    };

    /// <summary>How --mmap and --huge-pages say to load the weights; both at once is an ArgumentException.</summary>
    public static WeightLoading Loading(ParseResult result, Option<bool> mmap, Option<bool> hugePages) =>
        (result.GetValue(mmap), result.GetValue(hugePages)) switch
        {
            (true, true) => throw new ArgumentException("--mmap computes from the file's own pages; leave out --huge-pages or --mmap"),
            (true, false) => WeightLoading.Map,
            (false, true) => WeightLoading.CopyHugePages,
            _ => WeightLoading.Copy,
        };
}
