#!/usr/bin/env python3
"""Doxygen INPUT_FILTER: mmkit's kernel-doc comments as Doxygen reads them.

mmkit's headers document each function, struct and enum the Linux
kernel-doc way ("/** name() - what", "@arg: what", "Return: what", member
comments after the member). Doxygen reads the same text once this filter,
given a file name, prints the file rewritten:
  - the file's first comment becomes its \\file documentation;
  - in a /** block, "@name: text" becomes "\\param name text" before a
    function, and the member's own documentation before a struct or enum
    (moved to the member as a trailing comment /**< text */);
  - "Return: text" becomes "\\return text"; "@name" in prose, "\\p name";
  - a trailing /* comment */ after a member or an enumerator, and a plain
    block comment right above a declaration, become documentation;
  - "T a, b; /* text */" is split into one declaration per name, so that
    each is documented.
The line count is kept where it can be (Doxygen's warnings name lines).
"""
import re
import sys

ITEM = re.compile(r"^\s*\*\s*@(\w+):\s*(.*)$")
RETURN = re.compile(r"^(\s*\*\s*)Return:\s*(.*)$")
TRAILING = re.compile(r"^(.*?;|.*?,|[^/]*?\S)\s*/\*(?!\*)(.*?)\*/\s*$")


HTML = {"b", "i", "p", "br", "code", "pre", "em", "tt", "ul", "li", "ol", "a", "table"}


def prose(line):
    """@name in text -> \\p name (not e-mail-like a@b); '#PF' and '<isa>' as text."""
    line = re.sub(r"(?<![\w@])@(\w+)", r"\\p \1", line)
    line = re.sub(r"(?<![\w&])#(?=[A-Za-z])", r"\\#", line)
    return re.sub(r"<(\w+)>", lambda m: m.group(0) if m.group(1) in HTML
                  else "&lt;%s&gt;" % m.group(1), line)


def split_decl(code, doc):
    """'T a, *b;' with @doc -> ['T a; /**< doc */', 'T *b; /**< doc */']."""
    m = re.match(r"^(\s*)((?:const\s+|volatile\s+|unsigned\s+|signed\s+|struct\s+|enum\s+|"
                 r"union\s+)*[A-Za-z_]\w*)\s+([^;()]*);\s*$", code)
    if not m or "," not in m.group(3) or "(" in code:
        return [code + " /**< " + doc + " */"] if doc else [code]
    indent, typ, names = m.groups()
    out = []
    for n in names.split(","):
        n = n.strip()
        out.append("%s%s %s; /**< %s */" % (indent, typ, n, doc) if doc
                   else "%s%s %s;" % (indent, typ, n))
    return [" ".join(out)]  # one line: line numbers stay


def names_in(code):
    code = re.sub(r"\[.*?\]", "", code)
    m = re.search(r"\(\s*\*\s*(\w+)\s*\)", code)  # a function pointer
    if m:
        return [m.group(1)]
    code = code.rstrip(";, ")
    parts = code.split(",")
    out = []
    for i, p in enumerate(parts):
        w = re.findall(r"\w+", p.split("=")[0])
        if w:
            out.append(w[-1])
    return out


def main():
    lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
    out = []
    i = 0
    first_comment = True
    members = {}   # name -> doc, for the struct/enum body that follows
    depth = 0      # brace depth inside a documented struct/enum
    while i < len(lines):
        line = lines[i]
        s = line.strip()
        # A block comment: collect it.
        if s.startswith("/*") and not s.startswith("/**<") and "*/" not in s[2:] or \
                (s.startswith("/*") and s.endswith("*/") and depth == 0 and
                 not re.match(r"^/\*\*?<", s) and line.startswith("/")):
            j = i
            block = [line]
            while "*/" not in lines[j][2 if j == i else 0:] and j + 1 < len(lines):
                j += 1
                block.append(lines[j])
            nxt = lines[j + 1].strip() if j + 1 < len(lines) else ""
            if first_comment and not s.startswith("/**"):
                first_comment = False
                block[0] = block[0].replace("/*", "/** \\file", 1)
                out += [prose(b) for b in block]
                i = j + 1
                continue
            first_comment = False
            is_doc = s.startswith("/**")
            if depth:  # above a member or an enumerator
                decl = bool(nxt) and not nxt.startswith(("}", "/*", "#"))
            else:
                decl = bool(nxt) and not nxt.startswith(("#include", "#ifndef", "#endif", "/*")) \
                    and re.match(r"^(#define|[A-Za-z_])", nxt) is not None
            if not is_doc and not decl:
                out += block
                i = j + 1
                continue
            if not is_doc:
                block[0] = block[0].replace("/*", "/**", 1)
            is_aggr = re.match(r"^(typedef\s+)?(struct|enum|union)\b[^;(]*\{?\s*$", nxt) is not None
            new = []
            for b in block:
                m = ITEM.match(b)
                if m and is_aggr:
                    members[m.group(1)] = m.group(2)
                    new.append(" *")
                    last = m.group(1)
                    continue
                if m:
                    new.append(" * \\param %s %s" % (m.group(1), prose(m.group(2))))
                    last = None
                    continue
                if is_aggr and members and re.match(r"^\s*\*\s{2,}\S", b) and last:
                    members[last] += " " + b.strip().lstrip("*").strip()
                    new.append(" *")
                    continue
                r = RETURN.match(b)
                if r:
                    new.append("%s\\return %s" % (r.group(1), prose(r.group(2))))
                    continue
                new.append(prose(b))
            out += new
            i = j + 1
            continue
        # Inside an aggregate: members and enumerators.
        if depth or re.match(r"^(typedef\s+)?(struct|enum|union)\b[^;(]*\{\s*$", s):
            depth += line.count("{") - line.count("}")
            m = TRAILING.match(line)
            code, doc = (m.group(1), m.group(2).strip()) if m else (line, "")
            if not m and re.match(r"^\s*[^/\s].*\S\s*/\*(?!\*)", line) and "*/" not in line:
                out.append(prose(line.replace("/*", "/**<", 1)))  # a trailing comment on more lines
                i += 1
                continue
            if not doc and s and not s.startswith(("}", "/*", "*")) and "{" not in s:
                for n in names_in(s):
                    if n in members:
                        doc = prose(members[n])
                        break
            if doc and "{" not in code and not code.strip().startswith("}"):
                out += split_decl(code, prose(doc)) if code.rstrip().endswith(";") else \
                    [code + " /**< " + prose(doc) + " */"]
            else:
                out.append(line)
            if depth == 0:
                members = {}
            i += 1
            continue
        m = TRAILING.match(line)
        if m and re.match(r"^\s*(typedef|#define)", line):
            out.append(m.group(1) + " /**< " + prose(m.group(2).strip()) + " */")
        else:
            out.append(line)
        i += 1
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
