"""LE-MER: label-guided multimodal emotion recognition (Interspeech 2023, arXiv 2309.02106)."""
