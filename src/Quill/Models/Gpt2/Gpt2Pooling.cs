// How GPT-2 feature extraction turns per-token hidden states into one vector; the BERT pooling modes are TextPooling.
namespace Quill.Models.Gpt2;

/// <summary>Pooling of GPT-2's last hidden states. A causal model has no [CLS]: its summary token is the last one.</summary>
public enum Gpt2Pooling
{
    /// <summary>Average of every token's hidden state (what the course's feature-extraction pipeline averages).</summary>
    Mean,

    /// <summary>The last token's hidden state, the only one that has attended to the whole text.</summary>
    LastToken,
}
