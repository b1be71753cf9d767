// The quill command line: wiring and printing only; every command lives in Commands/.
using System.CommandLine;

var root = new RootCommand("Quill: large language models in C#, no native inference library underneath.");
return root.Parse(args).Invoke();
