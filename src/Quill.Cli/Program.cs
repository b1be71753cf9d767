// The quill command line: wiring and printing only; each command lives in Commands/, the work in the library.
using System.CommandLine;
using System.CommandLine.Help;
using Quill.Cli.Commands;

// A plain Command named "quill" (not RootCommand, which names itself after the executable, Quill.Cli) so that usage
// lines read as people type them.
var root = new Command("quill", "Quill: large language models in C#, with no native inference library underneath.")
{
    new HelpOption(),
    new VersionOption(),
    DemoCommand.Create(),
    GenerateCommand.Create(),
    InfoCommand.Create(),
    LogitsCommand.Create(),
    CreateCommand.Create(),
    BenchCommand.Create(),
    TokenizeCommand.Create(),
    TokenizerCommand.Create(),
    ChatTemplateCommand.Create(),
    ChatCommand.Create(),
    ConvertCommand.Create(),
    QuantizeCommand.Create(),
    PerplexityCommand.Create(),
    ImatrixCommand.Create(),
    PruneCommand.Create(),
    CompressCommand.Create(),
    EmbedCommand.Embed(),
    EmbedCommand.Similarity(),
    EmbedCommand.Analogy(),
    IndexCommand.Create(),
    AskCommand.Create(),
    TaskCommand.Create(),
    GuardCommand.Create(),
    ServeCommand.Create(),
    MonitorCommand.Create(),
    TrainCommand.Train(),
    TrainCommand.Finetune(),
    TrainCommand.Dpo(),
    DistillCommand.Create(),
    LoraCommand.Create(),
    PublishCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
