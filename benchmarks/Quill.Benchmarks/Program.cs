// Benchmarks entry point: `compare` runs whole models side by side with llama.cpp, `server` loads the HTTP server, `guard-tune` tunes the
// guard's encoder, `guard-stage` compares its logistic stages; anything else goes to BenchmarkDotNet.
using BenchmarkDotNet.Running;
using Quill.Benchmarks;
using Quill.Benchmarks.Comparison;

if (args.Length > 0 && args[0] == "compare")
    return ModelComparison.Run(args[1..]);
if (args.Length > 0 && args[0] == EngineRun.Command)
    return EngineRun.RunChild(args[1..]);
if (args.Length > 0 && args[0] == "server")
    return await ServerLoad.Run(args[1..]);
if (args.Length > 0 && args[0] == GuardEncoderTuning.Command)
    return GuardEncoderTuning.Run(args[1..]);
if (args.Length > 0 && args[0] == GuardStageVariants.Command)
    return GuardStageVariants.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(ModelComparison).Assembly).Run(args);
return 0;
