// BenchmarkDotNet entry point for kernel micro-benchmarks; whole-model tokens/s live in `quill bench`.
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
