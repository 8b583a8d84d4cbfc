#!/usr/bin/env python3
"""Golden files for LucidEval's CHAIR text pipeline, produced by real NLTK 3.8.1.

Builds a throw-away nltk_data directory from the pickle-free model files under
Data/nltk (Punkt English parameters, averaged-perceptron tagger JSON) and the
Debian WordNet 3.0 files, then writes three JSONL oracles used by the Swift tests:

  nltk_oracle_captions.jsonl  per caption of a CHAIR caption file:
                              {"line", "tokens", "tags", "lemmas"} of caption.lower()
  nltk_oracle_edge_cases.jsonl per hand-written edge-case string:
                              {"text", "sentences", "tokens", "tags"} (original case)
  nltk_oracle_morphy.jsonl    {"word", "n", "v", "a", "r"}: lemmatize(word, pos) for each pos

Usage (needs `pip install nltk==3.8.1` in a venv; apt-get install wordnet-base):
  python scripts/make_eval_nltk_oracle.py --nltk Data/nltk --wordnet /usr/share/wordnet \
      --captions Tests/LucidEvalTests/Fixtures/chair/instructblip_greedy.jsonl \
      --out Tests/LucidEvalTests/Fixtures/nltk
"""
import argparse
import json
import os
import pickle
import shutil
import tempfile
from collections import defaultdict

# The 45 WordNet 3.0 lexicographer files; NLTK's reader opens `lexnames`, which
# Debian's wordnet-base does not ship. Morphy does not depend on its content.
LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute "
    "noun.body noun.cognition noun.communication noun.event noun.feeling noun.food noun.group "
    "noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant "
    "noun.possession noun.process noun.quantity noun.relation noun.shape noun.state "
    "noun.substance noun.time verb.body verb.change verb.cognition verb.communication "
    "verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion "
    "verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
).split()
LEX_POS = {"adj": 3, "adv": 4, "noun": 1, "verb": 2}

EDGE_CASES = [
    'He said, "Hello there." Then he left.',
    "\"Quoted at start,\" she said.",
    "She said ''double single'' and `backtick' quotes.",
    "“Curly quotes” and ‘single curly’ and „low“ and «guillemets».",
    "I can't, won't, shouldn't and didn't. You're, we've, they'll, I'm, he'd.",
    "Cannot gimme gonna gotta lemme wanna go. 'Tis 'twas more'n d'ye.",
    "It's John's dog's bone. The dogs' bowls.",
    "Wait... what?! Really?? Yes!!! Ok.",
    "An ellipsis at the end...",
    "Dots . . . spaced out. Next sentence.",
    "Mr. Smith met Dr. Jones at 5 p.m. on Jan. 3. They talked.",
    "The U.S.A. is big. So is the U.K.",
    "Prices rose 3.5% to $4.20 (about 3,36 euros) in 1999.",
    "Numbers 1,000,000 and 3:45 and a:b, c,d.",
    "Email me at a@b.com #hashtag & more; ok * star.",
    "A hyphen-ated word -- and a dash--here.",
    "Brackets [x] {y} <z> (w).",
    "The end.\" Next one.",
    "(Parenthesised sentence.) Another one.",
    "The 2nd floor, the 1990s, 4-year-old kid, 12.5kg.",
    "There is a man in the image. he is wearing a hat.",
    "a. b. c. initials here. j. smith came.",
    "No final period",
    "",
    "   ",
    "Multiple   spaces\tand\ttabs\nand newlines.\n\nNew paragraph.",
    "Ends with question? And exclamation! Done.",
    "St. Louis is in mo. It is hot.",
    "The image shows a dog – a big one — running.",
    "Unicode: café naïve résumé Zoë.",
    "The end of the 'quoted' word.",
    "She's 'tis the season's 'best'.",
    "Colon: here, comma,here and 3,000.",
    "So... the man is standing... near a car.",
    "there's a cat.there's a dog.",
    "a man with a bow tie and a toilet seat and baby elephants.",
]


