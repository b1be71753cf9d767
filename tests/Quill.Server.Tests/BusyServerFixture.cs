// A second server with one slot and a one-request queue, and a long context so that a generation can hold its slot; not a test.
using Quill.Models.Synthetic;

namespace Quill.Server.Tests;

/// <summary>
/// One slot, a queue of one, 4096 tokens of context: a greedy generation of thousands of tokens keeps the slot busy
/// for seconds (greedy decoding of this random model never draws the end token, which the tests check).
/// </summary>
public sealed class BusyServerFixture : ServerFixture
{
    public const int LongContext = 32768;

    protected override SyntheticModelOptions Model => base.Model with { ContextLength = LongContext };

    protected override ServerOptions Options(string modelPath) => base.Options(modelPath) with
    {
        Parallel = 1,
        QueueCapacity = 1,
        ContextLength = LongContext,
    };
}
