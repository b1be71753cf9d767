// `quill publish`: listed in the help; the repository's ./quill script does the work (it runs dotnet publish on the sources).
using System.CommandLine;

namespace Quill.Cli.Commands;

internal static class PublishCommand
{
    public static Command Create()
    {
        var aot = new Option<bool>("--aot") { Description = "A NativeAOT binary for this machine's CPU instead of a self-contained single file" };
        var output = new Option<string?>("--output", "-o") { Description = "The folder to write quill into (default: artifacts/publish)" };
        var command = new Command("publish", "Build quill as one self-contained file (models and the embedder inside) or, with --aot, a NativeAOT binary;\n" +
            "  run it from a clone of the repository, where ./quill builds from the sources\n" +
            "  example: ./quill publish -o ~/bin/quill-dist\n" +
            "  example: ./quill publish --aot") { aot, output };
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("quill: publish builds quill from its sources: run ./quill publish in a clone of the Quill repository");
            return 1;
        });
        return command;
    }
}
