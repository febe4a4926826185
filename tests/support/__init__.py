"""What the tests share, a module per role; the shared corpus trees are fixtures in `tests/conftest.py`.

- `corpora`: hand-made trees of the three distributed layouts (one IEMOCAP builder, `iemocap_tree`), WAV writers
- `synth`: the generated synthetic corpora (espeak speech), built once per test process
- `models`: test-only harness models (`TEST_MODELS`, for a registry overlay) and tiny pretrained encoders on disk
- `runs`: suite files, grid checks; `python -m tests.support.runs ARGS` is the CLI with the test models
- `features`: the offline/cache environment of the feature tests, utterance records, tiny HF encoders
- `baselines`, `lemer`: synthetic examples with a learnable class signal; `leaderboard`: fake runs trees
"""
