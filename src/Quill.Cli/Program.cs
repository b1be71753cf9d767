// The quill command line: wiring and printing only; each command lives in Commands/, the work in the library.
using System.CommandLine;
using Quill.Cli.Commands;

var root = new RootCommand("Quill: large language models in C#, with no native inference library underneath.")
{
    DemoCommand.Create(),
    GenerateCommand.Create(),
    InfoCommand.Create(),
    LogitsCommand.Create(),
    CreateCommand.Create(),
    BenchCommand.Create(),
};
return root.Parse(args).Invoke();
