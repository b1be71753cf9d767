// `quill distill`: flags into a distillation TrainingJobSpec (a student learning a teacher's distributions), then the run.
using System.CommandLine;
using System.Globalization;
using Quill.Training.Distillation;
using Quill.Training.Model;

namespace Quill.Cli.Commands;

internal static class DistillCommand
{
    public static Command Create()
    {
        var flags = new TrainingFlags();
        var teacher = new Option<string?>("--teacher") { Description = "The teacher GGUF (llama); its tokenizer and vocabulary are the student's" };
        var preset = new Option<string?>("--preset") { Description = $"A new student of this shape: {string.Join(", ", LlamaShape.Presets.Keys)}" };
        var config = new Option<string?>("--config")
        {
            Description = "A new student of the shape in this JSON file: {\"dim\", \"layers\", \"heads\", \"kv_heads\", \"ffn\", \"context\"}",
        };
        var student = new Option<string?>("--student") { Description = "Start the student from this GGUF (its vocabulary must be the teacher's)" };
        var fromTeacher = new Option<bool>("--init-from-teacher")
        {
            Description = "Start the student as the teacher with only --keep-layers (embeddings, norms and head copied)",
        };
        var keepLayers = new Option<string?>("--keep-layers")
        {
            Description = "Teacher blocks the student keeps with --init-from-teacher, e.g. 0,2,4 (default: every other one)",
        };
        var temperature = new Option<float>("--temperature")
        {
            Description = "T: softens the teacher's and the student's distributions in the KD term",
            DefaultValueFactory = _ => DistillationLoss.DefaultTemperature,
        };
        var alpha = new Option<float>("--alpha")
        {
            Description = "Weight of the KD term, T²·KL(teacher ‖ student); 1 − alpha weighs cross-entropy on the data",
            DefaultValueFactory = _ => DistillationLoss.DefaultAlpha,
        };
        var command = new Command("distill", "Train a smaller student to mimic a larger teacher (knowledge distillation) on text files\n" +
            "  loss = alpha·T²·KL(softmax(teacher/T) ‖ softmax(student/T)) + (1 − alpha)·cross-entropy(student, next token)\n" +
            "  the student: --preset or --config (new), --student S.gguf, or --init-from-teacher [--keep-layers 0,2,4]\n" +
            "  writes OUT_DIR/model.gguf, metrics.jsonl (loss, kd_loss, ce_loss), loss.png, checkpoints/\n" +
            "  example: quill distill --teacher big.gguf --preset tiny --data corpus.txt -o runs/student --steps 500")
        {
            teacher, preset, config, student, fromTeacher, keepLayers, temperature, alpha,
        };
        foreach (var o in flags.All()) command.Options.Add(o);
        command.SetAction((r, ct) => Task.FromResult(CliErrors.Run(() =>
        {
            if (TrainCommand.Resumed(r, flags, "distill") is { } resumed) return TrainCommand.Execute(resumed, true, r.GetValue(flags.StopAfter), ct);
            string teacherPath = r.GetValue(teacher) ?? throw new ArgumentException("distill needs a teacher (--teacher TEACHER.gguf)");
            int starts = new[] { r.GetValue(preset) is not null, r.GetValue(config) is not null, r.GetValue(student) is not null, r.GetValue(fromTeacher) }
                .Count(given => given);
            if (starts != 1) throw new ArgumentException("distill needs one student: --preset, --config, --student S.gguf or --init-from-teacher");
            if (r.GetValue(keepLayers) is not null && !r.GetValue(fromTeacher)) throw new ArgumentException("--keep-layers needs --init-from-teacher");
            float t = r.GetValue(temperature), a = r.GetValue(alpha);
            var spec = flags.ToSpec(r, "distill") with
            {
                Teacher = Path.GetFullPath(teacherPath),
                Shape = r.GetValue(preset) is { } name ? LlamaShape.Preset(name) : r.GetValue(config) is { } file ? LlamaShape.FromJsonFile(file) : null,
                BaseModel = r.GetValue(student) is { } s ? Path.GetFullPath(s) : null,
                InitFromTeacher = r.GetValue(fromTeacher),
                KeepLayers = r.GetValue(keepLayers) is { } layers ? DistillationStudent.ParseLayers(layers) : null,
                DistillTemperature = t > 0 && float.IsFinite(t) ? t : throw new ArgumentException($"--temperature must be positive, found {Show(t)}"),
                DistillAlpha = a is >= 0 and <= 1 ? a : throw new ArgumentException($"--alpha must be in [0, 1], found {Show(a)}"),
                LoraRank = 0,
            };
            return TrainCommand.Execute(spec, false, r.GetValue(flags.StopAfter), ct);
        })));
        return command;
    }

    private static string Show(float value) => value.ToString(CultureInfo.InvariantCulture);
}
