// dotnet pack, then a fresh console app and the quill tool from the packed .nupkg files only: load, generate, embed, chat.
using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace Quill.Packaging.Tests;

public sealed class PackagesFixture : IDisposable
{
    public PackagesFixture()
    {
        Root = FindRoot();
        Folder = Directory.CreateTempSubdirectory("quill-packages-").FullName;
        Feed = Path.Combine(Folder, "feed");
        // ./test has built the Release solution; packing reuses it.
        Result pack = Process.Run("dotnet", Root, "pack", Path.Combine(Root, "Quill.slnx"), "-c", "Release", "--no-build", "--nologo", "-v", "quiet",
            "-o", Feed);
        Assert.True(pack.ExitCode == 0, pack.Output);
    }

    public string Root { get; }
    public string Folder { get; }
    public string Feed { get; }

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Quill.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException("no Quill.slnx above the test's folder");
    }
}

public sealed class PackagesTests(PackagesFixture packages) : IClassFixture<PackagesFixture>
{
    private static readonly string[] Libraries = ["Quill.Tensors", "Quill.Formats", "Quill.Tokenizers", "Quill", "Quill.Search", "Quill.Server",
        "Quill.Training", "Quill.Tasks", "Quill.Safety",
        "Quill.Monitoring"];

    [Fact]
    public void EveryLibraryIsPackedWithMetadataSymbolsAndPackageDependencies()
    {
        foreach (string id in Libraries)
        {
            string nupkg = Path.Combine(packages.Feed, $"{id}.0.1.0.nupkg");
            Assert.True(File.Exists(nupkg), $"{id} was not packed");
            Assert.True(File.Exists(Path.ChangeExtension(nupkg, ".snupkg")), $"{id} has no symbol package");
            using ZipArchive zip = ZipFile.OpenRead(nupkg);
            Assert.NotNull(zip.GetEntry("README.md"));
            Assert.NotNull(zip.GetEntry($"lib/net10.0/{id}.dll"));
            using Stream nuspec = zip.GetEntry($"{id}.nuspec")!.Open();
            XElement metadata = XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string Get(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? "";
            Assert.False(string.IsNullOrWhiteSpace(Get("description")), $"{id} has no description");
            Assert.Equal("MIT", Get("license"));
            Assert.Matches("^[0-9a-f]{40}$", metadata.Elements().Single(e => e.Name.LocalName == "repository").Attribute("commit")!.Value);
            string[] dependencies = [.. metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value)];
            if (id != "Quill.Tensors") Assert.Contains(dependencies, d => d.StartsWith("Quill", StringComparison.Ordinal));
        }
        using ZipArchive quill = ZipFile.OpenRead(Path.Combine(packages.Feed, "Quill.0.1.0.nupkg"));
        Assert.NotNull(quill.GetEntry("contentFiles/any/any/minilm/model.onnx"));
    }

    [Fact]
    public void AFreshConsoleAppLoadsGeneratesEmbedsAndChatsFromThePackages()
    {
        string app = Path.Combine(packages.Folder, "consumer");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="quill" value="{packages.Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="quill"><package pattern="Quill*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        // Isolated from the repository's Directory.Build.props and central package versions, as a user's app is.
        File.WriteAllText(Path.Combine(app, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(app, "Directory.Packages.props"), "<Project />");
        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Quill" Version="0.1.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using Microsoft.Extensions.AI;
            using Quill;
            using Quill.AI;
            using Quill.Embeddings;
            using Quill.Generation;
            using Quill.Models.Synthetic;

            string model = Path.Combine(args[0], "model.gguf");
            SyntheticModelWriter.Write(model, new SyntheticModelOptions { VocabSize = 600, ContextLength = 128 });
            using var lm = LanguageModel.Load(model, new LoadOptions { Threads = 1 });
            var generated = new Generator(lm.Model, lm.Tokenizer).Generate(new GenerationRequest
            {
                Prompt = "Hello", MaxTokens = 6, Sampling = SamplingOptions.Greedy,
            });
            Console.WriteLine($"generated {generated.CompletionTokens} tokens");
            using var embedder = DefaultEmbedder.Load(Path.Combine(args[0], "embedder-cache"), threads: 1);
            float[] vector = embedder.Embed(["The cat sat on the mat."]).Vectors[0];
            Console.WriteLine($"embedded {vector.Length} dimensions");
            using var client = QuillChatClient.FromModel(lm);
            ChatResponse reply = await client.GetResponseAsync("Hi", new ChatOptions { MaxOutputTokens = 4, Temperature = 0 });
            Console.WriteLine($"chat {reply.Usage?.OutputTokenCount} tokens");
            """);
        Result run = Process.Run("dotnet", app, "run", "-c", "Release", "--", app);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("generated 6 tokens", run.Output);
        Assert.Contains("embedded 384 dimensions", run.Output);
        Assert.Matches(@"chat \d+ tokens", run.Output);
        Assert.True(File.Exists(Path.Combine(app, "bin", "Release", "net10.0", "minilm", "model.onnx")));
    }

    [Fact]
    public void TheQuillToolInstallsFromThePackage()
    {
        string tools = Path.Combine(packages.Folder, "tools");
        Result install = Process.Run("dotnet", packages.Folder, "tool", "install", "Quill.Cli", "--version", "0.1.0", "--tool-path", tools,
            "--add-source", packages.Feed);
        Assert.True(install.ExitCode == 0, install.Output);
        Result help = Process.Run(Path.Combine(tools, "quill"), packages.Folder, "--help");
        Assert.True(help.ExitCode == 0, help.Output);
        Assert.Contains("generate", help.Output);
        Result demo = Process.Run(Path.Combine(tools, "quill"), packages.Folder, "generate", "-p", "And God said", "-n", "4", "--temperature", "0");
        Assert.True(demo.ExitCode == 0, demo.Output);
    }
}

internal sealed record Result(int ExitCode, string Output);

internal static class Process
{
    public static Result Run(string file, string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = System.Diagnostics.Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(600_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 10 minutes");
        }
        return new Result(process.ExitCode, stdout.Result + stderr.Result);
    }
}
