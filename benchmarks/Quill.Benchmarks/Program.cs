// Benchmarks entry point: `compare` runs whole models side by side with llama.cpp; anything else goes to BenchmarkDotNet.
using BenchmarkDotNet.Running;
using Quill.Benchmarks;

if (args.Length > 0 && args[0] == "compare")
    return ModelComparison.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(ModelComparison).Assembly).Run(args);
return 0;
