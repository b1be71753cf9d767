// Hugging Face's TemplateProcessing for a single sequence: special tokens around $A (BOS, [CLS] … [SEP]); pair templates are not supported.
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.HuggingFace.PostProcessors;

/// <summary>
/// The single template as a list of items: a run of special ids, or the sequence itself (id -1 marks it). Special
/// tokens are added only with addSpecial and get the empty offset (0, 0), as Hugging Face gives them.
/// </summary>
internal sealed class TemplatePostProcessor(int[] before, int[] after) : IPostProcessor
{
    public IReadOnlyList<int> Before { get; } = before;

    public IReadOnlyList<int> After { get; } = after;

    public void Process(ReadOnlySpan<char> text, TokenBuffer tokens, bool addSpecial)
    {
        if (!addSpecial) return;
        for (int i = 0; i < Before.Count; i++) tokens.Insert(i, Before[i], 0, 0);
        foreach (int id in After) tokens.Add(id, 0, 0);
    }
}

/// <summary>Runs post-processors in order.</summary>
internal sealed class SequencePostProcessor(IPostProcessor[] stages) : IPostProcessor
{
    public IReadOnlyList<IPostProcessor> Stages { get; } = stages;

    public void Process(ReadOnlySpan<char> text, TokenBuffer tokens, bool addSpecial)
    {
        foreach (IPostProcessor stage in stages) stage.Process(text, tokens, addSpecial);
    }
}
