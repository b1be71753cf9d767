// Serves the playground page from the assembly's embedded Playground/ resources (/ is index.html).
using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;

namespace Quill.Server.Endpoints;

/// <summary>
/// The fallback route: a GET or HEAD for "/" or "/name.ext" answers the resource "Playground/name.ext" with its content
/// type; anything else (or a file that is not there, e.g. while the page is not built in) is OpenAI's 404.
/// </summary>
internal static class PlaygroundFiles
{
    private const string Folder = "Playground/";
    private static readonly Assembly Resources = typeof(ServerAssembly).Assembly;
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static async Task ServeAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "/";
        bool read = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);
        string name = Folder + (path is "/" or "" ? "index.html" : path.TrimStart('/'));
        Stream? file = read && !path.Contains("..", StringComparison.Ordinal) ? Resources.GetManifestResourceStream(name) : null;
        if (file is null) throw ApiError.UnknownRoute(context.Request.Method, path);
        await using (file)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = ContentTypes.TryGetContentType(name, out string? type) ? AddCharset(type) : "application/octet-stream";
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.ContentLength = file.Length;
            if (HttpMethods.IsGet(context.Request.Method)) await file.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static string AddCharset(string type) =>
        type.StartsWith("text/", StringComparison.Ordinal) || type is "application/javascript" or "application/json" ? type + "; charset=utf-8" : type;
}
