"""Builds the bundled model's training and held-out text from Debian packages (make-corpus.sh
installs them and calls this).

Sources, each with whole documents held out:
  kjv       the King James Bible (bible-kjv-text, public domain); held out: the books Ruth,
            Ecclesiastes, Jonah, Mark, James, 1 Peter (read with the `bible` tool)
  fortunes  quotations, dialogue and jokes (fortunes, fortunes-min: BSD); held out: the files
            'people' and 'wisdom'; 'ascii-art' and 'translate-me' are left out
  wordnet   WordNet 3.0's glosses and example sentences (wordnet-base: WordNet 3.0 licence);
            held out: the adverbs (data.adv)
  jargon    the Jargon File 4.4.7 (jargon-text: public domain); its tables left out; held out:
            the entries from 'S' on
Writes OUT/train.txt (the sources interleaved in blocks of about 4 kB in fixed shares, SHARES,
so that every stretch a short training run reads has all of them),
OUT/heldout.txt (the KJV books, unchanged: the figure the model card has always reported) and
OUT/heldout-modern.txt (the other held-out documents, at most 120 kB of each source).

usage: /usr/bin/python3 make_corpus.py OUT KJV_TEXT
  KJV_TEXT: `bible -l0 gen1:1-rev22:21` output (chapter headings at column 0, verses indented)
"""
import gzip
import os
import re
import sys

KJV_HELD = {"Ruth", "Ecclesiastes", "Jonah", "Mark", "James", "1 Peter"}
FORTUNES = "/usr/share/games/fortunes"
FORTUNES_HELD = {"people", "wisdom"}
FORTUNES_LEFT_OUT = {"ascii-art", "translate-me"}
WORDNET = "/usr/share/wordnet"
JARGON = "/usr/share/doc/jargon-text/jargon.txt.gz"


def kjv(path):
    train, held, dst = [], [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"^(\S.*) \d+$", line)
            if m:
                dst = held if m.group(1) in KJV_HELD else train
            if dst is None:
                continue
            dst.append(line.lstrip(" ") + "\n")
    return "".join(train), "".join(held)


def fortunes():
    train, held = [], []
    for name in sorted(os.listdir(FORTUNES)):
        path = os.path.join(FORTUNES, name)
        if "." in name or name in FORTUNES_LEFT_OUT or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            entries = [e.strip("\n") for e in f.read().split("\n%\n")]
        text = "".join(e + "\n\n" for e in entries if e.strip() and "\ufffd" not in e)
        (held if name in FORTUNES_HELD else train).append(text)
    return "".join(train), "".join(held)


def wordnet():
    train, held = [], []
    for pos in ("noun", "verb", "adj", "adv"):
        out = held if pos == "adv" else train
        with open(os.path.join(WORDNET, "data." + pos), encoding="utf-8") as f:
            for line in f:
                if line.startswith("  ") or " | " not in line:
                    continue  # the licence header
                fields, gloss = line.rstrip().split(" | ", 1)
                cols = fields.split()  # offset, lex file, pos, word count (hex), word, lex id, ...
                words = [cols[4 + 2 * i].replace("_", " ") for i in range(int(cols[3], 16))]
                # "a gloss; more of it; "an example"; "another"": definition, then examples.
                parts = [p.strip() for p in gloss.split(";") if p.strip()]
                defs = [p for p in parts if not p.startswith('"')]
                examples = [p.strip('"') for p in parts if p.startswith('"')]
                text = ", ".join(words) + ": " + "; ".join(defs) + "."
                for e in examples:
                    text += " " + e[:1].upper() + e[1:] + ("" if e.endswith(("?", "!", ".")) else ".")
                out.append(text + "\n")
    return "".join(train), "".join(held)


def jargon():
    with gzip.open(JARGON, "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")
    train, held = [], []
    dst = train
    for line in lines:
        if any(c in line for c in "│├┌└─┬┴┼┐┘┤"):
            continue  # tables
        # Entries begin at column 0 with their headword and a colon ("spam: vt.,vi.,n.").
        m = re.match(r"^([A-Za-z0-9].*?):", line)
        if m and m.group(1)[:1].upper() >= "S" and dst is train and len(train) > 1000:
            dst = held
        dst.append(line + "\n")
    return "".join(train), "".join(held)


# Each source's share of the training text while it lasts: speech-like text first (quotes and
# dialogue), WordNet's definitions (most of the bytes) kept to a quarter.
SHARES = {"kjv": 0.30, "fortunes": 0.30, "wordnet": 0.25, "jargon": 0.15}
# Held-out text per modern source, whole documents up to this size, so that no one source
# decides the modern figure.
HELD_BYTES = 120_000


def interleave(texts, shares, block=4096):
    """The texts in turn, blocks of whole lines from each in the given shares."""
    pos = [0] * len(texts)
    out = []
    while any(p < len(t) for p, t in zip(pos, texts)):
        for i, t in enumerate(texts):
            if pos[i] >= len(t):
                continue
            want = max(1, int(block * shares[i]))
            end = t.find("\n", pos[i] + want)
            end = len(t) if end < 0 else end + 1
            out.append(t[pos[i]:end])
            pos[i] = end
    return "".join(out)


def first_lines(text, n):
    """Whole lines of text up to n characters (a fortune, a gloss, an entry's lines)."""
    end = text.rfind("\n", 0, n)
    return text if len(text) <= n else text[:end + 1]


def main():
    out, kjv_text = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    sources = {"kjv": kjv(kjv_text), "fortunes": fortunes(), "wordnet": wordnet(), "jargon": jargon()}
    train = interleave([t for t, _ in sources.values()], [SHARES[name] for name in sources])
    with open(os.path.join(out, "train.txt"), "w", encoding="utf-8") as f:
        f.write(train)
    with open(os.path.join(out, "heldout.txt"), "w", encoding="utf-8") as f:
        f.write(sources["kjv"][1])
    with open(os.path.join(out, "heldout-modern.txt"), "w", encoding="utf-8") as f:
        f.write("".join(first_lines(h, HELD_BYTES) for name, (_, h) in sources.items() if name != "kjv"))
    for name, (t, h) in sources.items():
        print(f"{name:9s} train {len(t.encode()):9d} bytes, held out {len(h.encode()):8d}", file=sys.stderr)


if __name__ == "__main__":
    main()
