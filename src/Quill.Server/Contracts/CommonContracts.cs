// Small JSON shapes shared by several routes: errors, models, tokenize, health.
namespace Quill.Server.Contracts;

internal sealed record ErrorBody(ErrorDetail Error);

internal sealed record ErrorDetail(string Message, string Type, string? Param, string? Code)
{
    /// <summary>Present only on a request the guard blocked (Azure OpenAI's content-filter detail).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public Guard.GuardInnerError? Innererror { get; init; }
}

internal sealed record ModelList(List<ModelCard> Data)
{
    public string Object => "list";
}

internal sealed record ModelCard(string Id, long Created)
{
    public string Object => "model";
    public string OwnedBy => "quill";
}

/// <summary>POST /tokenize, as llama.cpp's server takes it.</summary>
internal sealed class TokenizeRequest
{
    public string? Content { get; set; }
    public bool? AddSpecial { get; set; }
    public bool? ParseSpecial { get; set; }
    public bool? WithPieces { get; set; }
}

internal sealed record TokenizeResponse(int[] Tokens);

internal sealed record TokenPiece(int Id, string Piece);

internal sealed record TokenizeWithPiecesResponse(List<TokenPiece> Tokens);

internal sealed class DetokenizeRequest
{
    public int[]? Tokens { get; set; }
}

internal sealed record DetokenizeResponse(string Content);

internal sealed record HealthResponse(string Status, int Slots, int ActiveSlots, int QueuedRequests);
