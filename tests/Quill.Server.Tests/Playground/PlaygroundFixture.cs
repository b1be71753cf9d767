// One QuillServer on a random-weight Llama and one headless Debian Chromium shared by the playground page tests; not a test.
using Microsoft.Playwright;
using Quill.Models.Synthetic;

namespace Quill.Server.Tests.Playground;

/// <summary>
/// Starts the real server (port 0) on a synthetic model with a chat template, and Chromium through Playwright's bundled
/// driver. Playwright never downloads a browser here: a missing /usr/bin/chromium fails every test with how to get it.
/// </summary>
public sealed class PlaygroundFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private const string ChatTemplate =
        "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}";

    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"];

    private readonly string _folder = Directory.CreateTempSubdirectory("quill-playground-").FullName;
    private QuillServer? _server;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public QuillServer Server => _server ?? throw new InvalidOperationException("the fixture is not started");
    public IBrowser Browser => _browser ?? throw new InvalidOperationException("the fixture is not started");

    /// <summary>Where the tests save their screenshots: TestResults/playground next to the test binaries.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "playground");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"{ChromiumPath} is missing: the playground tests drive Debian's Chromium, which ./test installs " +
                "(or run: apt-get install -y --no-install-recommends chromium)");
        }
        string model = Path.Combine(_folder, "playground-llama.gguf");
        SyntheticModelWriter.Write(model, new SyntheticModelOptions
        {
            Dim = 32, Layers = 1, Heads = 2, KvHeads = 1, VocabSize = 1024, ChatTemplate = ChatTemplate,
        });
        // The guard blocks, so that the page's display of a blocked request is checked too; ordinary prompts pass it.
        _server = await QuillServer.StartAsync(new ServerOptions { ModelPath = model, Port = 0, Parallel = 2, Guard = Quill.Server.Guard.GuardMode.Block });
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true, Args = ChromiumArgs });
        Directory.CreateDirectory(ScreenshotFolder);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { } // the model may still be mapped until the runtime finalises it
        catch (UnauthorizedAccessException) { }
    }
}
