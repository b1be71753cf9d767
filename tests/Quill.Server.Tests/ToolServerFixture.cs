// A server for the tool-calling tests: the main fixture's model and template with a 2048-token context, room for the tools' description; not a test.
using Quill.Models.Synthetic;

namespace Quill.Server.Tests;

/// <summary>
/// The fixture's template knows no tools, so prompts carry the generic format's system section (hundreds of tokens in the
/// synthetic vocabulary).
/// </summary>
public sealed class ToolServerFixture : ServerFixture
{
    public const int ToolContext = 2048;

    protected override SyntheticModelOptions Model => base.Model with { ContextLength = ToolContext };

    protected override ServerOptions Options(string modelPath) => base.Options(modelPath) with { ContextLength = ToolContext };
}

[CollectionDefinition(Name)]
public sealed class ToolServerCollection : ICollectionFixture<ToolServerFixture>
{
    public const string Name = "tool server";
}
