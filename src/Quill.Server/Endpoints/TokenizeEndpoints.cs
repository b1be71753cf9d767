// POST /tokenize and POST /detokenize with the generative model's tokenizer, in llama.cpp server's shapes; not the OpenAI API.
using Microsoft.AspNetCore.Http;
using Quill.Server.Contracts;

namespace Quill.Server.Endpoints;

/// <summary>
/// /tokenize {content, add_special = false, parse_special = true, with_pieces = false} → {tokens: [ids]} or
/// {tokens: [{id, piece}]} (piece: the token's own bytes as text, leading space kept); /detokenize {tokens} → {content}.
/// </summary>
internal sealed class TokenizeEndpoints(ServedModels models)
{
    public async Task TokenizeAsync(HttpContext context)
    {
        TokenizeRequest request = await RequestBody.ReadAsync(context, ServerJsonContext.Default.TokenizeRequest).ConfigureAwait(false);
        if (request.Content is null) throw ApiError.BadRequest("Missing required parameter: 'content'.", "content", "missing_required_parameter");
        int[] ids = models.Tokenizer.Encode(request.Content, request.AddSpecial ?? false, request.ParseSpecial ?? true);
        if (request.WithPieces != true)
        {
            await JsonResponse.WriteAsync(context, new TokenizeResponse(ids), ServerJsonContext.Default.TokenizeResponse).ConfigureAwait(false);
            return;
        }
        var pieces = new List<TokenPiece>(ids.Length);
        foreach (int id in ids) pieces.Add(new TokenPiece(id, System.Text.Encoding.UTF8.GetString(models.Tokenizer.TokenBytes(id))));
        await JsonResponse.WriteAsync(context, new TokenizeWithPiecesResponse(pieces),
            ServerJsonContext.Default.TokenizeWithPiecesResponse).ConfigureAwait(false);
    }

    public async Task DetokenizeAsync(HttpContext context)
    {
        DetokenizeRequest request = await RequestBody.ReadAsync(context, ServerJsonContext.Default.DetokenizeRequest).ConfigureAwait(false);
        if (request.Tokens is not { } tokens) throw ApiError.BadRequest("Missing required parameter: 'tokens'.", "tokens", "missing_required_parameter");
        int vocab = models.Tokenizer.VocabSize;
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)vocab)
                throw ApiError.BadRequest($"Invalid 'tokens[{i}]': token ids must be in [0, {vocab}), found {tokens[i]}.", $"tokens[{i}]", "invalid_value");
        }
        await JsonResponse.WriteAsync(context, new DetokenizeResponse(models.Tokenizer.Decode(tokens)),
            ServerJsonContext.Default.DetokenizeResponse).ConfigureAwait(false);
    }
}
