// Splits generated text into content and tool calls as it streams: content deltas, then calls by index with argument pieces.
using System.Text;
using System.Text.Json;
using Quill.Tokenizers.ChatTemplates;

namespace Quill.Tools;

/// <summary>A piece of call <paramref name="Index"/>: its first piece carries <paramref name="Id"/> and <paramref name="Name"/>,
/// every piece some of the arguments' JSON text (concatenated, they are the whole arguments).</summary>
public sealed record ToolCallDelta(int Index, string? Id, string? Name, string Arguments);

/// <summary>What one <see cref="ToolCallParser.Push"/> released: content text, then call pieces.</summary>
public sealed record ToolCallUpdate(string Content, IReadOnlyList<ToolCallDelta> Calls)
{
    /// <summary>Nothing released.</summary>
    public bool IsEmpty => Content.Length == 0 && Calls.Count == 0;
}

/// <summary>
/// Incremental parser of one reply in a <see cref="ToolCallFormat"/>: text before the trigger is content (a suffix
/// that may still become the trigger is held back, and so is trailing whitespace until something else follows it, so
/// that the whitespace around calls never becomes content); after the trigger it scans the call JSON (strings and escapes
/// respected), releasing a call once its "name" is known and then its arguments value's raw text as it grows
/// (trailing whitespace held back), and skips the closing text. Every call object at the format's call level is one
/// call; one with no arguments gets "{}"; one cut off before its name is dropped. Pushing a text in pieces releases
/// the same content and calls, concatenated, as pushing it whole; <see cref="Parse"/> is that whole case.
/// </summary>
public sealed class ToolCallParser
{
    private enum State { Text, Call, Closing }

    private readonly ToolCallFormat _format;
    private readonly Func<string> _newId;
    private readonly int _callLevel;
    private readonly string _closeTag;
    private readonly StringBuilder _pending = new();
    private readonly StringBuilder _json = new();
    private StringBuilder _content = new();
    private List<ToolCallDelta> _deltas = [];
    private State _state;
    private string _heldSpace = "";
    private int _calls;

    // The call JSON scan.
    private int _depth;
    private bool _inString, _escape, _expectKey, _awaitColon, _inValue;
    private int _keyStart, _valueStart;
    private string? _key, _valueKey, _name, _id;
    private int _argStart = -1, _argEnd = -1, _argEmitted;
    private bool _headerSent, _objectOpen;

    /// <summary>A parser for <paramref name="format"/>; call ids come from <paramref name="newId"/> (default "call_" and 24 hex digits).</summary>
    public ToolCallParser(ToolCallFormat format, Func<string>? newId = null)
    {
        ArgumentNullException.ThrowIfNull(format);
        _format = format;
        _newId = newId ?? (() => "call_" + Guid.NewGuid().ToString("N")[..24]);
        _callLevel = format.CallsInArray ? 2 : 1;
        _closeTag = format.Close.Trim();
    }

    /// <summary>Calls released so far.</summary>
    public int CallCount => _calls;

    /// <summary>Parses <paramref name="text"/> whole: the content (null when there are calls and no other text) and the calls.</summary>
    public static (string? Content, IReadOnlyList<ChatToolCall> Calls) Parse(ToolCallFormat format, string text)
    {
        var parser = new ToolCallParser(format);
        var whole = new ToolCallAccumulator();
        whole.Add(parser.Push(text));
        whole.Add(parser.Finish());
        return (whole.Content, whole.Calls);
    }

    /// <summary>Feeds the next piece of generated text; returns what it releases.</summary>
    public ToolCallUpdate Push(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _pending.Append(text);
        Process();
        if (_state == State.Call) ReleaseArguments(final: false);
        return Take();
    }

    /// <summary>Ends the text: releases held content (a partial trigger; whitespace when there were no calls) and the rest of a cut-off call.</summary>
    public ToolCallUpdate Finish()
    {
        Process();
        if (_state == State.Call && _objectOpen) EndCall();
        if (_state == State.Text)
        {
            EmitContent(_pending.ToString());
            _pending.Clear();
        }
        if (_calls == 0) _content.Append(_heldSpace);
        _heldSpace = "";
        return Take();
    }

