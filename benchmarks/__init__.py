"""The harness: suites, runner, transcripts (ASR, noise), encoders and feature cache, CLI."""