def build_nltk_data(nltk_dir, wordnet_dir, root):
    from nltk.tag.perceptron import PerceptronTagger  # noqa: F401 (import check)
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    punkt_dir = os.path.join(nltk_dir, "punkt_tab_english")

    def lines(name):
        with open(os.path.join(punkt_dir, name), encoding="utf-8") as f:
            return [x[:-1] if x.endswith("\n") else x for x in f]

    params = PunktParameters()
    params.abbrev_types = set(lines("abbrev_types.txt"))
    params.sent_starters = set(lines("sent_starters.txt"))
    params.collocations = set(tuple(x.split("\t")) for x in lines("collocations.tab"))
    params.ortho_context = defaultdict(int)
    for x in lines("ortho_context.tab"):
        typ, flags = x.split("\t")
        params.ortho_context[typ] = int(flags)
    os.makedirs(os.path.join(root, "tokenizers", "punkt", "PY3"))
    with open(os.path.join(root, "tokenizers", "punkt", "PY3", "english.pickle"), "wb") as f:
        pickle.dump(PunktSentenceTokenizer(params), f)

    tag_dir = os.path.join(nltk_dir, "averaged_perceptron_tagger_eng")
    def load(name):
        with open(os.path.join(tag_dir, "averaged_perceptron_tagger_eng.%s.json" % name)) as f:
            return json.load(f)
    model = (load("weights"), load("tagdict"), set(load("classes")))
    out = os.path.join(root, "taggers", "averaged_perceptron_tagger")
    os.makedirs(out)
    with open(os.path.join(out, "averaged_perceptron_tagger.pickle"), "wb") as f:
        pickle.dump(model, f)

    wn = os.path.join(root, "corpora", "wordnet")
    os.makedirs(wn)
    for name in os.listdir(wordnet_dir):
        src = os.path.join(wordnet_dir, name)
        if os.path.isfile(src):
            shutil.copy(src, wn)
    with open(os.path.join(wn, "lexnames"), "w") as f:
        for i, name in enumerate(LEXNAMES):
            f.write("%02d\t%s\t%d\n" % (i, name, LEX_POS[name.split(".")[0]]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nltk", required=True, help="directory holding punkt_tab_english/ and averaged_perceptron_tagger_eng/")
    ap.add_argument("--wordnet", default="/usr/share/wordnet")
    ap.add_argument("--captions", required=True, help="CHAIR caption JSONL ({image_id, caption})")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    root = tempfile.mkdtemp(prefix="nltk_data_")
    build_nltk_data(args.nltk, args.wordnet, root)
    import nltk
    nltk.data.path.insert(0, root)
    assert nltk.__version__ == "3.8.1", nltk.__version__
    from nltk.corpus import wordnet
    from nltk.stem import WordNetLemmatizer

    wnl = WordNetLemmatizer()

    def wn_pos(tag):
        return {"J": wordnet.ADJ, "V": wordnet.VERB, "N": wordnet.NOUN, "R": wordnet.ADV}.get(tag[:1], wordnet.NOUN)

    os.makedirs(args.out, exist_ok=True)
    vocabulary = set()
    with open(args.captions, encoding="utf-8") as f, open(
        os.path.join(args.out, "nltk_oracle_captions.jsonl"), "w", encoding="utf-8"
    ) as out:
        for line_no, line in enumerate(f):
            caption = json.loads(line)["caption"]
            tokens = nltk.word_tokenize(caption.lower())
            tagged = nltk.pos_tag(tokens)
            lemmas = [wnl.lemmatize(w, pos=wn_pos(t)) for w, t in tagged]
            vocabulary.update(tokens)
            out.write(json.dumps({"line": line_no, "tokens": tokens, "tags": [t for _, t in tagged], "lemmas": lemmas}, ensure_ascii=False) + "\n")

    with open(os.path.join(args.out, "nltk_oracle_edge_cases.jsonl"), "w", encoding="utf-8") as out:
        for text in EDGE_CASES:
            tokens = nltk.word_tokenize(text)
            out.write(json.dumps({
                "text": text,
                "sentences": nltk.sent_tokenize(text),
                "tokens": tokens,
                "tags": [t for _, t in nltk.pos_tag(tokens)],
            }, ensure_ascii=False) + "\n")

    words = set(vocabulary)
    for name in ("noun", "verb", "adj", "adv"):
        with open(os.path.join(args.wordnet, name + ".exc")) as f:
            words.update(x.split()[0] for i, x in enumerate(f) if i % 10 == 0)
    words.update(["glasses", "women", "children", "skis", "leaves", "dishes", "boxes", "buses",
                  "sitting", "seated", "tied", "skiing", "better", "best", "fastest", "happier",
                  "was", "were", "is", "geese", "mice", "oxen", "people", "feet", "teeth", "axes",
                  "wives", "ladies", "flies", "watches", "wishes", "quizzes", "men", "firemen",
                  "", "a", "s", "ss", "ies", "dining_table", "hot_dog", "news", "glass", "wine glas"])
    with open(os.path.join(args.out, "nltk_oracle_morphy.jsonl"), "w", encoding="utf-8") as out:
        for word in sorted(words):
            row = {"word": word}
            for pos in ("n", "v", "a", "r"):
                row[pos] = wnl.lemmatize(word, pos=pos)
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
