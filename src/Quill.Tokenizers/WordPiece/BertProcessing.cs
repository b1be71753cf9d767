// BERT's post-processor for one sequence: [CLS] A [SEP]; not the pair form.
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.WordPiece;

/// <summary>
/// Hugging Face's BertProcessing (and the equivalent TemplateProcessing "[CLS] $A [SEP]") for a single sequence: with
/// special tokens, [CLS] goes first and [SEP] last, both with the empty offsets (0, 0) as Hugging Face gives them.
/// </summary>
public sealed class BertProcessing : IPostProcessor
{
    public BertProcessing(string sep, int sepId, string cls, int clsId)
    {
        ArgumentNullException.ThrowIfNull(sep);
        ArgumentNullException.ThrowIfNull(cls);
        Sep = sep;
        SepId = sepId;
        Cls = cls;
        ClsId = clsId;
    }

    public string Sep { get; }

    public int SepId { get; }

    public string Cls { get; }

    public int ClsId { get; }

    public void Process(ReadOnlySpan<char> text, TokenBuffer tokens, bool addSpecial)
    {
        if (!addSpecial) return;
        tokens.Insert(0, ClsId, 0, 0);
        tokens.Add(SepId, 0, 0);
    }
}
