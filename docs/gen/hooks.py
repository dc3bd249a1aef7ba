"""MkDocs hook: write the generated pages (docs/gen/generate.py) before every build."""
import importlib.util
from pathlib import Path


def on_pre_build(config, **kwargs):
    spec = importlib.util.spec_from_file_location("blueprint_docs_generate", Path(__file__).with_name("generate.py"))
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    generate.main()
