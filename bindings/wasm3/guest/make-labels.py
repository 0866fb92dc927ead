#!/usr/bin/env python3
"""Write the magika guest's labels file from the installed magika package.

The file holds one label per line, in the model's output order
(`target_labels_space` of the model's config), so the repository commits no
label list.

usage: make-labels.py [--model standard_v3_3] [-o labels.txt]
       make-labels.py [--model standard_v3_3] --print-model-path
"""
import argparse
import json
import sys
from pathlib import Path


def model_dir(model: str) -> Path:
    import magika  # the package, not the class: its models/ ship inside

    d = Path(magika.__file__).resolve().parent / "models" / model
    if not d.is_dir():
        sys.exit(f"make-labels: magika {getattr(magika, '__version__', '?')} has no model {model!r} ({d})")
    return d


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="standard_v3_3", help="magika model directory name")
    ap.add_argument("-o", "--output", help="labels file to write (default: stdout)")
    ap.add_argument("--print-model-path", action="store_true", help="print the model.onnx path and exit")
    args = ap.parse_args()

    d = model_dir(args.model)
    if args.print_model_path:
        print(d / "model.onnx")
        return 0

    config = json.loads((d / "config.min.json").read_text())
    labels = config["target_labels_space"]
    if not labels or any((not isinstance(l, str)) or (not l) or ("\n" in l) for l in labels):
        sys.exit("make-labels: unexpected target_labels_space in the model config")
    text = "".join(l + "\n" for l in labels)
    if args.output:
        Path(args.output).write_text(text)
        print(f"make-labels: wrote {len(labels)} labels to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
