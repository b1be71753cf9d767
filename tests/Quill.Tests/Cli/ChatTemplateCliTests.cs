// End-to-end checks of `quill chat-template`: the exact prompt on stdout, and one-line errors for bad files.
namespace Quill.Tests.Cli;

public class ChatTemplateCliTests
{
    private static string Temp(string name, string text)
    {
        string folder = Directory.CreateTempSubdirectory("quill-chat-").FullName;
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void PrintsTheRenderedPromptAndNothingElse()
    {
        string messages = Temp("chat.json", """{"messages": [{"role": "user", "content": "Hi"}]}""");
        string config = Temp("tokenizer_config.json",
            """{"chat_template": "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}""" +
            """{% if add_generation_prompt %}[assistant]{% endif %}", "bos_token": "<s>"}""");
        var r = QuillCli.Run("chat-template", "-m", config, "--messages", messages);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("<s>[user]Hi[assistant]", r.Stdout);
        r = QuillCli.Run("chat-template", "-m", config, "--messages", messages, "--no-generation-prompt");
        Assert.Equal("<s>[user]Hi", r.Stdout);
        r = QuillCli.Run("chat-template", "--builtin", "chatml", "--messages", messages);
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", r.Stdout);
    }

    [Theory]
    [InlineData("[{\"role\": 1}]", "message 0 must be")]
    [InlineData("{\"nope\": true}", "expected a JSON array")]
    [InlineData("[", "expected JSON")]
    public void BadMessageFilesGiveOneLineErrors(string json, string fragment)
    {
        string messages = Temp("chat.json", json);
        var r = QuillCli.Run("chat-template", "--builtin", "chatml", "--messages", messages);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("quill: " + messages + ": ", r.Stderr);
        Assert.Contains(fragment, r.Stderr);
        Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void UnsupportedTemplateConstructIsAOneLineError()
    {
        string messages = Temp("chat.json", "[]");
        string config = Temp("tokenizer_config.json", """{"chat_template": "ok\n{{ x | wordwrap }}"}""");
        var r = QuillCli.Run("chat-template", "-m", config, "--messages", messages);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("quill: chat template 'tokenizer_config.json': unsupported filter 'wordwrap' at line 2\n", r.Stderr);
    }
}