    private ToolCallUpdate Take()
    {
        var update = new ToolCallUpdate(_content.ToString(), _deltas);
        _content = new StringBuilder();
        _deltas = [];
        return update;
    }

    private void Process()
    {
        while (_pending.Length > 0)
        {
            if (_state == State.Text && !ProcessText()) return;
            if (_state == State.Call) ProcessCall();
            if (_state == State.Closing && !ProcessClosing()) return;
        }
    }

    /// <summary>Releases content up to the trigger and enters the call; false when it must wait for more text.</summary>
    private bool ProcessText()
    {
        string pending = _pending.ToString();
        int at = pending.IndexOf(_format.Trigger, StringComparison.Ordinal);
        if (at < 0)
        {
            int keep = PartialTrigger(pending);
            EmitContent(pending[..^keep]);
            _pending.Clear().Append(pending[^keep..]);
            return false;
        }
        EmitContent(pending[..at]);
        _heldSpace = "";
        _pending.Remove(0, at + (_format.TriggerIsJson ? 0 : _format.Trigger.Length));
        _state = State.Call;
        _json.Clear();
        _depth = 0;
        _inString = _escape = false;
        return true;
    }

    /// <summary>Scans pending text as call JSON until the call block closes (then Closing) or the text runs out.</summary>
    private void ProcessCall()
    {
        int used = 0;
        while (used < _pending.Length && _state == State.Call)
        {
            char c = _pending[used++];
            _json.Append(c);
            Scan(c, _json.Length - 1);
        }
        _pending.Remove(0, used);
    }

    private void Scan(char c, int i)
    {
        if (_inString)
        {
            if (_escape) _escape = false;
            else if (c == '\\') _escape = true;
            else if (c == '"')
            {
                _inString = false;
                if (_depth == _callLevel && _keyStart >= 0)
                {
                    _key = Decode(_keyStart, i + 1);
                    _keyStart = -1;
                    _awaitColon = true;
                }
            }
            return;
        }
        if (char.IsWhiteSpace(c)) return;
        if (_depth == 0 && c != (_format.CallsInArray ? '[' : '{'))
        {
            NotACall();
            return;
        }
        if (_depth == _callLevel && _awaitColon == false && !_inValue && !_expectKey && _valueKey is not null && c != ',' && c != '}')
        {
            _inValue = true;
            _valueStart = i;
            if (_valueKey == _format.ArgumentsKey) _argStart = _argEmitted = i;
        }
        switch (c)
        {
            case '"':
                _inString = true;
                if (_depth == _callLevel && _expectKey) _keyStart = i;
                break;
            case ':' when _depth == _callLevel && _awaitColon:
                _awaitColon = _expectKey = false;
                _valueKey = _key;
                break;
            case '{' or '[':
                if (c == '{' && _depth == _callLevel - 1) BeginCall();
                _depth++;
                break;
            case '}' or ']':
                if (_depth == _callLevel) EndValue(i);
                _depth--;
                if (_depth == _callLevel - 1 && _objectOpen) EndCall();
                if (_depth <= 0) _state = State.Closing;
                break;
            case ',' when _depth == _callLevel:
                EndValue(i);
                _expectKey = true;
                break;
        }
    }

    /// <summary>The trigger was not followed by call JSON: the trigger and what followed are content after all.</summary>
    private void NotACall()
    {
        string text = (_format.TriggerIsJson ? "" : _format.Trigger) + _json;
        _state = State.Text;
        _json.Clear();
        EmitContent(text);
    }

    private void BeginCall()
    {
        _objectOpen = _expectKey = true;
        _awaitColon = _inValue = _headerSent = false;
        _keyStart = _valueStart = _argStart = _argEnd = -1;
        _argEmitted = 0;
        _key = _valueKey = _name = null;
        _id = _newId();
    }

    private void EndValue(int at)
    {
        if (!_inValue) return;
        int end = at;
        while (end > _valueStart && char.IsWhiteSpace(_json[end - 1])) end--;
        if (_valueKey == "name" && _json[_valueStart] == '"') _name = Decode(_valueStart, end);
        if (_valueKey == _format.ArgumentsKey) _argEnd = end;
        _inValue = false;
        _valueKey = null;
        ReleaseArguments(final: false);
    }

