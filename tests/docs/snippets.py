#!/usr/bin/env python3
"""Turns the C, C++ and Kotlin examples of a Markdown page into source files.

    snippets.py PAGE OUTDIR

Every fenced block whose language is `c`, `cpp` or `kotlin` goes into
OUTDIR/doc_snippets.c, doc_snippets.cc or DocSnippets.kt, each block in a
function of its own, after the language's context file beside this script
(snippet_context.h, snippet_context.hh, SnippetContext.kt: the names a
reader of the page already has, such as the member's token). In C and C++,
`#include` lines move to the top and definitions that start at column 0
and end with a `}` at column 0 stay at file scope; `#line` directives make
a compiler's errors point at the page's lines. Prints how many blocks of
each language it wrote; fails if a page has none at all.
"""
import pathlib
import re
import sys

FENCE = re.compile(r"^```(\w*)\s*$")
# A function definition's first line at column 0: "void f(int a) {".
DEFINITION = re.compile(r"^[A-Za-z_][\w \*&:<>,]*\b[A-Za-z_]\w*\s*\([^;]*\)\s*(const\s*)?\{\s*$")


def blocks(page):
    """(language, first line number, lines) for each fenced block."""
    language, start, lines = None, 0, []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        match = FENCE.match(line)
        if language is None:
            if match:
                language, start, lines = match.group(1), number + 1, []
        elif line.strip() == "```":
            yield language, start, lines
            language = None
        else:
            lines.append(line)
    if language is not None:
        sys.exit(f"{page}:{start - 1}: a ``` block is never closed")


def c_family(page, found, context):
    """One C or C++ file: includes, file-scope definitions, then a function per block."""
    includes, definitions, functions = [], [], []
    for index, (start, lines) in enumerate(found, 1):
        body, inside, number = [], None, start
        for offset, line in enumerate(lines):
            number = start + offset
            if inside is not None:
                inside.append(line)
                if line.rstrip() == "}":
                    definitions.extend(inside)
                    inside = None
            elif line.startswith("#include"):
                includes.append(line)
            elif DEFINITION.match(line):
                inside = [f'#line {number} "{page}"', line]
            else:
                body.append(f'#line {number} "{page}"')
                body.append(line)
        if inside is not None:
            sys.exit(f"{page}:{number}: a definition is not closed by a '}}' at column 0")
        functions.append([f"static void snippet_{index}(void) {{"] + body + ["}"])
    out = [f"// Generated from {page} by tests/docs/snippets.py: do not edit.",
           f'#include "{context}"']
    out += sorted(set(includes)) + definitions
    for function in functions:
        out += function
    calls = " ".join(f"snippet_{i}();" for i in range(1, len(found) + 1))
    lines_list = ", ".join(str(start) for start, _ in found)
    out += [
        "int main(int argc, char** argv) {",
        "  (void)argv;",
        "  // Compiled and linked, not run: the page's server is not this machine's.",
        f"  if (argc > 99) {{ {calls} }}",
        f'  printf("{page}: {len(found)} blocks compiled and linked (lines {lines_list})\\n");',
        "  return 0;",
        "}",
    ]
    return "\n".join(out) + "\n"


def kotlin(page, found):
    out = [f"// Generated from {page} by tests/docs/snippets.py: do not edit.",
           "import dev.mayday.sdk.*"]
    for index, (start, lines) in enumerate(found, 1):
        out.append(f"// {page}:{start}")
        out.append(f"class Snippet{index} : SnippetContext() {{")
        out.append("  fun run() {")
        out += ["    " + line for line in lines]
        out += ["  }", "}"]
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    page, outdir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    outdir.mkdir(parents=True, exist_ok=True)
    by_language = {"c": [], "cpp": [], "kotlin": []}
    for language, start, lines in blocks(page):
        if language in by_language:
            by_language[language].append((start, lines))
    if not any(by_language.values()):
        sys.exit(f"{page}: no c, cpp or kotlin block")
    name = page.as_posix()
    outputs = {
        "doc_snippets.c": c_family(name, by_language["c"], "snippet_context.h"),
        "doc_snippets.cc": c_family(name, by_language["cpp"], "snippet_context.hh"),
        "DocSnippets.kt": kotlin(name, by_language["kotlin"]),
    }
    for file, text in outputs.items():
        target = outdir / file
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    print(", ".join(f"{len(v)} {k}" for k, v in by_language.items()), "blocks from", name)


if __name__ == "__main__":
    main()
