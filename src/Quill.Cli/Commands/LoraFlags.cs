// The LoRA flags of `quill finetune` and `quill dpo`.
using System.CommandLine;
using Quill.Training.Runs;

namespace Quill.Cli.Commands;

internal sealed class LoraFlags
{
    public Option<int> Rank { get; } = new("--lora-rank") { Description = "LoRA rank r (A: r × in, random; B: out × r, zero)", DefaultValueFactory = _ => 8 };
    public Option<float> Alpha { get; } = new("--lora-alpha") { Description = "LoRA alpha; updates are scaled by alpha / r", DefaultValueFactory = _ => 16f };
    public Option<string> Targets { get; } = new("--lora-targets")
    {
        Description = "Projections to adapt, comma-separated",
        DefaultValueFactory = _ => "q,k,v,o,gate,up,down"
    };
    public Option<bool> Full { get; } = new("--full") { Description = "Train every weight instead of LoRA adapters" };

    public IEnumerable<Option> All() => [Rank, Alpha, Targets, Full];

    public TrainingJobSpec Apply(ParseResult r, TrainingJobSpec spec)
    {
        if (r.GetValue(Full)) return spec with { LoraRank = 0 };
        int rank = r.GetValue(Rank);
        if (rank < 1) throw new ArgumentException($"--lora-rank must be at least 1, found {rank}");
        string[] targets = r.GetValue(Targets)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (targets.Length == 0) throw new ArgumentException("--lora-targets names no projection");
        return spec with { LoraRank = rank, LoraAlpha = r.GetValue(Alpha), LoraTargets = targets };
    }
}