    private void EndCall()
    {
        if (_inValue) EndValue(_json.Length);
        _objectOpen = false;
        if (_name is null) return; // cut off before its name: nothing was released, so nothing is
        if (_argStart < 0)
        {
            _argStart = _argEmitted = 0;
            _argEnd = 0;
            Release("{}");
        }
        ReleaseArguments(final: true);
        _calls++;
    }

    /// <summary>Releases the call header once the name is known, then the arguments text not yet released (trailing whitespace held unless final).</summary>
    private void ReleaseArguments(bool final)
    {
        if (!_objectOpen && !final) return;
        if (_name is null) return;
        if (_argStart < 0)
        {
            Release("");
            return;
        }
        int end = _argEnd >= 0 ? _argEnd : _json.Length;
        if (_argEnd < 0 && !final)
        {
            while (end > _argEmitted && char.IsWhiteSpace(_json[end - 1])) end--;
        }
        if (end > _argEmitted || !_headerSent) Release(_json.ToString(_argEmitted, Math.Max(0, end - _argEmitted)));
        _argEmitted = Math.Max(_argEmitted, end);
    }

    private void Release(string arguments)
    {
        if (_headerSent && arguments.Length == 0) return;
        _deltas.Add(new ToolCallDelta(_calls, _headerSent ? null : _id, _headerSent ? null : _name, arguments));
        _headerSent = true;
    }

    /// <summary>Skips whitespace and the closing tag after a call block; false when it must wait for more text.</summary>
    private bool ProcessClosing()
    {
        int start = 0;
        while (start < _pending.Length && char.IsWhiteSpace(_pending[start])) start++;
        string rest = _pending.ToString(start, _pending.Length - start);
        if (_closeTag.Length > 0 && rest.Length < _closeTag.Length && _closeTag.StartsWith(rest, StringComparison.Ordinal)) return false;
        if (_closeTag.Length > 0 && rest.StartsWith(_closeTag, StringComparison.Ordinal)) _pending.Remove(0, start + _closeTag.Length);
        _state = State.Text;
        return true;
    }

    private void EmitContent(string text)
    {
        int body = text.Length;
        while (body > 0 && char.IsWhiteSpace(text[body - 1])) body--;
        if (body == 0)
        {
            _heldSpace += text;
            return;
        }
        _content.Append(_heldSpace).Append(text, 0, body);
        _heldSpace = text[body..];
    }

    /// <summary>The length of the longest suffix of <paramref name="text"/> that is a proper prefix of the trigger.</summary>
    private int PartialTrigger(string text)
    {
        string trigger = _format.Trigger;
        for (int k = Math.Min(trigger.Length - 1, text.Length); k > 0; k--)
        {
            if (string.CompareOrdinal(text, text.Length - k, trigger, 0, k) == 0) return k;
        }
        return 0;
    }

    private string? Decode(int start, int end)
    {
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(_json.ToString(start, end - start)));
            return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Adds up a reply's <see cref="ToolCallUpdate"/>s: the whole content and the whole calls.</summary>
public sealed class ToolCallAccumulator
{
    private readonly StringBuilder _content = new();
    private readonly List<(string Id, string Name, StringBuilder Arguments)> _calls = [];

    /// <summary>Adds one update.</summary>
    public void Add(ToolCallUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        _content.Append(update.Content);
        foreach (ToolCallDelta delta in update.Calls)
        {
            if (delta.Index == _calls.Count) _calls.Add((delta.Id ?? "", delta.Name ?? "", new StringBuilder()));
            _calls[delta.Index].Arguments.Append(delta.Arguments);
        }
    }

    /// <summary>The content; null when there are calls and no content (OpenAI's message.content).</summary>
    public string? Content => _calls.Count > 0 && _content.Length == 0 ? null : _content.ToString();

    /// <summary>The calls so far.</summary>
    public IReadOnlyList<ChatToolCall> Calls => [.. _calls.Select(c => new ChatToolCall(c.Id, c.Name, c.Arguments.ToString()))];
}
