// Each Jinja construct and filter in a small template, rendered by Quill and by @huggingface/jinja (node); not whole chat formats.
using System.Text.Json.Nodes;
using Quill.TestSupport.Oracles;
using Quill.Tokenizers.ChatTemplates;

namespace Quill.Tokenizers.Tests.ChatTemplates;

public class JinjaConstructOracleTests
{
    private const string Context = """
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi \"there\"\n<b>é 😀</b>"},
                      {"role": "assistant", "content": "  Hello!  "}],
         "xs": [3, 1, 2], "words": ["b", "A", "c", "a"], "d": {"z": 1, "a": [1, 2.5, "x"], "n": null, "t": true},
         "s": "  Hello, World  ", "n": 7, "f": 2.5, "e": [], "tools": [{"type": "function", "function": {"name": "get", "parameters": {"b": 1, "a": 2}}}],
         "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"}
        """;

    public static readonly string[] Templates =
    [
        // output, text and whitespace control
        "a{{ 'b' }}c", "{{ 1 }}|{{ 1.0 }}|{{ 2.5 }}|{{ -3 }}|{{ true }}|{{ none }}|{{ undefined_name }}|{{ [1, 'a'] }}|{{ {'k': 1} }}",
        "  {{- ' x ' -}}  y", "line1\n  {% if true %}\n  yes\n  {% endif %}\nend\n", "{# comment #}a {#- trim -#} b", "x  {%- if true -%}  y  {%- endif -%}  z",
        "{% for m in messages %}\n  {{ m.role }}\n{% endfor %}\n", "a\n{% set x = 1 %}\nb",
        // literals and operators
        "{{ 'it\\'s' }} {{ \"q\\\"\" }} {{ 'tab\\tnl\\n' }} {{ 'a' 'b' }}",
            "{{ 7 + 2 }} {{ 7 - 2 }} {{ 7 * 2 }} {{ 7 / 2 }} {{ 7 // 2 }} {{ 7 % 3 }} {{ 2 ** 3 }} {{ 2.0 * 3 }}",
        "{{ 'a' ~ 1 ~ 2.5 ~ true }} {{ 'a' + 'b' }} {{ [1] + [2] }} {{ -n }} {{ (1 + 2) * 3 }}",
            "{{ 1 < 2 }} {{ 2 <= 2 }} {{ 3 > 4 }} {{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ none == undefined_name }}",
        "{{ true and 'x' }} {{ false or 'y' }} {{ not true }} {{ '' or 'z' }} {{ 0 and 1 }}",
            "{{ 'a' in 'cat' }} {{ 2 in xs }} {{ 5 not in xs }} {{ 'z' in d }} {{ 'q' in d }} {{ 1 in undefined_name }}",
        "{{ 'yes' if n > 5 else 'no' }} {{ 'a' if false else 'b' if true else 'c' }} [{{ 'x' if false }}]",
            "{{ (1, 2) | length }} {{ [1, [2, 3]] }} {{ {'a': {'b': [true, none]}} }}",
        // tests
        "{{ n is defined }} {{ q is defined }} {{ q is undefined }} {{ none is none }} {{ n is not none }} {{ s is string }} {{ n is number }} {{ f is " +
            "integer }} {{ n is integer }}",
        "{{ true is boolean }} {{ d is mapping }} {{ xs is iterable }} {{ s is iterable }} {{ xs is sequence }} {{ n is odd }} {{ n is even }} {{ true is " +
            "true }} {{ 1 is false }}",
        // attribute, index, slicing
        "{{ messages[0].role }} {{ messages[-1]['content'] }} {{ d.z }} {{ d['a'][1] }} {{ d.missing }} {{ d.missing.deeper }} {{ xs.length }} {{ s.length }}",
        "{{ xs[1:] }} {{ xs[:2] }} {{ xs[::-1] }} {{ xs[-2:] }} {{ s[2:7] }} {{ 'abc'[::-1] }} {{ xs[::2] }} {{ s[0] }}",
        // if/elif/else, for
        "{% if n > 10 %}big{% elif n > 5 %}mid{% else %}small{% endif %}", "{% if q %}a{% elif not q %}b{% endif %}",
        "{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }}:{{ x }} " +
            "{% endfor %}",
        "{% for x in e %}{{ x }}{% else %}empty{% endfor %}", "{% for x in xs if x > 1 %}{{ x }}{{ loop.index }}{{ loop.last }},{% endfor %}",
        "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "{% for k in d %}{{ k }}{% endfor %}",
            "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}",
        "{% for x in xs %}{% if x == 1 %}{% break %}{% endif %}{{ x }}{% endfor %}", "{% for x in range(3) %}{{ x }}{% endfor %}{{ range(2, 8, 3) }}",
        "{% for m in messages %}{{ loop.previtem.role if loop.previtem is defined }}>{{ loop.nextitem.role if loop.nextitem is defined }} {% endfor %}",
        // set, namespace
        "{% set x = 5 %}{% set y = x * 2 %}{{ y }}", "{% set a, b = 1, 2 %}{{ a }}{{ b }}",
            "{% set x = 1 %}{% for i in xs %}{% set x = i %}{% endfor %}{{ x }}",
        "{% set ns = namespace(total=0, seen=false) %}{% for i in xs %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }}{{ ns.seen }}",
        "{% set block %}inner {{ n }}{% endset %}[{{ block }}]", "{% set ns = namespace(d) %}{{ ns.z }}",
        // macros, call, filter blocks
        "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', '?') }} {{ greet(name='Cy', punct='.') }}",
        "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold {{ n }}{% endcall %}",
        "{% filter upper %}shout {{ s }}{% endfilter %}",
        // filters
        "{{ s | trim }}|{{ s | upper }}|{{ s | lower }}|{{ 'hello world' | title }}|{{ 'hELLO' | capitalize }}|{{ s | length }}|{{ xs | length }}|{{ d | " +
            "length }}",
        "{{ d | tojson }}|{{ tools | tojson }}|{{ messages[1].content | tojson }}|{{ d | tojson(indent=2) }}|{{ e | tojson(indent=2) }}|{{ 'é' | " +
            "tojson(ensure_ascii=true) }}",
        "{{ words | join }}|{{ words | join(', ') }}|{{ xs | join('-') }}|{{ 'abc' | join('.') }}",
            "{{ q | default('dflt') }}|{{ n | default(1) }}|{{ '' | default('empty', true) }}|{{ none | default('x') }}",
        "{{ xs | first }}{{ xs | last }}{{ words | sort }}{{ xs | sort(reverse=true) }}{{ words | sort(case_sensitive=true) }}{{ xs | reverse }}",
        "{{ 'a-b-a' | replace('a', 'x') }}|{{ 'a-b-a' | replace('a', 'x', 1) }}|{{ n | string }}|{{ f | string }}|{{ xs | string }}|{{ true | string }}",
        "{{ '42' | int }}|{{ '4.7' | int }}|{{ 'x' | int }}|{{ 3.9 | int }}|{{ '2.5' | float }}|{{ 3 | float }}|{{ 'x' | float }}|{{ -3 | abs }}|{{ -2.5 | " +
            "abs }}",
        "{{ xs | list }}|{{ d | items }}|{{ d | dictsort }}|{{ [1, 2, 1, 3, 2] | unique }}|{{ 'a\nb\n\nc' | indent }}|{{ 'a\nb' | indent(2, true) }}|{{ 'x' " +
            "| safe }}",
        "{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | list }}|{{ messages | rejectattr('role', 'eq', 'user') | length " +
            "}}|{{ tools | map(attribute='function.name') | join }}",
        "{{ messages | map(attribute='missing', default='-') | join }}|{{ messages | selectattr('role') | length }}",
        // methods
        "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ s.upper() }}|{{ s.lower() }}|{{ 'ab cd'.title() }}|{{ s.startswith('  He') }}|{{ " +
            "s.endswith(('x', '  ')) }}",
        "{{ 'a,b,,c'.split(',') }}|{{ '  a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'aXbXc'.replace('X', '-') }}|{{ d.get('z') }}|{{ d.get('q', " +
            "'dflt') }}|{{ d.get('q') }}",
        "{{ d.keys() | list }}|{{ d.values() | length }}|{{ d.items() | first }}|{{ messages[0].content.split('.')[0] }}",
        // globals
        "{{ range(5) | length }}|{{ True }}{{ False }}{{ None }}|{% set ns = namespace() %}{% set ns.x = 'ok' %}{{ ns.x }}",
        // chat-template idioms
        "{%- for message in messages -%}{%- if message['role'] == 'system' -%}{{- '<<SYS>>' + message['content'] | trim + '<</SYS>>\n' -}}{%- else -%}{{- " +
            "message['role'] | upper + ': ' + message['content'] + '\n' -}}{%- endif -%}{%- endfor -%}{%- if add_generation_prompt %}ASSISTANT:{% endif %}",
        "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% else %}{% set loop_messages = messages %}{% endif %}{{ bos_token " +
            "}}{% for m in loop_messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}",
        "{{- bos_token }}{% generation %}gen{% endgeneration %}{{ eos_token -}}",
    ];

    private static readonly Lazy<(string? Output, string? Error)[]> Oracle = new(() =>
        NodeOracle.RenderTemplates([.. Templates.Select(t => (t, JsonNode.Parse(Context)!))]));

    public static TheoryData<int> Indexes() => [.. Enumerable.Range(0, Templates.Length)];

    [Theory]
    [MemberData(nameof(Indexes))]
    public void RendersAsHuggingFaceJinja(int index)
    {
        string template = Templates[index];
        (string? expected, string? error) = Oracle.Value[index];
        Assert.True(error is null, $"oracle failed on {template}: {error}");
        var context = (JsonObject)JsonNode.Parse(Context)!;
        string actual = ChatTemplate.Parse(template).RenderContext(context.ToDictionary(kv => kv.Key, kv => (object?)kv.Value));
        Assert.Equal(expected, actual);
    }
}
